"""A Chroma server outage (issue 11): patients are told the entries can't be reached (not "ask in other
words"), the operator log names the server, and answers come back by themselves when it returns."""

from __future__ import annotations

import logging
import os
import time

import pytest
from helpers import ChromaServer

from assistant import phrases
from ingest.pipeline import run_ingest
from ingest.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.server

QUESTION = "How many people are in the lupus nephritis study?"


@pytest.fixture
def server(tmp_path):
    server = ChromaServer(tmp_path)
    server.start()
    yield server
    server.stop()


def eventually(assistant, expected: str, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while True:
        answer = assistant.answer(QUESTION)
        if expected in answer.text or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_outage_is_told_apart_from_a_missing_store_and_recovers(server, tmp_path, caplog):
    from assistant.engine import Assistant
    from ui.chat import respond
    from ui.log import ConversationLog

    settings = Settings(home=tmp_path / "home", chroma_url=server.url)
    assert run_ingest(settings, [PROJECT_ROOT / "corpus" / "trials"]).added == 10
    assistant = Assistant(settings)
    assert "336" in assistant.answer(QUESTION).text

    server.stop()  # mid-life: the catalog is loaded, the server is gone
    with caplog.at_level(logging.ERROR):
        answer = assistant.answer(QUESTION)
    assert answer.text == phrases.STORE_UNREACHABLE and answer.behavior == "no_info"
    assert f"cannot reach Chroma at {server.url}" in caplog.text and "trialchat ingest" not in caplog.text
    assert assistant.answer("I have crushing chest pain").behavior == "emergency"
    log = ConversationLog(tmp_path / "conversations.sqlite3")
    final = list(respond(assistant, QUESTION, [], session_id="s", log=log))[-1]
    assert final.answer.text == phrases.STORE_UNREACHABLE and log.turns()[0]["behavior"] == "no_info"

    server.start()  # the same store comes back: answers return without a restart
    assert "336" in eventually(assistant, "336").text

    server.stop()  # an app that starts during an outage says the same, then recovers too
    fresh = Assistant(settings)
    assert not fresh.ready and fresh.answer(QUESTION).text == phrases.STORE_UNREACHABLE
    server.start()
    assert "336" in eventually(fresh, "336").text


def test_a_server_store_is_leased_to_one_ingest_at_a_time(server, tmp_path):
    """The lease record lives in the server's store: an ingest from any machine sees it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from ingest.lock import ingest_lock
    from ingest.store import Store

    settings = Settings(home=tmp_path / "holder", chroma_url=server.url)
    command = [str(Path(sys.executable).parent / "trialchat"), "--chroma-url", server.url, "ingest", "--json",
               str(PROJECT_ROOT / "corpus" / "trials")]
    env = {**os.environ, "TRIALCHAT_HOME": str(tmp_path / "other"), "TRIALCHAT_INGEST_WAIT": "1"}
    with ingest_lock(settings):
        busy = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert busy.returncode == 1 and "Traceback" not in busy.stderr
        assert busy.stderr.strip().splitlines()[-1].startswith(f"Error: another ingest of the store at {server.url}")
        assert Store(settings).active_name() is None  # the refused ingest wrote nothing
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 10
