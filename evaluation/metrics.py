"""Per-item checks and the aggregate metrics; pure functions over plain dicts, so they test on hand-made data."""

from __future__ import annotations

import math
import re
from collections import Counter

from .dataset import EvalItem, fact_matches
from .readability import fk_grade

MARKER = re.compile(r"\[(\d+)\]")

# Direction decides which threshold option applies: --fail-under for these ...
HIGHER_IS_BETTER = (
    "pass_rate", "hit_at_1", "hit_at_5", "mrr", "citation_recall", "citation_precision",
    "fact_accuracy", "behavior_accuracy",
)
# ... and --fail-over for these.
LOWER_IS_BETTER = (
    "invalid_citations", "invalid_citation_rate", "fk_grade_median", "fk_grade_p90",
    "latency_p50_ms", "latency_p95_ms",
)
METRIC_NAMES = HIGHER_IS_BETTER + LOWER_IS_BETTER


def invalid_citations(text: str, citations: list[dict]) -> dict:
    """[n] markers with no source, and sources no marker points at: both mislead a reader."""
    used = [int(n) for n in MARKER.findall(text or "")]
    numbers = {c["n"] for c in citations}
    return {
        "dangling_markers": [n for n in used if n not in numbers],
        "unused_citations": sorted(n for n in numbers if n not in set(used)),
        "references": len(used) + len(citations),
    }


def check_item(item: EvalItem, answer: dict, latency_ms: float, error: str | None = None) -> dict:
    """One item's record: what the assistant said (``Answer.as_dict()`` shape) and every check on it."""
    text = answer.get("answer") or ""
    citations = list(answer.get("citations") or [])
    retrieved = list(dict.fromkeys(answer.get("retrieved") or []))
    behavior = answer.get("behavior") or "error"
    cited = list(dict.fromkeys(c["trial_id"] for c in citations))
    expected = list(item.expect_trials)
    facts = []
    for pattern in item.expect_facts:
        found = fact_matches(pattern, text)
        facts.append({"pattern": pattern, "ok": bool(found), **({"timed_out": True} if found is None else {})})
    ranks = [retrieved.index(t) + 1 for t in expected if t in retrieved]
    invalid = invalid_citations(text, citations)
    checks = {
        "behavior_ok": behavior in item.expect_behavior,
        "facts": facts,
        "facts_ok": all(f["ok"] for f in facts) if facts else None,
        "trials_cited": [t for t in expected if t in cited],
        "trials_missing": [t for t in expected if t not in cited],
        "trials_unexpected": [t for t in cited if t not in expected],
        "retrieval_rank": min(ranks) if ranks else None,
        "invalid_citations": invalid,
    }
    passed = (
        checks["behavior_ok"] and checks["facts_ok"] is not False and not checks["trials_missing"]
        and not invalid["dangling_markers"] and not invalid["unused_citations"] and error is None
    )
    return {
        "id": item.id, "question": item.question, "history": list(item.history),
        "answer": text, "behavior": behavior, "citations": citations, "retrieved": retrieved,
        "latency_ms": round(latency_ms, 1),
        "fk_grade": _round(fk_grade(text), 2) if behavior == "answer" else None,
        "expected": {"trials": expected, "facts": list(item.expect_facts),
                     "behavior": list(item.expect_behavior), "category": item.category},
        "checks": checks, "passed": passed, "error": error,
    }


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), so small sets still give a value."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _behavior_tables(records: list[dict]) -> tuple[dict, dict]:
    confusion: dict[str, Counter] = {}
    by_expected: dict[str, dict] = {}
    for r in records:
        primary = r["expected"]["behavior"][0]
        confusion.setdefault(primary, Counter())[r["behavior"]] += 1
        row = by_expected.setdefault(primary, {"items": 0, "correct": 0})
        row["items"] += 1
        row["correct"] += int(r["checks"]["behavior_ok"])
    for row in by_expected.values():
        row["accuracy"] = _round(row["correct"] / row["items"])
    return {k: dict(v) for k, v in sorted(confusion.items())}, dict(sorted(by_expected.items()))


