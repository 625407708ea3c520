"""A self-contained HTML report: metrics, charts as inline PNGs, and every failing item in full.

Every piece of text goes through html.escape: answers and questions may hold user text.
"""

from __future__ import annotations

import base64
import io
import logging
from html import escape
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .metrics import HIGHER_IS_BETTER, METRIC_NAMES

logger = logging.getLogger(__name__)

OK, MISS = "#2b6cb0", "#c05621"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1a202c}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #cbd5e0;padding:.25rem .6rem;
text-align:left;vertical-align:top}th{background:#edf2f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:0 1rem 1rem 0}img{max-width:100%;height:auto}
.item{border:1px solid #cbd5e0;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.answer{white-space:pre-wrap;background:#f7fafc;padding:.5rem}.bad{color:#9b2c2c;font-weight:600}
.good{color:#276749}
"""


# -- charts --------------------------------------------------------------------------------------
def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer)  # Agg: no display, and no pyplot global state
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _axes(title: str):
    fig = Figure(figsize=(6.4, 3.4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _empty(ax, message: str) -> None:
    # An empty chart still renders, so the report never shows a broken image.
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def behavior_chart(by_expected: dict[str, dict]) -> str:
    fig, ax = _axes("Behaviour accuracy by expected behaviour")
    if not by_expected:
        _empty(ax, "no items")
        return _png(fig)
    names = list(by_expected)
    values = [by_expected[n]["accuracy"] * 100 for n in names]
    bars = ax.bar(names, values, color=[OK if v >= 100 else MISS for v in values])
    for bar, name in zip(bars, names, strict=True):
        row = by_expected[name]
        ax.annotate(f"{row['correct']}/{row['items']}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, 110)
    ax.set_ylabel("% correct")
    return _png(fig)


def histogram(values: list[float], title: str, xlabel: str, empty: str) -> str:
    fig, ax = _axes(title)
    if not values:
        _empty(ax, empty)
        return _png(fig)
    ax.hist(values, bins=min(20, max(5, len(values) // 3)), color=OK, edgecolor="white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("items")
    return _png(fig)


# -- html ----------------------------------------------------------------------------------------
def fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def _table(header: list[str], rows: list[list], numeric_from: int = 1) -> str:
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f"<td class='num'>{escape(fmt(c))}</td>" if i >= numeric_from else f"<th scope='row'>{escape(fmt(c))}</th>"
            for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(png: str, alt: str, caption: str) -> str:
    return (f"<figure><img class='chart' src='data:image/png;base64,{png}' alt='{escape(alt)}'>"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _charts(report: dict) -> str:
    metrics, records = report["metrics"], report["items"]
    by_expected = metrics["behavior_by_expected"]
    latencies = [r["latency_ms"] for r in records]
    grades = [r["fk_grade"] for r in records if r["behavior"] == "answer" and r["fk_grade"] is not None]
    behaviour_alt = "Bar chart of behaviour accuracy: " + (
        "; ".join(f"{b} {row['correct']} of {row['items']} correct" for b, row in by_expected.items()) or "no items")
    return "".join([
        _figure(behavior_chart(by_expected), behaviour_alt, "Behaviour accuracy by expected behaviour"),
        _figure(histogram(latencies, "Latency", "milliseconds", "no items"),
                f"Histogram of answer latency over {len(latencies)} items: median "
                f"{fmt(metrics['latency_p50_ms'])} ms, p95 {fmt(metrics['latency_p95_ms'])} ms", "Latency"),
        _figure(histogram(grades, "Readability (Flesch-Kincaid grade)", "grade", "no answers scored"),
                f"Histogram of Flesch-Kincaid grade over {len(grades)} answers: median "
                f"{fmt(metrics['fk_grade_median'])}, p90 {fmt(metrics['fk_grade_p90'])}",
                "Readability (Flesch-Kincaid grade) of answers"),
    ])


def _mark(ok: bool | None) -> str:
    return "<span class='good'>ok</span>" if ok else "<span class='bad'>missed</span>"


def _item(r: dict) -> str:
    checks, expected = r["checks"], r["expected"]
    history = "".join(f"<li>{escape(h)}</li>" for h in r["history"])
    citations = "".join(
        f"<li>[{escape(str(c['n']))}] {escape(c['trial_id'])} - {escape(c.get('title', ''))} - "
        f"{escape(c.get('section', ''))}: {escape(c.get('text', ''))}</li>" for c in r["citations"])
    facts = "".join(f"<li><code>{escape(f['pattern'])}</code> {_mark(f['ok'])}</li>" for f in checks["facts"])
    invalid = checks["invalid_citations"]
    rows = [
        ("Behaviour", " or ".join(expected["behavior"]), r["behavior"], checks["behavior_ok"]),
        ("Trials cited", ", ".join(expected["trials"]) or "(none)",
         ", ".join(dict.fromkeys(c["trial_id"] for c in r["citations"])) or "(none)", not checks["trials_missing"]),
        ("Retrieval rank", "an expected trial in the top 5" if expected["trials"] else "(not checked)",
         fmt(checks["retrieval_rank"]), not expected["trials"] or (checks["retrieval_rank"] or 99) <= 5),
        ("Citation markers", "every [n] has a source and every source is used",
         f"dangling {invalid['dangling_markers'] or 'none'}, unused {invalid['unused_citations'] or 'none'}",
         not invalid["dangling_markers"] and not invalid["unused_citations"]),
    ]
    table = "".join(
        f"<tr><th scope='row'>{escape(name)}</th><td>{escape(want)}</td><td>{escape(got)}</td><td>{_mark(ok)}</td></tr>"
        for name, want, got, ok in rows)
    error = f"<p class='bad'>Error: {escape(r['error'])}</p>" if r.get("error") else ""
    return (
        f"<section class='item' id='item-{escape(r['id'])}'><h3>{escape(r['id'])}: {escape(r['question'])}</h3>"
        + (f"<p>Earlier questions:</p><ol>{history}</ol>" if history else "")
        + f"{error}<p>Answer ({escape(r['behavior'])}, {fmt(r['latency_ms'])} ms):</p>"
        f"<div class='answer'>{escape(r['answer']) or '(empty)'}</div>"
        + (f"<p>Citations:</p><ol>{citations}</ol>" if citations else "<p>No citations.</p>")
        + "<table><thead><tr><th scope='col'>Check</th><th scope='col'>Expected</th><th scope='col'>Got</th>"
        f"<th scope='col'>Result</th></tr></thead><tbody>{table}</tbody></table>"
        + (f"<p>Facts (case-insensitive regexes, all must match):</p><ul>{facts}</ul>" if facts else "")
        + "</section>"
    )


def render_html(report: dict) -> str:
    """The whole report as one HTML string with no external resources."""
    config, metrics, records = report["config"], report["metrics"], report["items"]
    metric_rows = [[n, metrics.get(n), "higher" if n in HIGHER_IS_BETTER else "lower"] for n in METRIC_NAMES]
    counts = [[k, v] for k, v in {"items": metrics["items"], "passed": metrics["passed"],
                                  **metrics["counts"]}.items()]
    confusion = metrics["behavior_confusion"]
    actual = sorted({a for row in confusion.values() for a in row})
    confusion_rows = [[e] + [row.get(a, 0) for a in actual] for e, row in confusion.items()]
    config_rows = "".join(f"<tr><th scope='row'>{escape(str(k))}</th><td>{escape(fmt(v))}</td></tr>"
                          for k, v in config.items())
    failures = [r for r in records if not r["passed"]]
    return "".join([
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>TrialChat evaluation</title><style>{STYLE}</style></head><body><main>",
        "<h1>TrialChat evaluation</h1>",
        f"<p>{metrics['passed']} of {metrics['items']} items passed every check.</p>",
        "<h2>Metrics</h2>", _table(["Metric", "Value", "Better"], metric_rows), _table(["Count", "Value"], counts),
        "<h2>Behaviour confusion (rows: expected, columns: actual)</h2>",
        _table(["Expected"] + actual, confusion_rows) if confusion_rows else "<p>No items.</p>",
        "<h2>Charts</h2>", _charts(report),
        f"<h2>Failing items ({len(failures)})</h2>",
        "".join(_item(r) for r in failures) or "<p>None.</p>",
        f"<h2>Configuration</h2><table><tbody>{config_rows}</tbody></table>",
        "</main></body></html>",
    ])


def write_html(report: dict, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    logger.info("wrote HTML report to %s", path)
    return path
