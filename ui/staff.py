"""The staff review app: list logged turns, check each sentence against its source, record verdicts.

A separate Gradio app from the patient chat, on its own port, behind a login (see staff_auth).
It reads only the conversation log, so it starts without loading the assistant.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import gradio as gr

from assistant.types import BEHAVIORS
from ingest.embedding import QUERY_THREADS, set_encode_threads

from .log import REASONS, VERDICTS, ConversationLog, LogError, TurnFilter
from .staff_auth import LoginGuard, make_checker
from .staff_exports import ExportDownloads, Exports, export_link
from .staff_render import turn_html
from .staff_review import GUIDANCE_HTML, KEYS_JS
from .theme import CSS, make_theme
from .web import WebGuard, private_temp, quiet_queue, use_upload_dir

logger = logging.getLogger(__name__)

ANY = "any"
TABLE_HEADERS = ["Turn", "Time (UTC)", "Session", "Question", "Behaviour", "Feedback", "Verdict"]
FEEDBACK_CHOICES = [("any", ANY), ("thumbs up", "up"), ("thumbs down", "down"), ("no feedback", "none")]
VERDICT_CHOICES = [("any", ANY), ("not reviewed", "none"), ("reviewed", "any-verdict")] + [(v, v) for v in VERDICTS]


def parse_day(value: str, name: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LogError(f"{name} '{value}' is not a date; write it as YYYY-MM-DD") from None


def make_filter(behavior: str, feedback: str, verdict: str, since: str, until: str, text: str,
                session: str = "") -> TurnFilter:
    return TurnFilter(
        behavior=None if behavior in (ANY, "", None) else behavior,
        feedback=None if feedback in (ANY, "", None) else feedback,
        verdict={ANY: None, "": None, None: None, "any-verdict": "any"}.get(verdict, verdict),
        since=parse_day(since, "From"), until=parse_day(until, "To"), text=text or "", session=session or "",
    )


def table_rows(turns: list[dict]) -> list[list]:
    def short(text: str, limit: int = 90) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def feedback(t: dict) -> str:
        reason = REASONS.get(t.get("reason") or "", "")
        return f"{t['feedback']}: {reason}" if t["feedback"] and reason else t["feedback"] or ""

    return [[t["id"], t["created_at"].replace("T", " ").rstrip("Z"), t["session_id"][:8], short(t["question"]),
             t["behavior"], feedback(t), t["verdict"] or ""] for t in turns]


def create_staff_app(log: ConversationLog, export_dir: Path | None = None, assistant=None) -> gr.Blocks:
    """With ``assistant``, an Evaluation tab runs question sets (behind the same login)."""
    exports = Exports(export_dir)

    def list_turns(*filters):
        try:
            turns = log.turns(make_filter(*filters))
        except LogError as exc:
            return gr.update(), f"**Error:** {exc}"
        return table_rows(turns), f"{len(turns)} turn{'s' if len(turns) != 1 else ''} shown."

    def queue_status(session: str) -> str:
        try:
            waiting = log.unreviewed_count(TurnFilter(session=session or ""))
        except LogError as exc:
            return f"**Error:** {exc}"
        where = " in this session" if (session or "").strip() else ""
        return f"**{waiting}** turn{'s' if waiting != 1 else ''} waiting for review{where}."

    def shown(turn: dict | None, message: str = ""):
        """The outputs that show one turn: detail, its id, the note box (empty) and a message."""
        if turn is None:
            return "<p>Pick a turn in the table or type its number.</p>", None, "", message
        earlier = log.conversation(int(turn["id"]))[:-1]
        return turn_html(turn, earlier), int(turn["id"]), turn["note"] or "", message

    def open_turn(turn_id):
        if turn_id in (None, ""):
            return shown(None)
        try:
            turn = log.turn(int(turn_id))
            if turn is None:
                return f"<p>There is no turn {int(turn_id)}.</p>", None, "", ""
            return shown(turn)
        except LogError as exc:
            return f"<p class='tc-error'>Error: {exc}</p>", gr.update(), gr.update(), ""

    def next_turn(current, session, message: str = ""):
        try:
            turn = log.next_unreviewed(TurnFilter(session=session or ""),
                                       exclude=(int(current),) if current not in (None, "") else ())
        except LogError as exc:
            return f"<p class='tc-error'>Error: {exc}</p>", gr.update(), gr.update(), f"**Error:** {exc}"
        if turn is None:
            done = f"{message} " if message else ""
            return ("<p class='tc-done'>No turns are waiting for review. Well done.</p>", None, "",
                    done + "Nothing left to review.")
        return shown(turn, message)

    def pick_row(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.update()

    def make_saver(verdict: str):
        # Explicit parameters: Gradio injects gr.Request only into a plain positional parameter.
        def save(current, note, session, request: gr.Request):
            if current in (None, ""):
                return gr.update(), gr.update(), gr.update(), "**Error:** open a turn first (press n).", gr.update()
            try:
                log.add_verdict(int(current), verdict, note or "", reviewer=request.username or "staff")
            except LogError as exc:
                return gr.update(), gr.update(), gr.update(), f"**Error:** {exc}", gr.update()
            # The next turn in the queue opens at once: reviewing is read, press a key, read on.
            return (*next_turn(current, session, f"Saved: turn {int(current)} is **{verdict}**."),
                    queue_status(session))
        return save

    def export(*filters):
        try:
            path = exports.new_path()
            count = log.export_csv(path, make_filter(*filters))
        except (LogError, OSError) as exc:
            return gr.update(visible=False), f"**Error:** {exc}"
        plural = "s" if count != 1 else ""
        link = export_link(exports.url(exports.offer(path), path), count, exports.ttl)
        return gr.update(value=link, visible=True), f"Exported {count} turn{plural} with their verdicts."

    with gr.Blocks(title="TrialChat staff review", analytics_enabled=False) as app:
        gr.HTML("<header class='tc-header tc-staff-header'><div><h1>TrialChat staff review</h1>"
                "<p>Read each answer against its sources and record a verdict. Keys: <kbd>n</kbd> next unreviewed, "
                "<kbd>1</kbd>–<kbd>4</kbd> verdict, <kbd>Esc</kbd> leaves the note.</p></div>"
                "<a class='tc-logout' href='/logout'>Sign out</a></header>")
        current = gr.State(None)
        with gr.Row(equal_height=True, elem_id="queue-bar"):
            next_btn = gr.Button("Next unreviewed (n)", variant="primary", elem_id="next", scale=0, min_width=200)
            queue = gr.Markdown(elem_id="queue-status")
            session = gr.Textbox(label="Only this session (id or first characters)", elem_id="f-session",
                                 max_lines=1, scale=1)
        with gr.Group(elem_id="verdict-box"):
            with gr.Row(equal_height=True):
                verdict_buttons = [
                    gr.Button(f"{i} · {v.capitalize()}", elem_id=f"verdict-{i}", size="sm",
                              variant="secondary")
                    for i, v in enumerate(VERDICTS, 1)]
            gr.HTML(GUIDANCE_HTML)
            note = gr.Textbox(label="Note (optional: why; saved with the verdict)", lines=1, max_lines=4,
                              elem_id="note")
        saved = gr.Markdown(elem_id="verdict-status")
        detail = gr.HTML("<p>Press <kbd>n</kbd> or select “Next unreviewed” to start.</p>", elem_id="turn-detail")
        with gr.Accordion("Find turns: filters, table and CSV export", open=False, elem_id="finder"):
            with gr.Row(equal_height=True):
                behavior = gr.Dropdown([ANY, *BEHAVIORS, "error"], value=ANY, label="Behaviour", elem_id="f-behavior")
                feedback = gr.Dropdown(FEEDBACK_CHOICES, value=ANY, label="Feedback", elem_id="f-feedback")
                verdict_filter = gr.Dropdown(VERDICT_CHOICES, value=ANY, label="Verdict", elem_id="f-verdict")
            with gr.Row(equal_height=True):
                since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="f-since", max_lines=1)
                until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="f-until", max_lines=1)
                text = gr.Textbox(label="Search question and answer", elem_id="f-text", max_lines=1)
            filters = [behavior, feedback, verdict_filter, since, until, text, session]
            with gr.Row():
                apply = gr.Button("Show turns", variant="primary", elem_id="apply")
                export_btn = gr.Button("Export CSV", elem_id="export")
            status = gr.Markdown(elem_id="list-status")
            table = gr.Dataframe(headers=TABLE_HEADERS, datatype="str", type="array", interactive=False, wrap=True,
                                 label="Turns (select a row to open it)", elem_id="turns", max_height=420)
            # A one-time link behind the login (ui/staff_exports.py), never Gradio's shared file route.
            export_file = gr.HTML(elem_id="export-file", visible=False)
            with gr.Row(equal_height=True):
                turn_id = gr.Number(label="Turn number", precision=0, elem_id="turn-id")
                open_btn = gr.Button("Open turn", elem_id="open")
        # n and 1-4 press the buttons above; typing in a field is never taken as a shortcut.
        gr.HTML("", js_on_load=KEYS_JS, elem_id="keys", padding=False)

        # Staff endpoints are for this page only: "private" keeps them out of the API description.
        private = {"api_visibility": "private"}
        shown_outputs = [detail, current, note, saved]
        app.load(list_turns, filters, [table, status], **private).then(queue_status, session, queue, **private)
        apply.click(list_turns, filters, [table, status], **private)
        text.submit(list_turns, filters, [table, status], **private)
        session.change(queue_status, session, queue, **private)
        next_btn.click(next_turn, [current, session], shown_outputs, **private)
        for button, verdict in zip(verdict_buttons, VERDICTS, strict=True):
            button.click(make_saver(verdict), [current, note, session], [*shown_outputs, queue], **private)
        table.select(pick_row, None, turn_id, **private).then(open_turn, turn_id, shown_outputs, **private)
        open_btn.click(open_turn, turn_id, shown_outputs, **private)
        turn_id.submit(open_turn, turn_id, shown_outputs, **private)
        export_btn.click(export, filters, [export_file, status], **private)
        if assistant is not None:
            from .eval_tab import build_eval_tab

            with gr.Tab("Evaluation", id="evaluation"):
                build_eval_tab(assistant)
    app.trialchat_exports = exports
    private_temp(app, "staff")
    return app


def launch_staff(app: gr.Blocks, users: dict[str, str], host: str = "127.0.0.1", port: int = 7861,
                 block: bool = True):
    """Serve behind Gradio's login plus LoginGuard, which refuses every other route without a session."""
    from starlette.middleware import Middleware

    from evaluation.dataset import MAX_FILE_BYTES

    quiet_queue()
    set_encode_threads(QUERY_THREADS)
    app.queue(default_concurrency_limit=4)
    middleware = [Middleware(WebGuard), Middleware(LoginGuard, title="TrialChat staff sign-in"),
                  Middleware(ExportDownloads, exports=app.trialchat_exports)]
    result = app.launch(
        server_name=host, server_port=port, prevent_thread_lock=True, share=False,
        auth=make_checker(users), auth_message="TrialChat staff only. Sign in with your staff account.",
        app_kwargs={"middleware": middleware},
        show_error=False, footer_links=[], run_history=False, ssr_mode=False, mcp_server=False, pwa=False,
        enable_monitoring=False, max_file_size=MAX_FILE_BYTES, css=CSS, theme=make_theme(), quiet=True,
    )
    use_upload_dir(app)
    if block:
        app.block_thread()
    return result
