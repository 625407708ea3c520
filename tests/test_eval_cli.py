"""`trialchat eval` through click's CliRunner against the real store built from the shipped corpus."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ui.cli import main

ITEMS = [
    {"id": "kidney-size", "question": "How many people are in the lupus nephritis study?",
     "expect_trials": ["NCT05138133"], "expect_facts": [r"\b336\b"], "expect_behavior": "answer"},
    {"id": "follow-up", "question": "how many people are in it?", "history": ["tell me about the vitiligo study"],
     "expect_trials": ["NCT05917561"], "expect_facts": [r"\b48\b"], "expect_behavior": ["answer", "advice"]},
    {"id": "cost", "question": "how much does anifrolumab cost", "expect_behavior": "no_info"},
    # Deliberately unmatchable, so fact_accuracy is 2/3 and a floor of 0.9 must fail.
    {"id": "wrong-fact", "question": "what phase is NCT06015737",
     "expect_trials": ["NCT06015737"], "expect_facts": ["phase 7"], "expect_behavior": "answer"},
]


@pytest.fixture
def question_set(tmp_path: Path) -> Path:
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n", encoding="utf-8")
    return path


def run(settings, *args: str):
    return CliRunner().invoke(main, ["--home", str(settings.home), "eval", *map(str, args)])


def test_eval_writes_json_and_html(corpus_settings, question_set: Path, tmp_path: Path):
    out, page = tmp_path / "out" / "eval.json", tmp_path / "eval.html"
    result = run(corpus_settings, question_set, "--json", out, "--html", page,
                 "--fail-under", "behavior_accuracy=0.5", "--fail-over", "invalid_citations=0")
    assert result.exit_code == 0, result.output
    assert "behavior_accuracy" in result.stdout and "failing items (1): wrong-fact" in result.stdout

    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"config", "metrics", "items"}
    config = report["config"]
    assert config["question_set"] == str(question_set)
    assert config["question_set_sha256"] == hashlib.sha256(question_set.read_bytes()).hexdigest()
    assert {"embed_model", "retrieval", "trialchat_version", "timestamp"} <= set(config)

    metrics = report["metrics"]
    assert metrics["items"] == 4 and metrics["fact_accuracy"] == 0.6667
    assert metrics["behavior_accuracy"] == 1.0 and metrics["invalid_citations"] == 0
    assert metrics["hit_at_1"] == 1.0 and metrics["citation_recall"] == 1.0
    assert metrics["behavior_confusion"]["no_info"] == {"no_info": 1}
    assert metrics["latency_p50_ms"] > 0 and metrics["fk_grade_median"] is not None

    records = {r["id"]: r for r in report["items"]}
    assert list(records) == [i["id"] for i in ITEMS]
    kidney = records["kidney-size"]
    assert {"id", "question", "history", "answer", "behavior", "citations", "retrieved", "latency_ms",
            "checks", "expected", "passed"} <= set(kidney)
    assert kidney["retrieved"][0] == "NCT05138133" and kidney["passed"]
    assert set(kidney["citations"][0]) >= {"n", "trial_id", "title", "section", "text"}
    assert kidney["checks"]["facts"] == [{"pattern": r"\b336\b", "ok": True}]
    assert records["follow-up"]["history"] == ["tell me about the vitiligo study"]
    assert records["follow-up"]["checks"]["trials_cited"] == ["NCT05917561"]
    assert records["wrong-fact"]["checks"]["facts"] == [{"pattern": "phase 7", "ok": False}]

    html = page.read_text(encoding="utf-8")
    assert html.count("<img class='chart' src='data:image/png;base64,") == 3
    assert "item-wrong-fact" in html and "item-kidney-size" not in html


def test_fail_under_exits_1_with_a_line_per_missed_floor(corpus_settings, question_set: Path):
    result = run(corpus_settings, question_set, "--limit", "4", "--fail-under", "fact_accuracy=0.9",
                 "--fail-under", "behavior_accuracy=0.95", "--fail-over", "latency_p95_ms=0")
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED: ")]
    assert len(failed) == 2 and failed[0] == "FAILED: fact_accuracy 0.6667 is under the floor 0.9"
    assert failed[1].startswith("FAILED: latency_p95_ms ") and failed[1].endswith("is over the ceiling 0")


def test_limit_runs_the_first_items(corpus_settings, question_set: Path, tmp_path: Path):
    out = tmp_path / "eval.json"
    result = run(corpus_settings, question_set, "--limit", "1", "--json", out, "--fail-under", "pass_rate=1")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(out.read_text())["items"]] == ["kidney-size"]


@pytest.mark.parametrize("args, message", [
    (["--fail-under", "behaviour_accuracy=0.9"], "unknown metric 'behaviour_accuracy'; valid names: pass_rate,"),
    (["--fail-under", "latency_p95_ms=100"], "latency_p95_ms is better when lower; use --fail-over"),
    (["--fail-over", "mrr=0.5"], "mrr is better when higher; use --fail-under"),
    (["--fail-under", "mrr"], "'mrr' is not METRIC=VALUE"),
    (["--fail-under", "mrr=high"], "'high' in 'mrr=high' is not a number"),
])
def test_bad_thresholds_are_clear_errors(corpus_settings, question_set: Path, args, message):
    result = run(corpus_settings, question_set, *args)
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_bad_question_set_lists_problems(corpus_settings, tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "q", "expect_behavior": "answer", "expect_facts": ["("]}\n'
                    '{"id": "a", "question": "q", "expect_behavior": "answer"}\n', encoding="utf-8")
    result = run(corpus_settings, path)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: question set bad.jsonl has 2 problems:")
    assert "bad.jsonl line 1: field 'expect_facts': regex '(' does not compile" in result.stderr
    assert "bad.jsonl line 2: field 'id': 'a' is also used on line 1" in result.stderr
