"""The patient app: chat and trial browser tabs; a thin Gradio adapter over ui.chat.respond.

Evaluation lives in the staff app, behind its login (ui/staff.py).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import gradio as gr

from assistant.engine import Assistant
from assistant.phrases import NOT_ADVICE_NOTE
from ingest.settings import Settings

from .browser_tab import build_trials_tab
from .chat import new_session_id, respond
from .log import ConversationLog, valid_text
from .render import question_html, text
from .theme import CSS, HEAD, make_theme
from .web import WebGuard, cap_question, private_temp, use_upload_dir

logger = logging.getLogger(__name__)

EXAMPLES = [
    "How many people are in the lupus nephritis study?",
    "Is there a study for children?",
    "Which study is the biggest?",
    "What does the skin lupus study measure?",
]
# A short pause between streamed steps, so the answer visibly builds up instead of arriving at once.
STREAM_PAUSE = 0.03
NOTE_HTML = (f"<p id='not-advice' role='note'>{text(NOT_ADVICE_NOTE)} "
             "In an emergency, call your local emergency number.</p>")


@dataclass
class ChatState:
    """One browser tab's conversation, kept server-side: the chat shows escaped HTML, the assistant
    needs the questions as typed."""

    session_id: str = field(default_factory=new_session_id)
    questions: list[str] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    turn_ids: dict[int, int | None] = field(default_factory=dict)  # chat message index -> log row


def feedback_value(liked) -> str | None:
    """Gradio sends True/False (or the option's label) for thumbs up/down, anything else to clear."""
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return None


def create_app(assistant: Assistant, settings: Settings, log: ConversationLog | None = None) -> gr.Blocks:
    log = log if log is not None else ConversationLog(settings.log_path)

    def ask(message, state: ChatState | None):
        state = state if isinstance(state, ChatState) else ChatState()
        message = message if isinstance(message, str) else (message or {}).get("text", "")
        message = valid_text(cap_question(message or "", settings.max_question_chars))
        if not message.strip():
            yield state.messages, state, gr.skip()
            return
        shown = [*state.messages, {"role": "user", "content": question_html(message)}]
        clear = ""  # empty the question box once, on the first step only
        for reply in respond(assistant, message, state.questions, session_id=state.session_id, log=log):
            bot = {"role": "assistant", "content": reply.html}
            if reply.final:
                state.messages = [*shown, bot]
                state.questions.append(message)
                state.turn_ids[len(shown)] = reply.turn_id
            yield [*shown, bot], state, clear
            clear = gr.skip()
            if not reply.final:
                time.sleep(STREAM_PAUSE)

    def feedback(state: ChatState | None, data: gr.LikeData):
        turn_id = state.turn_ids.get(data.index) if isinstance(state, ChatState) else None
        log.set_feedback(turn_id, feedback_value(data.liked))

    with gr.Blocks(title="TrialChat", analytics_enabled=False) as app:
        gr.HTML("<header class='tc-header'><h1>TrialChat</h1><p>Ask about the clinical trials of anifrolumab. "
                "Every fact links to its source: select a number like [1] to read it.</p></header>")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                state = gr.State(None)
                chatbot = gr.Chatbot(elem_id="chatbot", label="Conversation", height="60vh", min_height=280,
                                     latex_delimiters=[], allow_tags=False, sanitize_html=True,
                                     feedback_options=("Like", "Dislike"), buttons=[], autoscroll=True)
                gr.HTML(NOTE_HTML)
                with gr.Row(equal_height=True):
                    question = gr.Textbox(elem_id="question", label="Your question", placeholder="Type your question",
                                          lines=1, max_lines=4, scale=5, autofocus=False)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                gr.Examples(EXAMPLES, inputs=question, label="Example questions (select one, then Ask)")
            with gr.Tab("Trials", id="trials"):
                build_trials_tab(assistant, app)

        # One public API endpoint (/chat); the button and the feedback are for the page only.
        question.submit(ask, [question, state], [chatbot, state, question], api_name="chat")
        send.click(ask, [question, state], [chatbot, state, question], api_visibility="private")
        chatbot.like(feedback, state, None, api_visibility="private")
        # The bin icon clears the chat; drop the history too, so the next question starts a new session.
        chatbot.clear(lambda: None, None, state, api_visibility="private")
    private_temp(app, "patient")
    return app


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    from starlette.middleware import Middleware

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    app.queue(default_concurrency_limit=8)
    # run_history=False: Gradio would otherwise keep each patient's questions in the browser's storage.
    # No file routes at all (WebGuard no_files): the patient page neither uploads nor downloads.
    result = app.launch(server_name=host, server_port=port, prevent_thread_lock=True, share=False,
                        show_error=False, footer_links=[], run_history=False, ssr_mode=False, mcp_server=False,
                        pwa=False, enable_monitoring=False, max_file_size="1kb", css=CSS, head=HEAD,
                        theme=make_theme(), quiet=True,
                        app_kwargs={"middleware": [Middleware(WebGuard, no_files=True)]})
    use_upload_dir(app)
    if block:
        app.block_thread()
    return result
