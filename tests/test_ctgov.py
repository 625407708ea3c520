"""ClinicalTrials.gov API v2 records: mapped onto entries, ingested, and cited by NCT id.

The fixtures under tests/fixtures/ctgov/ are hand-written, synthetic records (fake NCT099... ids).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.ctgov import load_file
from ingest.entries import load_entries, read_file
from ingest.settings import PROJECT_ROOT
from ui.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov"
CORPUS = PROJECT_ROOT / "corpus" / "trials"


def by_id() -> dict:
    entries, errors = load_entries([FIXTURES])
    assert errors == []
    return {e.id: e for e in entries}


def test_fixtures_are_labelled_synthetic():
    for path in FIXTURES.glob("*.json"):
        assert "synthetic" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("trial_id", "field", "value"), [
    ("NCT09900001", "phase", "Phase 2"),
    ("NCT09900001", "enrollment", 120),
    ("NCT09900001", "comparator", "placebo"),
    ("NCT09900001", "route", "subcutaneous injection"),
    ("NCT09900001", "design", ["randomized", "double-blind", "placebo-controlled"]),
    ("NCT09900001", "primary_endpoint_timepoint", "Week 24"),
    ("NCT09900001", "status", "recruiting"),
    ("NCT09900001", "short_name", "LICHEN-SYN study"),
    ("NCT09900001", "ages", "18 to 75 years"),
    ("NCT09900002", "phase", "Phase 1/2"),
    ("NCT09900002", "includes_children", True),
    ("NCT09900002", "status", "completed"),
    ("NCT09900002", "route", "intravenous infusion"),
    ("NCT09900003", "design", ["randomized", "double-blind", "placebo-controlled", "add-on to standard of care"]),
    ("NCT09900003", "ages", "adults"),
    ("NCT09900004", "comparator", "hydroxychloroquine"),
    ("NCT09900004", "route", None),  # the tablets are the comparator's, not anifrolumab's
    ("NCT09900004", "primary_endpoint", "CLASI activity score"),
])
def test_record_fields_map_onto_the_entry_model(trial_id, field, value):
    assert getattr(by_id()[trial_id], field) == value


def test_sections_are_the_corpus_sections_in_plain_sentences():
    entry = by_id()["NCT09900001"]
    assert list(entry.sections) == ["Summary", "Who can take part", "How the study works", "What it measures"]
    assert entry.sections["Summary"].startswith("This study tests anifrolumab in adults with lichen planus. "
                                                "It is a Phase 2 study. It plans to include 120 adults.")
    assert "The main result is percentage of participants" in entry.sections["What it measures"]
    assert "at Week 24." in entry.sections["What it measures"]
    assert "A placebo looks like the study drug" in entry.sections["How the study works"]
    past = by_id()["NCT09900002"].sections["Summary"]
    assert past.startswith("This study tested anifrolumab in children and teens") and "It included 24" in past


def study(**protocol) -> dict:
    return {"_comment": "synthetic test fixture", "protocolSection": {
        "identificationModule": {"nctId": "NCT09900099", "briefTitle": "Synthetic study"}, **protocol}}


@pytest.mark.parametrize(("content", "field", "fix"), [
    ({"_comment": "synthetic", "hasResults": False}, "protocolSection", "ClinicalTrials.gov API v2"),
    ({"protocolSection": {"identificationModule": {"briefTitle": "x"}}},
     "protocolSection.identificationModule.nctId", '"nctId": "NCT12345678"'),
    ({"protocolSection": {"identificationModule": {"nctId": "NCT123"}}},
     "protocolSection.identificationModule.nctId", "NCT followed by 8 digits"),
    ({"studies": {"not": "a list"}}, "studies", '{"studies": [study, ...]}'),
    ("{not json", "(file)", "fix the JSON syntax"),
])
def test_bad_record_names_file_field_and_fix(tmp_path: Path, content, field, fix):
    path = tmp_path / "bad-study.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    entries, errors = load_entries([tmp_path])
    assert entries == [] and len(errors) == 1
    message = str(errors[0])
    assert "bad-study.json" in message and f"field '{field}'" in message and "Fix:" in message
    assert fix in message, message


def test_one_bad_study_in_a_page_does_not_stop_the_others(tmp_path: Path):
    page = {"studies": [study(), {"_comment": "synthetic, no protocolSection"}]}
    (tmp_path / "page.json").write_text(json.dumps(page), encoding="utf-8")
    entries, errors = load_file(tmp_path / "page.json")
    assert [e.id for e in entries] == ["NCT09900099"]
    assert len(errors) == 1 and "page.json [study 2]" in str(errors[0])
    assert "field 'protocolSection'" in str(errors[0])


def test_same_study_in_markdown_folder_and_json_is_a_duplicate(tmp_path: Path):
    shutil.copy(FIXTURES / "NCT09900001.json", tmp_path / "a.json")
    shutil.copy(FIXTURES / "NCT09900001.json", tmp_path / "b.json")
    entries, errors = load_entries([tmp_path])
    assert [e.id for e in entries] == ["NCT09900001"]
    assert len(errors) == 1 and "also used by" in str(errors[0]) and "b.json" in str(errors[0])


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the shipped corpus and the folder of synthetic records, through the CLI."""
    home = tmp_path_factory.mktemp("ctgov-home")
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", "--json", str(CORPUS), str(FIXTURES)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 14
    return home


