"""Atomic ingest: `trialchat ingest` killed with SIGKILL at several points never leaves a half-written
store; the next `ask` answers from the previous complete state and the next ingest completes it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.settings import PROJECT_ROOT
from ui.cli import main

CORPUS = PROJECT_ROOT / "corpus" / "trials"
# Runs the real CLI in a child process that SIGKILLs itself when the ingest reaches one point.
KILLER = """
import os, signal, sys
import ingest.pipeline, ingest.store
point = sys.argv[1]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "embedding":
    ingest.pipeline._embed = die
else:
    setattr(ingest.store.Store, point, die)
from ui.cli import main
main(sys.argv[2:])
"""


def ask(home: Path, question: str) -> dict:
    result = CliRunner().invoke(main, ["--home", str(home), "ask", "--json", question])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ingest(home: Path, corpus: Path) -> dict:
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", "--json", str(corpus)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("point", ["staging", "copy", "embedding", "mark_complete", "flip"])
def test_killed_ingest_keeps_the_previous_store_and_the_next_run_completes_it(tmp_path: Path, point):
    corpus = tmp_path / "trials"
    corpus.mkdir()
    for name in ("NCT05138133.md", "NCT05917561.md", "NCT05383677.md"):
        shutil.copy(CORPUS / name, corpus)
    home = tmp_path / "home"
    ingest(home, corpus)
    assert "48" in ask(home, "how many people are in the vitiligo study?")["answer"]

    # The edit changes one fact; the killed run must not leave the store half old, half new.
    entry = corpus / "NCT05917561.md"
    entry.write_text(entry.read_text().replace("It includes 48 adults.", "It includes 52 adults."))
    (corpus / "NCT05383677.md").unlink()
    child = subprocess.run([sys.executable, "-c", KILLER, point, "--home", str(home), "ingest", str(corpus)],
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -9, child.stderr  # really killed, at that point

    before = ask(home, "how many people are in the vitiligo study?")
    assert "48" in before["answer"] and "52" not in before["answer"]
    assert "NCT05383677" in {c["trial_id"] for c in ask(home, "is the sjogren study finished?")["citations"]}

    report = ingest(home, corpus)
    assert report["updated"] == 1 and report["removed"] == 1
    assert report["chunks_embedded"] <= 1  # only the edited section, and not twice
    after = ask(home, "how many people are in the vitiligo study?")
    assert "52" in after["answer"]
    assert "NCT05383677" not in {c["trial_id"] for c in ask(home, "is the sjogren study finished?")["citations"]}
    assert ingest(home, corpus)["chunks_embedded"] == 0
