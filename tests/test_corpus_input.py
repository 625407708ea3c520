"""Bad corpus input (issue 11, finding 3): each attack gets one clear line, never a traceback, and what
is stored for the trials involved does not change."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.settings import PROJECT_ROOT, Settings
from ingest.store import Store
from ui.cli import main

CORPUS = PROJECT_ROOT / "corpus" / "trials"
KIDNEY = "NCT05138133"
GOOD = (CORPUS / f"{KIDNEY}.md").read_text(encoding="utf-8")
CTGOV = PROJECT_ROOT / "tests" / "fixtures" / "ctgov" / "NCT09900001.json"


def stored(home: Path) -> dict:
    store = Store(Settings(home=home))
    collection = store.collection()
    got = collection.get(include=["documents", "metadatas"])
    return {cid: (text, meta.get("content_hash")) for cid, text, meta in
            zip(got["ids"], got["documents"], got["metadatas"], strict=True)}


def ingest(home: Path, folder: Path, *options: str):
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", *options, str(folder)])
    # One line per problem, never a traceback: the only way out is the CLI's own exit.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, dict]:
    """A folder with two shipped entries and one registry record, ingested; and what the store holds."""
    folder, home = tmp_path / "trials", tmp_path / "home"
    folder.mkdir()
    for name in (f"{KIDNEY}.md", "NCT05917561.md"):
        shutil.copy(CORPUS / name, folder / name)
    shutil.copy(CTGOV, folder / "NCT09900001.json")
    assert ingest(home, folder).exit_code == 0
    return folder, home, stored(home)


def one_error(result, name: str, *words: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 1 and len(lines) == 1, result.stderr
    assert name in lines[0] and "Fix:" in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("strict", [False, True])
def test_duplicate_id_names_both_files_and_neither_replaces_the_stored_trial(corpus, strict):
    folder, home, before = corpus
    # A copy that sorts first, with a wrong number of people.
    (folder / "0-copy.md").write_text(GOOD.replace("enrollment: 336", "enrollment: 999"), encoding="utf-8")
    result = ingest(home, folder, *(["--strict"] if strict else []))
    line = one_error(result, "0-copy.md", f"{KIDNEY}.md", f"'{KIDNEY}'", "neither")
    assert line.index("0-copy.md") != line.index(f"{KIDNEY}.md")
    assert stored(home) == before
    assert not any("999" in text for text, _ in stored(home).values())


def test_duplicate_id_in_json_and_markdown(corpus):
    folder, home, before = corpus
    study = json.loads(CTGOV.read_text(encoding="utf-8"))
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 999
    (folder / "again.json").write_text(json.dumps(study), encoding="utf-8")
    one_error(ingest(home, folder), "again.json", "NCT09900001.json", "neither")
    assert stored(home) == before


@pytest.mark.parametrize(("value", "problem"), [("-336", "greater than or equal to 0"),
                                                ("true", "valid integer"), ("2.5", "valid integer")])
def test_enrollment_must_be_a_non_negative_whole_number(corpus, value, problem):
    folder, home, before = corpus
    (folder / f"{KIDNEY}.md").write_text(GOOD.replace("enrollment: 336", f"enrollment: {value}"), encoding="utf-8")
    one_error(ingest(home, folder), f"{KIDNEY}.md", "'enrollment'", problem, "0 or more")
    assert stored(home) == before


@pytest.mark.parametrize("count", [-5, True])
def test_registry_enrollment_must_be_a_non_negative_whole_number(corpus, count):
    folder, home, before = corpus
    study = json.loads(CTGOV.read_text(encoding="utf-8"))
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = count
    (folder / "NCT09900001.json").write_text(json.dumps(study), encoding="utf-8")
    one_error(ingest(home, folder), "NCT09900001.json", "'enrollment'", "0 or more")
    assert stored(home) == before


@pytest.mark.parametrize(("low", "high", "problem"), [("300 Years", None, "over 125"),
                                                      ("60 Years", "18 Years", "above maximum"),
                                                      ("eighteen", None, "not a number and a unit")])
def test_ages_must_be_sane(corpus, low, high, problem):
    folder, home, before = corpus
    study = json.loads(CTGOV.read_text(encoding="utf-8"))
    study["protocolSection"]["eligibilityModule"].update({"minimumAge": low, "maximumAge": high})
    (folder / "NCT09900001.json").write_text(json.dumps(study), encoding="utf-8")
    one_error(ingest(home, folder), "NCT09900001.json", problem)
    assert stored(home) == before


def _unreadable(path: Path) -> None:
    if os.geteuid() == 0:  # root reads any mode; a file whose read fails in the kernel stands in
        path.symlink_to("/proc/self/mem")
    else:
        path.write_text(GOOD, encoding="utf-8")
        path.chmod(0)


@pytest.mark.parametrize("strict", [False, True])
def test_unreadable_file_is_one_line(corpus, strict):
    folder, home, before = corpus
    _unreadable(folder / "locked.md")
    one_error(ingest(home, folder, *(["--strict"] if strict else [])), "locked.md", "cannot be read", "chmod")
    assert stored(home) == before


@pytest.mark.parametrize("strict", [False, True])
def test_symlink_loops(corpus, strict):
    folder, home, before = corpus
    (folder / "loop.md").symlink_to("loop.md")
    (folder / "again").symlink_to(".", target_is_directory=True)  # a folder loop: not an entry, a note
    result = ingest(home, folder, *(["--strict"] if strict else []))
    one_error(result, "loop.md", "symlink loop")
    assert "again: skipped" in result.stderr and "symlink loop" in result.stderr
    assert stored(home) == before


def test_directory_named_like_an_entry_is_an_error(corpus):
    folder, home, before = corpus
    (folder / "NCT01234567.md").mkdir()
    one_error(ingest(home, folder), "NCT01234567.md", "folder named like an entry", "rename")
    assert stored(home) == before


@pytest.mark.parametrize("strict", [False, True])
def test_over_deep_json_and_yaml(corpus, strict):
    folder, home, before = corpus
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = ingest(home, folder, *(["--strict"] if strict else []))
    one_error(result, "deep.json", "nested too deeply")
    (folder / "deep.json").unlink()
    deep = GOOD.replace("route: null", "route: " + "[" * 20_000 + "]" * 20_000)
    (folder / f"{KIDNEY}.md").write_text(deep, encoding="utf-8")
    one_error(ingest(home, folder, *(["--strict"] if strict else [])), f"{KIDNEY}.md")
    assert stored(home) == before


def test_non_entry_files_are_skipped_with_a_note(corpus):
    folder, home, before = corpus
    (folder / "README.md").write_text("# About these trials\n", encoding="utf-8")
    (folder / "SOURCES.md").write_text("| id | source |\n", encoding="utf-8")
    (folder / "notes.txt").write_text("to do\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    result = ingest(home, folder, "--strict")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert len(notes) == 3 and all("skipped" in n and "Fix:" in n for n in notes), notes
    assert {n.split(": ")[1].rsplit("/", 1)[-1] for n in notes} == {"README.md", "SOURCES.md", "notes.txt"}
    assert "Error" not in result.stderr and stored(home) == before
