"""The served patient app, asked through gradio_client over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from ui.log import ConversationLog

pytestmark = pytest.mark.server

SESSIONS = 8
FOLLOW_UP = "how many people are in it?"
OPENERS = {"vitiligo": ("tell me about the vitiligo study", "48", "NCT05917561"),
           "kidney": ("tell me about the lupus nephritis study", "336", "NCT05138133")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ConversationLog:
    return ConversationLog(tmp_path_factory.mktemp("client-log") / "conversations.sqlite3")


@pytest.fixture(scope="module")
def served(assistant, corpus_settings, log):
    from ui.app import create_app, launch

    app = create_app(assistant, corpus_settings, log)
    port = free_port()
    launch(app, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def last_answer(reply) -> str:
    """The newest assistant message as plain text (the chat value holds escaped HTML)."""
    messages = reply[0] if isinstance(reply, tuple) else reply
    content = messages[-1]["content"]
    html = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
    return re.sub(r"<[^>]+>", " ", html)


def test_eight_sessions_at_once_keep_their_own_history_and_log_every_turn_once(served, log):
    from gradio_client import Client

    before = log.count()
    kinds = ["vitiligo" if i % 2 == 0 else "kidney" for i in range(SESSIONS)]

    def converse(kind: str) -> tuple[str, str]:
        client = Client(served, verbose=False)  # one Client = one session
        client.predict(OPENERS[kind][0], api_name="/chat")
        return kind, last_answer(client.predict(FOLLOW_UP, api_name="/chat"))

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        results = list(pool.map(converse, kinds))
    for kind, follow_up in results:
        _, number, trial_id = OPENERS[kind]
        other = OPENERS["kidney" if kind == "vitiligo" else "vitiligo"]
        assert re.search(rf"\b{number}\b", follow_up) and trial_id in follow_up, (kind, follow_up)
        assert other[2] not in follow_up, f"cross-talk: {kind} session got {other[2]}"

    turns = log.turns()[: log.count() - before]
    assert len(turns) == 2 * SESSIONS
    by_session: dict[str, list[str]] = {}
    for turn in reversed(turns):
        by_session.setdefault(turn["session_id"], []).append(turn["question"])
    assert len(by_session) == SESSIONS
    assert sorted(tuple(q) for q in by_session.values()) == sorted(
        (OPENERS[k][0], FOLLOW_UP) for k in kinds)


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
