"""Metrics on hand-made records whose right answers are worked out by hand; readability offline."""

from __future__ import annotations

import pytest

from evaluation.dataset import EvalItem
from evaluation.metrics import (
    METRIC_NAMES,
    check_item,
    check_thresholds,
    compute_metrics,
    invalid_citations,
    percentile,
)
from evaluation.readability import fk_grade, strip_for_scoring

T1, T2, T3 = "NCT05138133", "NCT05925803", "2023-504022-19-01"
A_TEXT = "The kidney lupus study has 336 people [1]. That is a lot of people [1]."


def cite(n: int, trial_id: str) -> dict:
    return {"n": n, "trial_id": trial_id, "title": "t", "section": "s", "text": "x", "chunk_id": f"{trial_id}#s"}


def item(id_: str, behavior, trials=(), facts=()) -> EvalItem:
    behaviors = (behavior,) if isinstance(behavior, str) else tuple(behavior)
    return EvalItem(id=id_, question=f"question {id_}", expect_behavior=behaviors,
                    expect_trials=tuple(trials), expect_facts=tuple(facts))


def answer(text: str, behavior: str, citations=(), retrieved=()) -> dict:
    return {"answer": text, "behavior": behavior, "citations": list(citations), "retrieved": list(retrieved)}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [
        # A: everything right.
        check_item(item("a", "answer", [T1], [r"\b336\b", "PEOPLE"]),
                   answer(A_TEXT, "answer", [cite(1, T1)], [T1, T2]), 100),
        # B: acceptable second behaviour; one expected trial cited, one not; [3] dangles, [2] unused.
        check_item(item("b", ["answer", "advice"], [T1, T2]),
                   answer("Please ask your doctor [1][3].", "advice", [cite(1, T2), cite(2, T3)],
                          ["NCT00000001", "NCT00000002", "NCT00000003", "NCT00000004", "NCT00000005", T2]), 200),
        # C: no expected trials, wrong behaviour, empty answer.
        check_item(item("c", "no_info"), answer("", "answer"), 300),
        # D: expected trial, right behaviour, nothing retrieved or cited.
        check_item(item("d", "emergency", [T1]), answer("Call 911 now.", "emergency"), 400),
    ]


def test_item_checks(records):
    a, b, c, d = records
    assert a["passed"] and a["checks"]["facts_ok"] and a["checks"]["retrieval_rank"] == 1
    assert [f["ok"] for f in a["checks"]["facts"]] == [True, True]  # case-insensitive
    assert b["checks"]["behavior_ok"] and b["checks"]["retrieval_rank"] == 6
    assert b["checks"]["trials_cited"] == [T2] and b["checks"]["trials_missing"] == [T1]
    assert b["checks"]["trials_unexpected"] == [T3]
    assert b["checks"]["invalid_citations"] == {"dangling_markers": [3], "unused_citations": [2], "references": 4}
    assert not b["passed"]
    assert c["checks"]["facts_ok"] is None and not c["checks"]["behavior_ok"] and c["fk_grade"] is None
    assert d["checks"]["retrieval_rank"] is None and d["fk_grade"] is None  # only answers are scored


