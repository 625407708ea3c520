"""ui.chat.respond without Gradio: streaming steps, one log row per turn, and log failures."""

from __future__ import annotations

import html
import logging
import re

import pytest

from assistant.check import split_sentences
from assistant.types import Answer
from ui.chat import MAX_PARTIAL_STEPS, SORRY, respond
from ui.log import ConversationLog


@pytest.fixture
def log(tmp_path) -> ConversationLog:
    return ConversationLog(tmp_path / "log.sqlite3")


def test_streams_then_final_answer_with_linked_markers(assistant, log):
    steps = list(respond(assistant, "Tell me about the lupus nephritis study", [], session_id="s1", log=log))
    assert len(steps) > 1 and not any(s.final for s in steps[:-1]) and steps[-1].final
    assert "tc-cite" not in steps[0].html  # markers are linked only once the answer is complete
    final = steps[-1]
    assert "336" in final.html and 'class="tc-cite"' in final.html and "NCT05138133" in final.html
    assert final.turn_id is not None and {s.turn_id for s in steps} == {final.turn_id}
    turns = log.turns()
    assert len(turns) == 1 and turns[0]["session_id"] == "s1" and turns[0]["config"]["corpus_hash"]
    assert turns[0]["passages"] and all("score" in p for p in turns[0]["passages"])


def test_follow_up_uses_history_strings_and_gradio_parts(assistant):
    plain = list(respond(assistant, "how many people are in it?", ["tell me about the vitiligo study"]))[-1]
    parts = [{"role": "user", "content": [{"type": "text", "text": "tell me about the vitiligo study"}]},
             {"role": "assistant", "content": "..."}]
    from_browser = list(respond(assistant, {"text": "how many people are in it?"}, parts))[-1]
    for reply in (plain, from_browser):
        assert "48" in reply.html and "NCT05917561" in reply.html


def test_a_failing_assistant_apologises_and_the_turn_is_still_logged(log, caplog):
    class Broken:
        def answer(self, question, history, conversation=None):
            raise RuntimeError("index gone")

        def config(self):
            return {}

    with caplog.at_level(logging.ERROR, logger="ui.chat"):
        steps = list(respond(Broken(), "hello", [], session_id="s", log=log))
    assert SORRY.split(",")[0] in steps[-1].html and "index gone" not in steps[-1].html
    assert "answering failed" in caplog.text
    assert [t["behavior"] for t in log.turns()] == ["error"]


def test_answers_are_served_when_the_log_is_locked(assistant, tmp_path, caplog):
    import sqlite3

    log = ConversationLog(tmp_path / "log.sqlite3", timeout=0.1)
    log.record("warm-up", Answer("q", "a", "answer"), {})
    blocker = sqlite3.connect(log.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR, logger="ui.log"):
            final = list(respond(assistant, "Which study is the biggest?", [], session_id="s", log=log))[-1]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert final.final and final.turn_id is None and "tc-cite" in final.html
    assert "turn not recorded" in caplog.text


def test_live_llm_text_streams_and_a_patient_leaving_mid_stream_still_logs_once(log):
    """With an LLM writer the assistant yields growing text; closing the stream early still logs the turn."""

    class Streaming:
        def answer_stream(self, question, history, conversation=None):
            yield "The vitiligo"
            yield "The vitiligo study includes"
            yield Answer(question, "The vitiligo study includes 48 adults.", "answer")

        def config(self):
            return {"writer": "fake-llm"}

    steps = respond(Streaming(), "size of vitiligo study?", [], session_id="s", log=log)
    first = next(steps)
    assert "The vitiligo" in first.html and not first.final
    steps.close()  # the browser went away
    turns = log.turns()
    assert len(turns) == 1 and turns[0]["answer"] == "The vitiligo study includes 48 adults."
    full = list(respond(Streaming(), "again", [], session_id="s", log=log))
    assert [s.final for s in full] == [False, False, True] and len(log.turns()) == 2


def test_a_one_sentence_answer_is_shown_in_one_step(assistant):
    steps = list(respond(assistant, "How many people are in the lupus nephritis study?", []))
    assert len(steps) == 1 and steps[0].final and "336" in steps[0].html


def test_a_grounded_answer_is_shown_in_a_few_steps_that_end_at_sentences(assistant):
    steps = list(respond(assistant, "tell me about the vitiligo study", []))
    final = steps[-1].answer
    assert final is not None and len(split_sentences(final.text)) > MAX_PARTIAL_STEPS + 1
    partial = [html.unescape(re.sub(r"<[^>]+>", "", s.html)).replace(" …", "") for s in steps[:-1]]
    assert 1 <= len(partial) <= MAX_PARTIAL_STEPS
    assert partial[0] == split_sentences(final.text)[0]  # the first words come as one whole sentence
    assert all(final.text.startswith(p) and p.endswith((".", "?", "!")) for p in partial)