CATEGORY_METRICS = ("items", "passed", "pass_rate", "behavior_accuracy", "citation_recall", "citation_precision",
                    "fact_accuracy", "invalid_citations", "fk_grade_median")


def _groups(records: list[dict]) -> dict[str, list[dict]]:
    """Items by their set's category, plus every turn with a history as 'multi_turn'."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        category = r["expected"].get("category")
        if category:
            groups.setdefault(category, []).append(r)
        if r["history"]:
            groups.setdefault("multi_turn", []).append(r)
    return dict(sorted(groups.items()))


def compute_metrics(records: list[dict], by_category: bool = True) -> dict:
    """Aggregate metrics; a metric with no item to score is None, never a misleading 0 or 1."""
    with_trials = [r for r in records if r["expected"]["trials"]]
    ranks = [r["checks"]["retrieval_rank"] for r in with_trials]
    with_citations = [r for r in with_trials if r["citations"]]
    with_facts = [r for r in records if r["checks"]["facts_ok"] is not None]
    invalid = sum(len(r["checks"]["invalid_citations"]["dangling_markers"])
                  + len(r["checks"]["invalid_citations"]["unused_citations"]) for r in records)
    references = sum(r["checks"]["invalid_citations"]["references"] for r in records)
    grades = [r["fk_grade"] for r in records if r["behavior"] == "answer" and r["fk_grade"] is not None]
    latencies = [r["latency_ms"] for r in records]
    confusion, by_expected = _behavior_tables(records)
    return {
        "items": len(records),
        "passed": sum(r["passed"] for r in records),
        "pass_rate": _round(_mean([float(r["passed"]) for r in records])),
        "hit_at_1": _round(_mean([float(k is not None and k <= 1) for k in ranks])),
        "hit_at_5": _round(_mean([float(k is not None and k <= 5) for k in ranks])),
        "mrr": _round(_mean([1 / k if k else 0.0 for k in ranks])),
        "citation_recall": _round(_mean([
            len(r["checks"]["trials_cited"]) / len(r["expected"]["trials"]) for r in with_trials])),
        "citation_precision": _round(_mean([
            sum(c["trial_id"] in r["expected"]["trials"] for c in r["citations"]) / len(r["citations"])
            for r in with_citations])),
        "invalid_citations": invalid,
        "invalid_citation_rate": _round(invalid / references if references else (0.0 if records else None)),
        "fact_accuracy": _round(_mean([float(r["checks"]["facts_ok"]) for r in with_facts])),
        "behavior_accuracy": _round(_mean([float(r["checks"]["behavior_ok"]) for r in records])),
        "fk_grade_median": _round(percentile(grades, 50), 2),
        "fk_grade_p90": _round(percentile(grades, 90), 2),
        "latency_p50_ms": _round(percentile(latencies, 50), 1),
        "latency_p95_ms": _round(percentile(latencies, 95), 1),
        "counts": {
            "items_with_trials": len(with_trials), "items_with_trials_and_citations": len(with_citations),
            "items_with_facts": len(with_facts), "scored_answers": len(grades), "citation_references": references,
        },
        "behavior_confusion": confusion,
        "behavior_by_expected": by_expected,
        **({"by_category": {
            name: {k: v for k, v in compute_metrics(group, by_category=False).items()
                   if k in CATEGORY_METRICS}
            for name, group in _groups(records).items()}} if by_category else {}),
    }


def check_thresholds(metrics: dict, floors: dict[str, float], ceilings: dict[str, float]) -> list[str]:
    """One line per missed floor (--fail-under) or exceeded ceiling (--fail-over); empty means all met."""
    missed = []
    for name, floor in floors.items():
        value = metrics.get(name)
        if value is None:
            missed.append(f"{name} has no value (nothing to score) and cannot meet the floor {floor:g}")
        elif value < floor:
            missed.append(f"{name} {value:g} is under the floor {floor:g}")
    for name, ceiling in ceilings.items():
        value = metrics.get(name)
        if value is None:
            missed.append(f"{name} has no value (nothing to score) and cannot meet the ceiling {ceiling:g}")
        elif value > ceiling:
            missed.append(f"{name} {value:g} is over the ceiling {ceiling:g}")
    return missed
