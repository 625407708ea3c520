"""Bad corpus files: one clear message naming the file, the field and the fix; nothing stored is lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.entries import EntryError, load_entries, parse_entry
from ingest.settings import PROJECT_ROOT, Settings
from ingest.store import Store
from ui.cli import main

CORPUS = PROJECT_ROOT / "corpus" / "trials"
GOOD = (CORPUS / "NCT05138133.md").read_text(encoding="utf-8")


def variant(**changes: str) -> str:
    """The kidney entry with front-matter lines replaced (value None removes the line)."""
    lines = GOOD.splitlines()
    out = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in changes:
            if changes[key] is not None:
                out.append(f"{key}: {changes[key]}")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


CASES = [
    ("invalid_yaml.md", "---\nid: NCT01234567\ntitle: [unclosed\n---\n## Summary\nText.\n", "(front matter)", "YAML"),
    ("missing_id.md", variant(id=None), "id", "add 'id:"),
    ("malformed_id.md", variant(id="NCT123"), "id", "NCT followed by 8 digits"),
    ("unknown_field.md", GOOD.replace("phase:", "colour: blue\nphase:", 1), "colour", "remove it or rename it"),
    ("wrong_type.md", variant(enrollment="lots"), "enrollment", "valid integer"),
    ("wrong_list.md", variant(conditions="7"), "conditions", "valid list"),
    ("no_front_matter.md", "## Summary\nJust text.\n", "(front matter)", "start the file with a '---' line"),
    ("no_sections.md", GOOD.split("## Summary")[0], "(body)", "## Summary"),
]


@pytest.mark.parametrize(("name", "text", "field", "fix"), CASES)
def test_each_bad_entry_names_file_field_and_fix(tmp_path: Path, name, text, field, fix):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EntryError) as caught:
        parse_entry(path)
    message = str(caught.value)
    assert name in message and f"field '{field}'" in message and "Fix:" in message
    assert fix.lower() in message.lower(), message


def test_non_utf8_empty_binary_and_huge_files(tmp_path: Path):
    (tmp_path / "latin1.md").write_bytes(GOOD.replace("Renal", "R\u00e9nal").encode("latin-1"))
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with open(tmp_path / "huge.md", "wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing 50 MB
    entries, errors = load_entries([tmp_path])
    assert entries == []
    messages = {Path(e.path).name: str(e) for e in errors}
    assert "UTF-8" in messages["latin1.md"] and "re-save the file as UTF-8" in messages["latin1.md"]
    assert "empty" in messages["empty.md"]
    assert "binary" in messages["binary.md"]
    assert "limit" in messages["huge.md"] and "52,428,800" in messages["huge.md"]


def test_duplicate_id_across_files_keeps_the_first(tmp_path: Path):
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.md").write_text(GOOD, encoding="utf-8")
    entries, errors = load_entries([tmp_path])
    assert [e.id for e in entries] == ["NCT05138133"]
    assert len(errors) == 1 and "b.md" in str(errors[0]) and "also used by" in str(errors[0])


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "trials"
    folder.mkdir()
    for name in ("NCT05138133.md", "NCT05917561.md"):
        shutil.copy(CORPUS / name, folder / name)
    return folder


def stored(home: Path) -> dict:
    store = Store(Settings(home=home))
    return store.stored_hashes(store.collection())


def test_default_ingests_good_files_reports_bad_and_exits_nonzero(small_corpus: Path, tmp_path: Path):
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(main, ["--home", str(home), "ingest", str(small_corpus)]).exit_code == 0
    before = stored(home)
    (small_corpus / "NCT05917561.md").write_text(variant(id="NCT05917561", enrollment="many"), encoding="utf-8")
    (small_corpus / "new.md").write_text(variant(id="NCT01234567"), encoding="utf-8")
    result = runner.invoke(main, ["--home", str(home), "ingest", "--json", str(small_corpus)])
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "NCT05917561.md" in result.stderr and "enrollment" in result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 1 and report["removed"] == 0
    after = stored(home)
    # The broken file's trial keeps its last good chunks: a typo never deletes stored data.
    assert {k: v for k, v in before.items() if v["trial_id"] == "NCT05917561"}.items() <= after.items()
    assert any(v["trial_id"] == "NCT01234567" for v in after.values())


def test_strict_changes_nothing_when_any_file_is_bad(small_corpus: Path, tmp_path: Path):
    home = tmp_path / "home"
    runner = CliRunner()
    runner.invoke(main, ["--home", str(home), "ingest", str(small_corpus)])
    before = stored(home)
    (small_corpus / "new.md").write_text(variant(id="NCT01234567"), encoding="utf-8")
    (small_corpus / "bad.md").write_text("---\nid: nope\n---\n## Summary\nx\n", encoding="utf-8")
    result = runner.invoke(main, ["--home", str(home), "ingest", "--strict", str(small_corpus)])
    assert result.exit_code == 1 and "bad.md" in result.stderr and "--strict" in result.stderr
    assert stored(home) == before


FIELD = st.sampled_from(["id", "title", "phase", "enrollment", "conditions", "design", "nonsense", "includes_children"])
VALUE = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=5)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=st.dictionaries(FIELD, VALUE, max_size=8), body=st.text(max_size=200), raw=st.binary(max_size=200))
def test_parser_never_raises_anything_but_entry_error(tmp_path: Path, front, body, raw):
    path = tmp_path / "fuzz.md"
    for content in (f"---\n{json.dumps(front)}\n---\n{body}".encode(), raw):
        path.write_bytes(content)
        try:
            parse_entry(path)
        except EntryError as exc:
            assert "fuzz.md" in str(exc) and "Fix:" in str(exc)