def test_aggregate_metrics(records):
    m = compute_metrics(records)
    assert m["items"] == 4 and m["passed"] == 1 and m["pass_rate"] == 0.25
    assert m["hit_at_1"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["hit_at_5"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["mrr"] == pytest.approx((1 + 1 / 6 + 0) / 3, abs=1e-4)
    assert m["citation_recall"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert m["citation_precision"] == pytest.approx((1 + 0.5) / 2, abs=1e-4)  # D has no citations
    assert m["invalid_citations"] == 2
    assert m["invalid_citation_rate"] == pytest.approx(2 / (3 + 4), abs=1e-4)  # A: 2 markers + 1 source
    assert m["fact_accuracy"] == 1.0
    assert m["behavior_accuracy"] == 0.75
    assert m["behavior_confusion"] == {"answer": {"answer": 1, "advice": 1}, "emergency": {"emergency": 1},
                                       "no_info": {"answer": 1}}
    assert m["behavior_by_expected"]["answer"] == {"items": 2, "correct": 2, "accuracy": 1.0}
    assert m["behavior_by_expected"]["no_info"]["accuracy"] == 0.0
    assert m["fk_grade_median"] == m["fk_grade_p90"] == round(fk_grade(A_TEXT), 2)
    assert m["latency_p50_ms"] == 250.0 and m["latency_p95_ms"] == 385.0
    assert m["counts"] == {"items_with_trials": 3, "items_with_trials_and_citations": 2, "items_with_facts": 1,
                           "scored_answers": 1, "citation_references": 7}


def test_empty_item_list_gives_no_values_not_zeros():
    m = compute_metrics([])
    assert m["items"] == 0 and m["behavior_confusion"] == {}
    assert all(m[name] is None for name in METRIC_NAMES if name != "invalid_citations")
    assert m["invalid_citations"] == 0


def test_no_expected_trials_leaves_retrieval_and_citation_metrics_empty():
    records = [check_item(item("x", "no_info"), answer("The entries don't say.", "no_info"), 5)]
    m = compute_metrics(records)
    assert m["hit_at_1"] is m["mrr"] is m["citation_recall"] is m["citation_precision"] is None
    assert m["fact_accuracy"] is None and m["behavior_accuracy"] == 1.0 and m["invalid_citation_rate"] == 0.0
    assert m["fk_grade_median"] is None  # no_info answers are not scored


@pytest.mark.parametrize("text, numbers, dangling, unused", [
    ("no markers", [], [], []),
    ("one [1] two [2].", [1, 2], [], []),
    ("made up [4] [4].", [1], [4, 4], [1]),
    ("", [1], [], [1]),
])
def test_invalid_citations(text, numbers, dangling, unused):
    found = invalid_citations(text, [cite(n, T1) for n in numbers])
    assert found["dangling_markers"] == dangling and found["unused_citations"] == unused


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)


def test_thresholds():
    metrics = {"behavior_accuracy": 0.9, "latency_p95_ms": 120.0, "mrr": None}
    assert check_thresholds(metrics, {"behavior_accuracy": 0.9}, {"latency_p95_ms": 120}) == []
    missed = check_thresholds(metrics, {"behavior_accuracy": 0.95, "mrr": 0.5}, {"latency_p95_ms": 100})
    assert missed == [
        "behavior_accuracy 0.9 is under the floor 0.95",
        "mrr has no value (nothing to score) and cannot meet the floor 0.5",
        "latency_p95_ms 120 is over the ceiling 100",
    ]


def test_scoring_strips_markers_and_trial_ids():
    text = f"The kidney lupus study ({T1}) has 336 people [1][2]. The myositis study {T3} is phase 3 [3]."
    assert strip_for_scoring(text) == "The kidney lupus study has 336 people. The myositis study is phase 3."
    assert fk_grade(text) == fk_grade(strip_for_scoring(text))
    assert fk_grade("") is None and fk_grade("[1] NCT05138133") is None


def test_readability_never_downloads_nltk_data(monkeypatch):
    import nltk
    import textstat
    import textstat.backend.counts._count_syllables as syllables

    from evaluation import readability

    def refuse(*args, **kwargs):
        raise AssertionError("nltk.download must not be called")

    def missing(*args, **kwargs):
        raise LookupError("no nltk data here")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(nltk.data, "find", missing)
    syllables.count_syllables.cache_clear()  # force fresh dictionary lookups under the patches
    grade = fk_grade("The study gives the medicine as a shot under the skin. It lasts one year.")
    assert isinstance(grade, float) and 0 < grade < 8
    assert syllables.get_cmudict is readability._get_cmudict
    assert textstat.syllable_count("kidney medicine") == 5  # cmudict: KIH1DNIY0, MEH1DIH0SAH0N


def test_metrics_are_reported_by_category_and_for_multi_turn_items():
    from evaluation.dataset import parse_items

    items = parse_items("\n".join([
        '{"id": "a", "question": "q1", "expect_behavior": "answer", "category": "single_fact"}',
        '{"id": "b", "question": "q2", "history": ["q1"], "expect_behavior": "answer", "category": "follow_up"}',
        '{"id": "c", "question": "q3", "expect_behavior": "no_info", "category": "no_info"}',
    ]))
    answers = [{"answer": "x", "behavior": "answer"}, {"answer": "y", "behavior": "no_info"},
               {"answer": "z", "behavior": "no_info"}]
    metrics = compute_metrics([check_item(i, a, 1.0) for i, a in zip(items, answers, strict=True)])
    by = metrics["by_category"]
    assert set(by) == {"single_fact", "follow_up", "no_info", "multi_turn"}
    assert by["single_fact"]["behavior_accuracy"] == 1.0
    assert by["follow_up"]["behavior_accuracy"] == 0.0 and by["multi_turn"]["items"] == 1
    assert by["no_info"]["pass_rate"] == 1.0
