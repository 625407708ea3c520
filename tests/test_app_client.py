"""The served patient app, asked through gradio_client over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import serving_patient_app

from ui.log import ConversationLog

pytestmark = pytest.mark.server

FOLLOW_UP = "how many people are in it?"
PHASE = "and what phase is it?"
OPENERS = {"vitiligo": ("tell me about the vitiligo study", "48", "NCT05917561", "Phase 2"),
           "kidney": ("tell me about the lupus nephritis study", "336", "NCT05138133", "Phase 3"),
           "aps": ("what is the APS study", "20", "2025-520918-64-00", "Phase 2"),
           "sle": ("the phase 4 lupus study?", "376", "NCT04877691", "Phase 4")}


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ConversationLog:
    return ConversationLog(tmp_path_factory.mktemp("client-log") / "conversations.sqlite3")


@pytest.fixture(scope="module")
def served(assistant, corpus_settings, log):
    with serving_patient_app(assistant, corpus_settings, log) as url:
        yield url


def last_answer(reply) -> str:
    """The newest assistant message as plain text (the chat value holds escaped HTML)."""
    messages = reply[0] if isinstance(reply, tuple) else reply
    content = messages[-1]["content"]
    html = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("sessions", [8, 16])
def test_sessions_at_once_keep_their_own_history_and_log_every_turn_once(served, log, sessions):
    """Interleaved three-turn conversations: each follow-up must follow its own session's trial."""
    from gradio_client import Client

    before = log.count()
    kinds = [list(OPENERS)[i % len(OPENERS)] for i in range(sessions)]

    def converse(kind: str) -> tuple[str, str, str]:
        client = Client(served, verbose=False)  # one Client = one session
        client.predict(OPENERS[kind][0], api_name="/chat")
        size = last_answer(client.predict(FOLLOW_UP, api_name="/chat"))
        return kind, size, last_answer(client.predict(PHASE, api_name="/chat"))

    with ThreadPoolExecutor(max_workers=sessions) as pool:
        results = list(pool.map(converse, kinds))
    for kind, size, phase in results:
        _, number, trial_id, phase_name = OPENERS[kind]
        assert re.search(rf"\b{number}\b", size) and trial_id in size, (kind, size)
        assert trial_id in phase and phase_name in phase, (kind, phase)
        others = [o[2] for k, o in OPENERS.items() if k != kind]
        assert not any(o in size or o in phase for o in others), f"cross-talk in the {kind} session"

    turns = log.turns()[: log.count() - before]
    assert len(turns) == 3 * sessions
    by_session: dict[str, list[str]] = {}
    for turn in reversed(turns):
        by_session.setdefault(turn["session_id"], []).append(turn["question"])
    assert len(by_session) == sessions
    assert sorted(tuple(q) for q in by_session.values()) == sorted(
        (OPENERS[k][0], FOLLOW_UP, PHASE) for k in kinds)


def test_served_chat_answers_with_citations(served):
    from gradio_client import Client

    text = last_answer(Client(served, verbose=False).predict(
        "How many people are in the lupus nephritis study?", api_name="/chat"))
    assert "336" in text and "[1]" in text and "NCT05138133" in text


def test_script_in_a_question_comes_back_as_text(served):
    from gradio_client import Client

    reply = Client(served, verbose=False).predict("<script>alert(1)</script> which study is the biggest?",
                                                  api_name="/chat")
    shown = reply[0][-2]["content"]
    shown = shown if isinstance(shown, str) else shown[0]["text"]
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
