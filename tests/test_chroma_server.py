"""Server mode: ingest, ask, chat and eval against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CHROMA, ChromaServer, free_port

from ingest.settings import PROJECT_ROOT, Settings
from ui.cli import main

pytestmark = pytest.mark.server

CORPUS = PROJECT_ROOT / "corpus" / "trials"
FIXTURES = Path(__file__).parent / "fixtures" / "ctgov"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory):
    """A `chroma run` of its own: free port, temp dir, ready on heartbeat, stopped by PID with SIGTERM."""
    assert CHROMA.exists(), f"{CHROMA} is missing; chromadb installs it"
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture(scope="module")
def served_store(chroma_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("server-home")
    result = cli("--home", str(home), "--chroma-url", chroma_url, "ingest", "--json", str(CORPUS))
    assert result.exit_code == 0, result.output
    return {"home": home, "url": chroma_url, "report": json.loads(result.stdout)}


def test_ingest_writes_to_the_server_not_the_home_folder(served_store: dict):
    assert served_store["report"]["added"] == 10 and served_store["report"]["errors"] == []
    assert not (served_store["home"] / "chroma").exists()


def test_ask_through_the_server_cites_the_trial(served_store: dict):
    result = cli("--home", str(served_store["home"]), "--chroma-url", served_store["url"], "ask", "--json",
                 "How many people are in the lupus nephritis study?")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert "336" in payload["answer"] and {c["trial_id"] for c in payload["citations"]} == {"NCT05138133"}


def test_env_var_selects_the_server_and_reingest_embeds_nothing(served_store: dict, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRIALCHAT_CHROMA_URL", served_store["url"])
    result = cli("--home", str(tmp_path / "other-home"), "ingest", str(CORPUS))  # the store lives on the server
    assert result.stdout.startswith("0 added, 0 updated, 10 unchanged, 0 removed (0 chunks embedded)"), result.output
    chat = cli("--home", str(tmp_path / "other-home"), "chat", input="tell me about the vitiligo study\n")
    assert chat.exit_code == 0, chat.output
    assert "NCT05917561" in chat.stdout and "48" in chat.stdout


def test_eval_runs_against_the_server(served_store: dict, tmp_path: Path):
    out = tmp_path / "eval.json"
    result = cli("--home", str(served_store["home"]), "--chroma-url", served_store["url"], "eval",
                 str(PROJECT_ROOT / "corpus" / "questions" / "dev.jsonl"), "--limit", "3", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["metrics"]["items"] == 3


def test_running_assistant_sees_a_new_ingest_on_the_server(served_store: dict, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    """A shared deployment: `serve` in one process, `ingest` in another, one collection on the server."""
    from assistant.engine import Assistant

    monkeypatch.setenv("TRIALCHAT_COLLECTION", "trialchat_shared_test")
    settings = Settings(home=tmp_path / "serve-home", chroma_url=served_store["url"])
    assert cli("--home", str(tmp_path / "a"), "--chroma-url", served_store["url"], "ingest",
               str(CORPUS)).exit_code == 0
    assistant = Assistant(settings)
    assert "NCT09900001" not in assistant.catalog.trials
    result = cli("--home", str(tmp_path / "b"), "--chroma-url", served_store["url"], "ingest",
                 str(CORPUS), str(FIXTURES))
    assert result.exit_code == 0 and result.stdout.startswith("4 added"), result.output
    time.sleep(2.1)  # the assistant looks for a new corpus hash at most every 2 s
    answer = assistant.answer("Tell me about NCT09900001")
    assert "NCT09900001" in {c.trial_id for c in answer.citations}, answer.text


def test_unreachable_server_is_a_one_line_error(tmp_path: Path):
    result = cli("--home", str(tmp_path), "--chroma-url", f"http://127.0.0.1:{free_port()}", "ask", "hello")
    assert result.exit_code == 1
    assert "Error: cannot reach Chroma at http://127.0.0.1:" in result.stderr
    assert "start it or fix the url" in result.stderr
