"""The Evaluation tab: upload a question set, run it with progress, see metrics, charts and failures.

The work is done by evaluation.dataset / runner / report; this module only lays their output out.
``evaluate_file`` is plain Python (testable without Gradio); the tab wraps it with gr.Progress.
"""

from __future__ import annotations

import atexit
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from assistant.engine import Assistant
from evaluation.dataset import load_question_set
from evaluation.metrics import HIGHER_IS_BETTER, METRIC_NAMES
from evaluation.report import behavior_chart, fmt, histogram, write_html
from evaluation.runner import failing, run_eval
from ingest.errors import TrialChatError

from .render import text

logger = logging.getLogger(__name__)

METRIC_HEADERS = ["Metric", "Value", "Better when"]


@dataclass
class EvalView:
    summary: str
    metrics: list[list]
    charts_html: str
    failures_html: str
    report_path: Path | None = None
    json_path: Path | None = None


def metric_rows(metrics: dict) -> list[list]:
    return [[name, fmt(metrics.get(name)), "higher" if name in HIGHER_IS_BETTER else "lower"]
            for name in METRIC_NAMES]


def charts_html(report: dict) -> str:
    metrics, records = report["metrics"], report["items"]
    by_expected = metrics["behavior_by_expected"]
    latencies = [r["latency_ms"] for r in records]
    grades = [r["fk_grade"] for r in records if r["behavior"] == "answer" and r["fk_grade"] is not None]
    charts = [
        (behavior_chart(by_expected), "Bar chart of behaviour accuracy: " + (
            "; ".join(f"{b} {row['correct']} of {row['items']} correct" for b, row in by_expected.items())
            or "no items")),
        (histogram(latencies, "Latency", "milliseconds", "no items"),
         f"Histogram of answer latency: median {fmt(metrics['latency_p50_ms'])} ms, "
         f"95th percentile {fmt(metrics['latency_p95_ms'])} ms"),
        (histogram(grades, "Readability (Flesch-Kincaid grade)", "grade", "no answers scored"),
         f"Histogram of reading grade over {len(grades)} answers: median {fmt(metrics['fk_grade_median'])}"),
    ]
    figures = "".join(f"<figure><img src='data:image/png;base64,{png}' alt='{text(alt)}'>"
                      f"<figcaption>{text(alt)}</figcaption></figure>" for png, alt in charts)
    return f"<div class='tc-charts'>{figures}</div>"


def failures_html(report: dict) -> str:
    failures = failing(report)
    if not failures:
        return "<p>No failing items.</p>"
    rows = []
    for r in failures:
        problems = []
        if not r["checks"]["behavior_ok"]:
            problems.append(f"behaviour {r['behavior']}, expected {' or '.join(r['expected']['behavior'])}")
        if r["checks"]["trials_missing"]:
            problems.append("not cited: " + ", ".join(r["checks"]["trials_missing"]))
        problems += [f"fact /{f['pattern']}/ missing" for f in r["checks"]["facts"] if not f["ok"]]
        invalid = r["checks"]["invalid_citations"]
        if invalid["dangling_markers"] or invalid["unused_citations"]:
            problems.append("citation markers do not match sources")
        if r.get("error"):
            problems.append(f"error: {r['error']}")
        rows.append(f"<tr><td>{text(r['id'])}</td><td>{text(r['question'])}</td>"
                    f"<td>{text('; '.join(problems))}</td><td>{text(r['answer'])}</td></tr>")
    return ("<table class='tc-table'><caption>Failing items</caption><thead><tr><th scope='col'>Item</th>"
            "<th scope='col'>Question</th><th scope='col'>What failed</th><th scope='col'>Answer</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def evaluate_file(assistant: Assistant, path: str | Path, progress=None, out_dir: Path | None = None) -> EvalView:
    """Load, run and lay out one question set; ``progress(done, total)`` is called after each item.

    A question set with problems gives a view whose summary lists them (no exception).
    """
    try:
        question_set = load_question_set(path)
    except TrialChatError as exc:
        return EvalView(f"**The question set cannot be used.**\n\n```\n{exc}\n```", [], "", "")
    report = run_eval(assistant, question_set,
                      progress=(lambda done, total, _record: progress(done, total)) if progress else None)
    metrics = report["metrics"]
    # Gradio serves only files from its temp/cache folders, so the downloadable reports go to a temp dir.
    if out_dir is None:
        out_dir = Path(tempfile.mkdtemp(prefix="trialchat-eval-"))  # 0700; Gradio copies what it offers
        atexit.register(shutil.rmtree, out_dir, True)
    out_dir = Path(out_dir)
    report_path = write_html(report, out_dir / "eval-report.html")
    json_path = out_dir / "eval-report.json"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    summary = (f"**{metrics['passed']} of {metrics['items']} items passed every check** "
               f"(question set `{Path(path).name}`, sha256 {question_set.sha256[:12]}…).")
    return EvalView(summary, metric_rows(metrics), charts_html(report), failures_html(report), report_path, json_path)


def build_eval_tab(assistant: Assistant) -> None:
    gr.Markdown("Upload a question set (JSONL, one item per line: id, question, expect_behavior, and optionally "
                "history, expect_trials, expect_facts), then run it against the assistant.")
    upload = gr.File(label="Question set (.jsonl)", file_types=[".jsonl", ".yaml", ".yml"], type="filepath",
                     elem_id="eval-file")
    run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    summary = gr.Markdown(elem_id="eval-summary")
    metrics = gr.Dataframe(headers=METRIC_HEADERS, datatype="str", type="array", interactive=False,
                           label="Metrics", elem_id="eval-metrics")
    charts = gr.HTML(elem_id="eval-charts")
    failures = gr.HTML(elem_id="eval-failures")
    # Hidden until a run: Gradio's empty File puts aria-label on a role-less div (axe, serious).
    downloads = gr.File(label="Full report (HTML and JSON)", file_count="multiple", interactive=False,
                        elem_id="eval-downloads", visible=False)

    def run_ui(path: str | None, progress=gr.Progress()):  # noqa: B008 - Gradio injects progress this way
        if not path:
            return "**Upload a question set first.**", [], "", "", gr.update(visible=False)
        view = evaluate_file(assistant, path, lambda done, total: progress((done, total), desc="Evaluating"))
        files = [str(p) for p in (view.report_path, view.json_path) if p]
        return view.summary, view.metrics, view.charts_html, view.failures_html, gr.update(value=files or None,
                                                                                      visible=bool(files))

    run.click(run_ui, upload, [summary, metrics, charts, failures, downloads], api_visibility="private",
              concurrency_limit=1, concurrency_id="evaluation")
