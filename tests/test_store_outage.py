"""A Chroma server outage (issue 11): patients are told the entries can't be reached (not "ask in other
words"), the operator log names the server, and answers come back by themselves when it returns."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import free_port

from assistant import phrases
from ingest.pipeline import run_ingest
from ingest.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.server

CHROMA = Path(sys.executable).parent / "chroma"
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
QUESTION = "How many people are in the lupus nephritis study?"


class ChromaServer:
    """`chroma run` on a fixed port and folder, so it can be stopped and started again as the same store."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.folder / "data"), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, (self.folder / "server.log").read_text(errors="replace")
            try:
                LOCAL.open(f"{self.url}/api/v2/heartbeat", timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "chroma run did not answer in 60 s"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
