"""The trial browser tab: every entry in a filterable table; one entry in full with where it came from.

Entries come from the assistant's catalog (what was ingested), never from corpus files, so the tab
shows exactly what the answers are built from.
"""

from __future__ import annotations

import gradio as gr

from assistant.catalog import TrialDoc
from assistant.engine import Assistant

from .render import text

COLUMNS = ["Trial id", "Condition", "Phase", "People", "Primary endpoint", "Status"]
NOT_STATED = "not stated"
FIELDS = [
    ("id", "Trial id"), ("reference", "Reference in the source"), ("title", "Title"), ("short_name", "Short name"),
    ("conditions", "Conditions"), ("phase", "Phase"), ("enrollment", "Number of people"),
    ("population", "Who it is for"), ("ages", "Ages"), ("includes_children", "Includes children"),
    ("design", "Design"), ("intervention", "Treatment"), ("route", "How it is given"),
    ("comparator", "Compared with"), ("primary_endpoint", "Primary endpoint"),
    ("primary_endpoint_timepoint", "Measured at"), ("status", "Status"),
]


def _value(value) -> str:
    if value is None or value == [] or value == "":
        return NOT_STATED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def trial_rows(assistant: Assistant, query: str = "") -> list[list]:
    """One row per trial in the catalog's order; ``query`` keeps rows containing every word of it."""
    catalog = assistant.catalog
    words = query.lower().split()
    rows = []
    for trial_id in catalog.order:
        e = catalog.trials[trial_id].entry
        row = [e.id, _value(e.conditions), e.phase, _value(e.enrollment), _value(e.primary_endpoint),
               _value(e.status)]
        haystack = " ".join([*row, e.title, e.short_name, e.population]).lower()
        if all(w in haystack for w in words):
            rows.append(row)
    return rows


def choices(assistant: Assistant) -> list[tuple[str, str]]:
    catalog = assistant.catalog
    return [(f"{t} · {catalog.trials[t].entry.short_name}", t) for t in catalog.order]


def entry_html(doc: TrialDoc) -> str:
    e = doc.entry
    facts = "".join(f"<dt>{text(label)}</dt><dd>{text(_value(getattr(e, name)))}</dd>" for name, label in FIELDS)
    chunks = sorted(doc.chunks.values(), key=lambda n: n.metadata.get("position", 0))
    sections = "".join(
        f"<h4>{text(n.metadata.get('section'))}</h4><p>{text(n.get_content())}</p>" for n in chunks)
    return (
        f"<article class='tc-entry' aria-label='{text(e.label)}'>"
        f"<h2>{text(e.title)}</h2><dl>{facts}</dl>"
        f"<h3>Where these facts come from</h3><p class='tc-origin'>{text(e.source)}</p>"
        f"<h3>Passages the assistant quotes</h3>{sections}</article>"
    )


def build_trials_tab(assistant: Assistant, app: gr.Blocks) -> None:
    """Add the tab's components to the Blocks being built; data loads with the page (fresh after ingest)."""
    gr.Markdown("All trial entries the assistant knows. Type to filter, then pick a trial to read its entry.")
    query = gr.Textbox(label="Filter trials", placeholder="e.g. lupus, Phase 3, recruiting", elem_id="trial-filter",
                       max_lines=1)
    table = gr.Dataframe(headers=COLUMNS, datatype="str", type="array", interactive=False, wrap=True,
                         label="Trials (select a row to read the entry)", elem_id="trials-table", max_height=480)
    picked = gr.Dropdown(choices=[], label="Trial to show", elem_id="trial-pick", value=None)
    detail = gr.HTML("<p>Pick a trial to read its entry.</p>", elem_id="trial-detail")

    def load(query_text: str):
        assistant.refresh()
        return trial_rows(assistant, query_text or ""), gr.update(choices=choices(assistant))

    def show(trial_id: str | None) -> str:
        doc = assistant.catalog.trials.get(trial_id or "")
        return entry_html(doc) if doc else "<p>Pick a trial to read its entry.</p>"

    def pick_row(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.update()

    private = {"api_visibility": "private"}
    app.load(load, query, [table, picked], **private)
    query.change(lambda q: trial_rows(assistant, q or ""), query, table, **private)
    table.select(pick_row, None, picked, **private)
    picked.change(show, picked, detail, **private)