def ask(home: Path, question: str) -> dict:
    result = CliRunner().invoke(main, ["--home", str(home), "ask", "--json", question])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("question", "trial_id", "fact"), [
    ("Tell me about NCT09900001", "NCT09900001", "120"),
    ("How many people are in the lichen planus study?", "NCT09900001", "120"),
    ("Is there a study for children with Aicardi-Goutieres syndrome?", "NCT09900002", "17 years"),
    ("what does the lupus myocarditis trial measure?", "NCT09900003", "ejection fraction"),
    ("what phase is NCT09900004?", "NCT09900004", "Phase 2"),
])
def test_ask_cites_imported_studies_by_nct_id(imported: Path, question, trial_id, fact):
    payload = ask(imported, question)
    assert payload["behavior"] == "answer"
    assert trial_id in {c["trial_id"] for c in payload["citations"]}, payload["answer"]
    assert fact.lower() in payload["answer"].lower(), payload["answer"]


def test_shipped_trials_still_answer_next_to_imported_ones(imported: Path):
    payload = ask(imported, "How many people are in the lupus nephritis study?")
    assert "336" in payload["answer"] and {c["trial_id"] for c in payload["citations"]} == {"NCT05138133"}


def test_reimport_of_the_same_folder_embeds_nothing(imported: Path):
    result = CliRunner().invoke(main, ["--home", str(imported), "ingest", str(CORPUS), str(FIXTURES)])
    assert result.stdout.startswith("0 added, 0 updated, 14 unchanged, 0 removed (0 chunks embedded)")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12)
MODULES = st.sampled_from(["identificationModule", "statusModule", "designModule", "conditionsModule",
                           "armsInterventionsModule", "outcomesModule", "eligibilityModule", "descriptionModule"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(modules=st.dictionaries(MODULES, JSON, max_size=8), raw=JSON)
def test_any_record_shape_is_an_entry_or_an_entry_error(tmp_path: Path, modules, raw):
    modules.setdefault("identificationModule", {"nctId": "NCT09900098"})
    for content in ({"_comment": "synthetic fuzz", "protocolSection": modules}, raw, {"studies": [raw]}):
        path = tmp_path / "fuzz.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        entries, errors = read_file(path)
        assert all("fuzz.json" in str(e) and "Fix:" in str(e) for e in errors)


@pytest.mark.parametrize("timepoint, words", [
    ("Week 24", " at Week 24"), ("Up to approximately 36 months", " up to approximately 36 months"),
    ("Through Day 30", " through Day 30"), ("Baseline to Week 52", " from baseline to Week 52"), (None, ""),
])
def test_a_time_frame_reads_as_a_moment_or_a_span(timepoint, words):
    from ingest.words import at_time

    assert at_time(timepoint) == words
