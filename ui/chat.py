"""The chat turn as a plain generator: testable without Gradio; the app only wraps it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.check import split_sentences
from assistant.conversation import Conversation
from assistant.engine import Assistant
from assistant.types import Answer

from .log import ConversationLog, valid_text
from .render import answer_html, partial_html

logger = logging.getLogger(__name__)

# A grounded answer is complete at once; it is shown in a few steps at sentence ends, because each
# step re-sends the chat and costs the server as much as the answer itself.
MAX_PARTIAL_STEPS = 1
SORRY = "Sorry, something went wrong while answering. Please try again, or ask in other words."


@dataclass(frozen=True)
class Reply:
    """One step of a streamed answer: the HTML to show now; ``final`` on the last step."""

    html: str
    final: bool = False
    turn_id: int | None = None  # the log row, for feedback; None when the log could not be written
    answer: Answer | None = None


def new_session_id() -> str:
    # Random, not derived from the connection: the log must hold nothing that identifies the patient.
    return uuid.uuid4().hex


def respond(
    assistant: Assistant,
    message: str | dict,
    history: list | None = None,
    *,
    session_id: str = "",
    log: ConversationLog | None = None,
    conversation: Conversation | None = None,
) -> Iterator[Reply]:
    """Answer ``message`` given earlier ``history`` (strings or chat messages) or the chat's
    ``conversation`` state (kept by the caller, updated once per turn); yield the growing answer.

    With an LLM writer the checked text streams as the writer produces it; a grounded answer is
    complete at once and is shown a few words at a time. Either way the turn is logged exactly once,
    as soon as the answer is final: before it is displayed, and even if the patient leaves while an
    LLM is still writing.
    """
    if isinstance(message, dict):
        message = message.get("text", "")
    message = valid_text(message or "")
    items = _answer_items(assistant, message, history or [], conversation)
    answer, live = None, False
    try:
        for item in items:
            if isinstance(item, Answer):
                answer = item
                break
            live = True
            yield Reply(partial_html(item))
    except GeneratorExit:
        _record(log, session_id, _finish(items, message), assistant)
        raise
    except Exception:  # the patient gets an apology, the operator the traceback
        logger.exception("answering failed")
    if answer is None:
        answer = Answer(question=message, text=SORRY, behavior="error")
    turn_id = _record(log, session_id, answer, assistant)
    # An emergency is shown whole at once: no typing effect delays the numbers to call.
    if not live and answer.behavior != "emergency":
        for shown in partial_steps(answer.text):
            yield Reply(partial_html(shown), turn_id=turn_id)
    html = answer_html(answer, uuid.uuid4().hex[:8], trial_count=_trial_count(assistant))
    yield Reply(html, final=True, turn_id=turn_id, answer=answer)


def partial_steps(text: str) -> list[str]:
    """The text shown before the whole answer: up to MAX_PARTIAL_STEPS growing prefixes ending at a
    sentence end, the first as soon as possible (the first sentence)."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return []
    ends = [1] + [round(len(sentences) * k / MAX_PARTIAL_STEPS) for k in range(1, MAX_PARTIAL_STEPS)]
    ends = sorted({e for e in ends if 0 < e < len(sentences)})
    return [" ".join(sentences[:e]) for e in ends]


def _answer_items(assistant: Assistant, message: str, history: list, conversation: Conversation | None) -> Iterator:
    """The assistant's growing text (str) then its Answer; answer_stream only exists with LLM support."""
    stream = getattr(assistant, "answer_stream", None)
    if stream is None:
        yield assistant.answer(message, history, conversation)
    else:
        yield from stream(message, history, conversation)


def _finish(items: Iterator, message: str) -> Answer:
    try:
        for item in items:
            if isinstance(item, Answer):
                return item
    except Exception:
        logger.exception("answering failed after the patient left")
    return Answer(question=message, text=SORRY, behavior="error")


def _record(log: ConversationLog | None, session_id: str, answer: Answer, assistant: Assistant) -> int | None:
    if log is None:
        return None
    return log.record(session_id, answer, _config(assistant) if answer.behavior != "error" else {})


def _trial_count(assistant: Assistant) -> int | None:
    try:
        return len(assistant.catalog.trials)
    except Exception:  # no store yet: runs of markers are then not called "all N trials"
        logger.debug("catalog unavailable for the trial count", exc_info=True)
        return None


def _config(assistant: Assistant) -> dict:
    try:
        return assistant.config()
    except Exception:
        logger.exception("assistant config unavailable; turn logged without it")
        return {}
