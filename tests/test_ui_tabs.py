"""The trial browser and evaluation tabs' plain functions (no Gradio server needed)."""

from __future__ import annotations

import copy
import json

from ui.browser_tab import COLUMNS, entry_html, table_html, trial_rows
from ui.eval_tab import evaluate_file


def test_trial_table_lists_every_catalog_entry_in_plain_words_and_filters(assistant):
    rows = trial_rows(assistant)
    # The trial id, then one value per column.
    assert len(rows) == len(assistant.catalog.trials) == 10 and all(len(r) == len(COLUMNS) + 1 for r in rows)
    kidney = next(r for r in rows if r[0] == "NCT05138133")
    assert kidney[1] == "kidney lupus study" and kidney[4] == "336" and kidney[3] == "Phase 3"
    # The lay name first, the entry's medical term after it.
    assert kidney[2].startswith("kidney lupus") and "(active proliferative lupus nephritis)" in kidney[2]
    # Status in words: no entry says "recruiting", and the one finished trial says so.
    statuses = {r[5] for r in rows}
    assert statuses == {"not stated in the entry", "finished (completed)"}
    assert [r[0] for r in trial_rows(assistant, "vitiligo")] == ["NCT05917561"]
    assert trial_rows(assistant, "no such words anywhere") == []
    html = table_html(assistant)
    assert "Reference in the source" not in html and html.count('class="tc-trial-link"') == 10
    assert "<th scope='col'>Status</th>" in html


def test_entry_shows_fields_sections_and_source_escaped(assistant):
    doc = copy.deepcopy(assistant.catalog.trials["NCT05917561"])
    html = entry_html(doc)
    assert "Where these facts come from" in html and "trials-overview.txt" in html
    assert "48" in html and "Who can take part" in html
    # No internal labels; each passage headed as a chat source card heads it.
    assert "Reference in the source" not in html
    assert "NCT05917561 · Anifrolumab with light therapy for vitiligo · Who can take part" in html
    doc.entry.title = "<img src=x onerror=alert(1)>"
    doc.entry.source = "<script>alert(1)</script>"
    html = entry_html(doc)
    assert "<img" not in html and "<script" not in html and "&lt;script&gt;" in html


def test_evaluation_runs_a_question_set_with_progress(assistant, tmp_path):
    items = [
        {"id": "kidney", "question": "How many people are in the lupus nephritis study?",
         "expect_trials": ["NCT05138133"], "expect_facts": [r"\b336\b"], "expect_behavior": "answer"},
        {"id": "wrong", "question": "what phase is NCT06015737 <b>x</b>", "expect_trials": ["NCT06015737"],
         "expect_facts": ["phase 7"], "expect_behavior": "answer"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items), encoding="utf-8")
    calls = []
    view = evaluate_file(assistant, path, lambda done, total: calls.append((done, total)), out_dir=tmp_path / "out")
    assert calls == [(1, 2), (2, 2)]
    assert "1 of 2 items passed" in view.summary
    assert dict((r[0], r[1]) for r in view.metrics)["fact_accuracy"] == "0.5"
    assert view.charts_html.count("<img src='data:image/png;base64,") == 3 and "alt='Bar chart" in view.charts_html
    assert "wrong" in view.failures_html and "phase 7" in view.failures_html and "kidney" not in view.failures_html
    assert "<b>x</b>" not in view.failures_html
    assert view.report_path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert json.loads(view.json_path.read_text(encoding="utf-8"))["metrics"]["items"] == 2


def test_evaluation_reports_every_problem_in_a_bad_file(assistant, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
    view = evaluate_file(assistant, path)
    assert "cannot be used" in view.summary and "line 1" in view.summary and "line 2" in view.summary
    assert view.metrics == [] and view.report_path is None
