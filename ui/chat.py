"""The chat turn as a plain generator: testable without Gradio; the app only wraps it."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine import Assistant

from .render import answer_markdown, escape


def respond(assistant: Assistant, message: str, history: list | None = None) -> Iterator[str]:
    """Yield the growing answer (word by word), then the answer with its sources."""
    if isinstance(message, dict):
        message = message.get("text", "")
    answer = assistant.answer(message or "", history or [])
    words = escape(answer.text).split(" ")
    for i in range(0, len(words), 4):
        yield " ".join(words[: i + 4])
    yield answer_markdown(answer)
