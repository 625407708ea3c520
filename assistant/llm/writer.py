"""The LLM writer: asks an LLM to word the answer from the retrieved passages, validates every sentence,
and falls back to the grounded answer when the call fails, hangs or too little survives.

The engine calls `rewrite(answer, sources)` only for behaviour "answer", after the safety and relevance
gates; with no sources there is no call at all.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from llama_index.core.schema import TextNode

from assistant.types import Answer
from ingest.settings import Settings

from .prompts import build_messages
from .providers import api_key_from_env, build_llm, parse_spec
from .validate import Validator

logger = logging.getLogger(__name__)

# Where `rewrite` sends the growing validated text while it streams (set by Assistant.answer_stream).
_PARTIAL_SINK: ContextVar[Callable[[str], None] | None] = ContextVar("trialchat_partial_sink", default=None)
_DONE = object()


class LLMTimeout(Exception):
    pass


@contextmanager
def partial_text_sink(sink: Callable[[str], None]):
    """While active (in this thread/context), `LLMWriter.rewrite` streams and calls sink(text so far)."""
    token = _PARTIAL_SINK.set(sink)
    try:
        yield
    finally:
        _PARTIAL_SINK.reset(token)


class LLMWriter:
    """Rewrites a grounded answer with an LLM; what it returns has only supported, resolvable [n]."""

    def __init__(self, llm, name: str, timeout: float, secret: str | None = None):
        self.llm = llm
        self.name = name
        self.timeout = timeout
        self._secret = secret  # only to scrub it from error messages; never logged

    def __repr__(self) -> str:
        return f"LLMWriter({self.name!r}, timeout={self.timeout})"

    # -- the engine's hook ------------------------------------------------------------------------
    def rewrite(self, grounded: Answer, sources: Sequence[TextNode]) -> Answer:
        sink = _PARTIAL_SINK.get()
        final = grounded
        for item in self.stream(grounded, sources, stream=sink is not None):
            if isinstance(item, Answer):
                final = item
            elif sink is not None:
                sink(item)
        return final

    def stream(self, grounded: Answer, sources: Sequence[TextNode], stream: bool = True) -> Iterator[str | Answer]:
        """Yield the growing validated text (str) as the LLM writes, then the final Answer: the validated
        LLM answer, or `grounded` with the reason in notes. The last item is always the Answer."""
        if not sources:
            yield self._fallback(grounded, "no sources, no call")
            return
        validator = Validator(sources)
        started = time.monotonic()
        raw = ""
        try:
            for raw in self._reply(build_messages(grounded.question, sources), stream):
                if validator.feed(raw):
                    yield validator.text
            validator.feed(raw, final=True)
        except LLMTimeout as exc:
            yield self._fallback(grounded, str(exc))
            return
        except Exception as exc:  # any client or server error: the patient still gets an answer
            yield self._fallback(grounded, f"error {type(exc).__name__}: {self._scrub(str(exc))}")
            return
        failure = validator.failure()
        if failure:
            yield self._fallback(grounded, failure)
            return
        note = (f"llm {self.name}: kept {len(validator.kept)} of {validator.total} sentences "
                f"in {time.monotonic() - started:.1f}s")
        if validator.reasons():
            note += f"; dropped: {validator.reasons()}"
        logger.info(note)
        yield validator.answer(grounded, note)

    # -- helpers ----------------------------------------------------------------------------------
    def _fallback(self, grounded: Answer, reason: str) -> Answer:
        note = f"llm fallback: {reason}"
        logger.warning("%s (writer %s); showing the grounded answer", note, self.name)
        grounded.notes = [*grounded.notes, note]
        return grounded

    def _scrub(self, message: str) -> str:
        if self._secret:
            message = message.replace(self._secret, "***")
        return " ".join(message.split())[:200]

    def _reply(self, messages, stream: bool) -> Iterator[str]:
        """The reply text so far, each time more arrives; LLMTimeout once `timeout` seconds have passed.

        The call runs in a daemon thread so a hung server cannot hold the answer past the deadline
        (the client's own timeout, set to the same value, ends that thread later)."""
        out: queue.Queue = queue.Queue()

        def call() -> None:
            try:
                if stream:
                    text = ""
                    for chunk in self.llm.stream_chat(messages):
                        text += chunk.delta or ""
                        out.put(text)
                else:
                    out.put(self.llm.chat(messages).message.content or "")
                out.put(_DONE)
            except BaseException as exc:  # handed to the waiting thread, which decides
                out.put(exc)

        threading.Thread(target=call, daemon=True, name=f"trialchat-llm-{self.name}").start()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                item = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LLMTimeout(f"timeout after {self.timeout:.1f}s") from None
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


def make_writer(settings: Settings) -> LLMWriter | None:
    """The writer for settings.llm, or None for the grounded writer (the default)."""
    if not settings.llm:
        return None
    spec = parse_spec(settings.llm)
    llm = build_llm(spec, settings.llm_base_url, settings.llm_timeout)
    secret = api_key_from_env() if spec.provider == "openai" else None
    logger.info("answer writer: %s (timeout %.1fs, grounded fallback)", spec.name, settings.llm_timeout)
    return LLMWriter(llm, spec.name, settings.llm_timeout, secret=secret)
