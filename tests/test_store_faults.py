"""Store faults: a deleted or corrupted store never crashes the app; it says to run ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

from chromadb.api.client import SharedSystemClient
from click.testing import CliRunner

from assistant import phrases
from assistant.engine import Assistant
from ingest.pipeline import run_ingest
from ingest.settings import PROJECT_ROOT, Settings
from ui.cli import main

CORPUS = PROJECT_ROOT / "corpus" / "trials"


def stop_app() -> None:
    """What stopping the app does for Chroma: forget this process's open clients and their caches."""
    SharedSystemClient.clear_system_cache()


def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "trials"
    folder.mkdir()
    shutil.copy(CORPUS / "NCT05917561.md", folder)
    return folder


def test_deleted_store_app_starts_says_ingest_then_recovers(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    corpus = small_corpus(tmp_path)
    run_ingest(settings, [corpus])
    stop_app()
    shutil.rmtree(settings.chroma_dir)

    assistant = Assistant(settings)  # what `serve` does: no exception
    assert not assistant.ready and "trialchat ingest" in str(assistant.store_error)
    answer = assistant.answer("how many people are in the vitiligo study?")
    assert answer.behavior == "no_info" and answer.text == phrases.STORE_NOT_READY
    assert assistant.answer("I have chest pain and can't breathe").behavior == "emergency"

    run_ingest(settings, [corpus])
    assistant._checked = 0.0  # skip the 2-second re-check pause
    answer = assistant.answer("how many people are in the vitiligo study?")
    assert answer.behavior == "answer" and "48" in answer.text


def test_corrupted_store_is_a_clear_error_not_a_traceback(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    run_ingest(settings, [small_corpus(tmp_path)])
    stop_app()
    for path in settings.chroma_dir.rglob("*"):
        if path.is_file():
            path.write_bytes(b"this is not a database" * 100)
    assistant = Assistant(settings)
    assert not assistant.ready
    assert "trialchat ingest" in str(assistant.store_error)
    result = CliRunner().invoke(main, ["--home", str(settings.home), "ask", "vitiligo study size?"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "trialchat ingest" in result.stderr
    assert "Traceback" not in result.output
