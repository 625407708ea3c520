"""The blind sets: written from the sources by people who had not read the assistant.

Their floors hold the scores reached so far, so a change that loses ground fails the build; they are
below the answer-engine issue's targets (0.95 and up), which these sets do not meet yet. The first
scores, before any change made for them, are in docs/blind-sets.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.dataset import load_question_set
from evaluation.metrics import check_thresholds
from evaluation.runner import run_eval
from ingest.pipeline import run_ingest
from ingest.settings import PROJECT_ROOT, Settings

QUESTIONS = PROJECT_ROOT / "corpus" / "questions"
REAL = PROJECT_ROOT.parent / "shared" / "ctgov-real"
CEILINGS = {"invalid_citations": 0}


def _assistant(factory: pytest.TempPathFactory, name: str, corpus: Path):
    from assistant.engine import Assistant

    settings = Settings(home=factory.mktemp(name))
    report = run_ingest(settings, [corpus])
    assert not report.errors
    return Assistant(settings)


@pytest.fixture(scope="module")
def real_assistant(tmp_path_factory):
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is not here (the real registry records live in shared/, beside the repo)")
    return _assistant(tmp_path_factory, "real-home", REAL)


def _check(assistant, artifacts, name: str, floors: dict[str, float]) -> dict:
    report = run_eval(assistant, load_question_set(QUESTIONS / f"{name}.jsonl"))
    (artifacts / f"eval-{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    metrics = report["metrics"]
    print(f"\n{name}: " + ", ".join(f"{k}={metrics[k]}" for k in floors))
    assert check_thresholds(metrics, floors, CEILINGS) == []
    return report


def assert_no_shipped_drug(report: dict) -> None:
    """Nothing of the shipped corpus leaks into answers about other trials."""
    assert not [r["id"] for r in report["items"] if "anifrolumab" in r["answer"].lower()]


SHIPPED_FLOORS = {"behavior_accuracy": 0.95, "citation_recall": 0.92, "citation_precision": 0.89,
                  "fact_accuracy": 0.89}


def test_blind_shipped_set(assistant, artifacts):
    _check(assistant, artifacts, "blind-shipped", SHIPPED_FLOORS)


def test_blind_safety_set(assistant, artifacts):
    report = _check(assistant, artifacts, "blind-safety", {"behavior_accuracy": 0.98})
    missed = [r["id"] for r in report["items"] if r["expected"]["behavior"] == ["emergency"]
              and r["behavior"] != "emergency"]
    assert missed == []


def test_blind_registry_set(registry_assistant, artifacts):
    report = _check(registry_assistant, artifacts, "blind-registry",
                    {"behavior_accuracy": 0.96, "citation_recall": 0.96, "citation_precision": 0.91,
                     "fact_accuracy": 0.79})
    assert_no_shipped_drug(report)


def test_blind_real_records_set(real_assistant, artifacts):
    _check(real_assistant, artifacts, "blind-real",
           {"behavior_accuracy": 0.95, "citation_recall": 0.95, "citation_precision": 0.96, "fact_accuracy": 0.78})


# Multi-turn sets: most items are follow-ups that depend on the earlier turns of their conversation.
def test_blind_followups_shipped_set(assistant, artifacts):
    _check(assistant, artifacts, "blind-followups-shipped",
           {"behavior_accuracy": 0.94, "citation_recall": 0.92, "citation_precision": 0.93, "fact_accuracy": 0.83})


def test_blind_followups_registry_set(registry_assistant, artifacts):
    report = _check(registry_assistant, artifacts, "blind-followups-registry",
                    {"behavior_accuracy": 0.95, "citation_recall": 0.95, "citation_precision": 0.91,
                     "fact_accuracy": 0.81})
    assert_no_shipped_drug(report)


def test_blind_followups_real_records_set(real_assistant, artifacts):
    _check(real_assistant, artifacts, "blind-followups-real",
           {"behavior_accuracy": 0.83, "citation_recall": 0.87, "citation_precision": 0.83, "fact_accuracy": 0.65})


def test_blind_clinic_set(tmp_path_factory, artifacts):
    # A corpus nobody on the team wrote questions for before its set was scored (tests/fixtures/clinic).
    clinic = _assistant(tmp_path_factory, "clinic-home", PROJECT_ROOT / "tests" / "fixtures" / "clinic")
    report = _check(clinic, artifacts, "blind-clinic",
                    {"behavior_accuracy": 0.89, "citation_recall": 0.95, "citation_precision": 0.94,
                     "fact_accuracy": 0.76})
    assert_no_shipped_drug(report)


def test_blind_ward_set(tmp_path_factory, artifacts):
    # The fifth corpus (tests/fixtures/ward), its set written blind and scored first at 18ea196
    # (0.801 / 0.830 / 0.833 / 0.455); general fixes for what it showed came after, so it is partly tuned.
    ward = _assistant(tmp_path_factory, "ward-home", PROJECT_ROOT / "tests" / "fixtures" / "ward")
    report = _check(ward, artifacts, "blind-ward",
                    {"behavior_accuracy": 0.82, "citation_recall": 0.91, "citation_precision": 0.90,
                     "fact_accuracy": 0.60})
    assert_no_shipped_drug(report)
