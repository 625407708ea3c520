"""The trial browser tab: every entry in a filterable table; one entry in full with where it came from.

Entries come from the assistant's catalog (what was ingested), never from corpus files, so the tab
shows exactly what the answers are built from.
"""

from __future__ import annotations

import gradio as gr

from assistant.catalog import TrialDoc
from assistant.engine import Assistant

from . import guide
from .render import text, trial_link

COLUMNS = ["Trial", "What it studies", "Phase", "People", "Status"]
NOT_STATED = "not stated"
PICK = "<p>Pick a trial to read its entry.</p>"
FIELDS = [
    ("id", "Trial id"), ("title", "Title"), ("short_name", "Short name"),
    ("conditions", "Condition"), ("phase", "Phase"), ("enrollment", "Number of people"),
    ("population", "Who it is for"), ("ages", "Ages"), ("includes_children", "Includes children"),
    ("design", "Design"), ("intervention", "Treatment"), ("route", "How it is given"),
    ("comparator", "Compared with"), ("primary_endpoint", "Main thing it measures"),
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


def condition_html(entry) -> str:
    plain, medical = guide.condition_words(entry)
    medical_html = f"<br><span class='tc-medical'>medical term: {text(medical)}</span>" if medical else ""
    return f"{text(plain)}{medical_html}"


def trial_rows(assistant: Assistant, query: str = "") -> list[list]:
    """One row per trial in the catalog's order, as plain text; ``query`` keeps rows holding every word."""
    catalog = assistant.catalog
    words = query.lower().split()
    rows = []
    for trial_id in catalog.order:
        e = catalog.trials[trial_id].entry
        plain, medical = guide.condition_words(e)
        row = [e.id, guide.trial_name(e), f"{plain} ({medical})" if medical else plain, e.phase or NOT_STATED,
               _value(e.enrollment), guide.status_words(e.status)]
        haystack = " ".join([*row, e.title, e.population, _value(e.conditions)]).lower()
        if all(w in haystack for w in words):
            rows.append(row)
    return rows


def table_html(assistant: Assistant, query: str = "") -> str:
    if not assistant.ready:
        return "<p>The trial entries are not loaded yet.</p>"
    rows = trial_rows(assistant, query)
    if not rows:
        return f"<p role='status'>No trial matches “{text(query)}”.</p>"
    body = "".join(
        f"<tr><th scope='row'>{text(name[:1].upper() + name[1:])}<br>{trial_link(trial_id)}</th>"
        f"<td>{condition_html(assistant.catalog.trials[trial_id].entry)}</td><td>{text(phase)}</td>"
        f"<td>{text(people)}</td><td>{text(status)}</td></tr>"
        for trial_id, name, _, phase, people, status in rows)
    head = "".join(f"<th scope='col'>{c}</th>" for c in COLUMNS)
    count = len(rows)
    return (f"<table class='tc-table tc-trials'><caption>{count} trial{'s' if count != 1 else ''}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def choices(assistant: Assistant) -> list[tuple[str, str]]:
    catalog = assistant.catalog
    return [(f"{guide.trial_name(catalog.trials[t].entry)} ({t})", t) for t in catalog.order]


def entry_html(doc: TrialDoc) -> str:
    e = doc.entry

    def value(name: str) -> str:
        if name == "conditions":
            return condition_html(e)
        if name == "status":
            return text(guide.status_words(e.status))
        return text(_value(getattr(e, name)))

    facts = "".join(f"<dt>{text(label)}</dt><dd>{value(name)}</dd>" for name, label in FIELDS)
    chunks = sorted(doc.chunks.values(), key=lambda n: n.metadata.get("position", 0))
    # Each passage as a chat source card shows it: the same heading, the same words.
    passages = "".join(
        f"<section class='tc-passage-card'><h4>{text(e.id)} · {text(e.title)} · {text(n.metadata.get('section'))}"
        f"</h4><p>{text(n.get_content())}</p></section>" for n in chunks)
    return (
        f"<article class='tc-entry' aria-label='{text(guide.trial_name(e))}'>"
        f"<h2>{text(e.title)}</h2><dl>{facts}</dl>"
        f"<h3>Passages TrialChat cites</h3><p>Answers about this trial quote these passages; "
        f"a number like [1] in an answer opens one of them.</p>{passages}"
        f"<details class='tc-origin'><summary>Where these facts come from</summary><p>{text(e.source)}</p></details>"
        "</article>"
    )


def build_trials_tab(assistant: Assistant, app: gr.Blocks) -> None:
    """Add the tab's components to the Blocks being built; data loads with the page (fresh after ingest)."""
    gr.Markdown("Every trial TrialChat knows, in plain words. Type to filter, then open a trial to read its entry.")
    query = gr.Textbox(label="Filter trials", placeholder="e.g. a condition, a phase or a trial id",
                       elem_id="trial-filter", max_lines=1)
    table = gr.HTML(elem_id="trials-table")
    picked = gr.Dropdown(choices=[], label="Trial to show", elem_id="trial-pick", value=None)
    # The page script writes a trial id here when a trial link is selected (in the table or a source).
    opener = gr.Textbox(visible="hidden", elem_id="trial-open", label="Trial to open", max_lines=1)
    detail = gr.HTML(PICK, elem_id="trial-detail")

    def load(query_text: str):
        assistant.refresh()
        if not assistant.ready:
            return table_html(assistant), gr.update(choices=[])
        return table_html(assistant, query_text or ""), gr.update(choices=choices(assistant))

    def show(trial_id: str | None) -> str:
        doc = assistant.catalog.trials.get(trial_id or "") if assistant.ready else None
        return entry_html(doc) if doc else PICK

    def open_trial(trial_id: str):
        trial_id = (trial_id or "").strip().split("|")[0]
        return (trial_id, show(trial_id)) if assistant.ready and trial_id in assistant.catalog.trials else \
            (gr.update(), gr.update())

    private = {"api_visibility": "private"}
    app.load(load, query, [table, picked], **private)
    query.change(lambda q: table_html(assistant, q or ""), query, table, **private)
    picked.change(show, picked, detail, **private)
    opener.change(open_trial, opener, [picked, detail], **private)
