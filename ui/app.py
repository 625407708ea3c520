"""The patient app: chat and trial browser tabs; a thin Gradio adapter over ui.chat.respond.

Evaluation lives in the staff app, behind its login (ui/staff.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import gradio as gr

from assistant.conversation import Conversation
from assistant.engine import Assistant
from assistant.phrases import NOT_ADVICE_NOTE
from ingest.embedding import QUERY_THREADS, set_encode_threads
from ingest.settings import Settings

from . import guide
from .browser_tab import build_trials_tab
from .chat import new_session_id, respond
from .log import REASONS, ConversationLog, valid_text
from .render import question_html, text
from .theme import CSS, HEAD, make_theme
from .web import WebGuard, cap_question, private_temp, quiet_queue, use_upload_dir

logger = logging.getLogger(__name__)

# A short pause between the few streamed steps, so the answer visibly builds up sentence by sentence.
STREAM_PAUSE = 0.03
NOTE_HTML = (f"<p id='not-advice' role='note'>{text(NOT_ADVICE_NOTE)} "
             "In an emergency, call your local emergency number.</p>")
CONFIRM_HTML = "<p id='new-chat-question'>Start a new chat? The conversation on screen will be cleared.</p>"


@dataclass
class ChatState:
    """One browser tab's conversation, kept server-side: the chat shows escaped HTML, the assistant
    needs the questions as typed."""

    session_id: str = field(default_factory=new_session_id)
    questions: list[str] = field(default_factory=list)
    conversation: Conversation = field(default_factory=Conversation)  # what follow-ups continue from
    messages: list[dict] = field(default_factory=list)
    turn_ids: dict[int, int | None] = field(default_factory=dict)  # chat message index -> log row
    disliked: int | None = None  # the log row waiting for an optional "what was wrong?"


def feedback_value(liked) -> str | None:
    """Gradio sends True/False (or the option's label) for thumbs up/down, anything else to clear."""
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return None


def welcome_markdown(assistant: Assistant) -> str:
    if not assistant.ready:
        return "**Welcome to TrialChat.** The trial entries are not loaded yet; please try again later."
    return f"**Welcome to TrialChat.** {guide.welcome_text(assistant.catalog)}\n\nTry one of these questions:"


def create_app(assistant: Assistant, settings: Settings, log: ConversationLog | None = None) -> gr.Blocks:
    log = log if log is not None else ConversationLog(settings.log_path)
    examples = guide.example_questions(assistant.catalog) if assistant.ready else []

    def with_follow_ups(bot: dict, state: ChatState, answer) -> dict:
        if not assistant.ready:
            return bot
        options = guide.follow_ups(assistant.catalog, answer, state.questions)
        return {**bot, "options": [{"label": q, "value": q} for q in options]} if options else bot

    def ask(message, state: ChatState | None):
        state = state if isinstance(state, ChatState) else ChatState()
        message = message if isinstance(message, str) else (message or {}).get("text", "")
        message = valid_text(cap_question(message or "", settings.max_question_chars))
        if not message.strip():
            yield state.messages, state, gr.skip(), gr.skip()
            return
        shown = [*state.messages, {"role": "user", "content": question_html(message)}]
        clear = ""  # empty the question box once, on the first step only
        hide = gr.update(visible=False)  # a new question closes an open "what was wrong?"
        for reply in respond(assistant, message, session_id=state.session_id, log=log,
                             conversation=state.conversation):
            bot = {"role": "assistant", "content": reply.html}
            if reply.final:
                state.messages = [*shown, bot]
                state.questions.append(message)
                state.turn_ids[len(shown)] = reply.turn_id
                state.disliked = None
                bot = with_follow_ups(bot, state, reply.answer)
            yield [*shown, bot], state, clear, hide
            clear = hide = gr.skip()
            if not reply.final:
                time.sleep(STREAM_PAUSE)

    def ask_selected(state: ChatState | None, data: gr.SelectData):
        value = data.value
        message = value.get("text", "") if isinstance(value, dict) else str(value or "")
        yield from ask(message, state)

    def feedback(state: ChatState | None, data: gr.LikeData):
        turn_id = state.turn_ids.get(data.index) if isinstance(state, ChatState) else None
        value = feedback_value(data.liked)
        log.set_feedback(turn_id, value)
        if isinstance(state, ChatState):
            state.disliked = turn_id if value == "down" else None
        return state, gr.update(visible=value == "down" and turn_id is not None), None, ""

    def send_reason(state: ChatState | None, reason: str | None, detail: str):
        turn_id = state.disliked if isinstance(state, ChatState) else None
        if turn_id is not None and (reason or (detail or "").strip()):
            log.set_reason(turn_id, reason or "other", detail or "")
        if isinstance(state, ChatState):
            state.disliked = None
        return state, gr.update(visible=False)

    def new_chat():
        hide = gr.update(visible=False)
        return [], None, hide, hide, gr.update(visible=True)

    with gr.Blocks(title="TrialChat", analytics_enabled=False) as app:
        gr.HTML("<header class='tc-header'><h1>TrialChat</h1><p>Questions about clinical trials, answered from "
                "the trial entries. Every fact has a numbered source you can open.</p></header>")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat", elem_id="chat-tab"):
                state = gr.State(None)
                chatbot = gr.Chatbot(elem_id="chatbot", label="Conversation", min_height=260,
                                     latex_delimiters=[], allow_tags=False, sanitize_html=True,
                                     feedback_options=("Like", "Dislike"), buttons=[], autoscroll=False,
                                     placeholder=welcome_markdown(assistant),
                                     examples=[{"text": q} for q in examples])
                with gr.Group(visible=False, elem_id="dislike-box") as dislike_box:
                    reason = gr.Radio([(label, key) for key, label in REASONS.items()], elem_id="dislike-reason",
                                      label="What was wrong? (optional)")
                    detail = gr.Textbox(label="Anything else? (optional, please no personal details)", lines=1,
                                        max_lines=3, elem_id="dislike-text")
                    with gr.Row():
                        send_why = gr.Button("Send", variant="primary", size="sm", elem_id="dislike-send")
                        skip_why = gr.Button("Skip", size="sm", elem_id="dislike-skip")
                with gr.Row(equal_height=True, elem_id="chat-tools"):
                    gr.HTML(NOTE_HTML, elem_id="note-box")
                    new_btn = gr.Button("New chat", size="sm", elem_id="new-chat", scale=0, min_width=110)
                with gr.Group(visible=False, elem_id="new-chat-confirm") as confirm_box:
                    gr.HTML(CONFIRM_HTML)
                    with gr.Row():
                        confirm = gr.Button("Yes, start a new chat", variant="primary", size="sm",
                                            elem_id="new-chat-yes")
                        cancel = gr.Button("Keep this chat", size="sm", elem_id="new-chat-no")
                with gr.Row(equal_height=True, elem_id="ask-row"):
                    question = gr.Textbox(elem_id="question", label="Your question", placeholder="Type your question",
                                          lines=1, max_lines=4, scale=5, autofocus=False)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
            with gr.Tab("Trials", id="trials", elem_id="trials-tab"):
                build_trials_tab(assistant, app)

        outputs = [chatbot, state, question, dislike_box]
        private = {"api_visibility": "private"}
        # One public API endpoint (/chat); the button, suggestions and feedback are for the page only.
        question.submit(ask, [question, state], outputs, api_name="chat")
        send.click(ask, [question, state], outputs, **private)
        chatbot.example_select(ask_selected, state, outputs, **private)
        chatbot.option_select(ask_selected, state, outputs, **private)
        chatbot.like(feedback, state, [state, dislike_box, reason, detail], **private)
        send_why.click(send_reason, [state, reason, detail], [state, dislike_box], **private)
        skip_why.click(lambda s: send_reason(s, None, ""), state, [state, dislike_box], **private)
        # "New chat" asks first; the new chat also forgets the history, so it starts a new session.
        new_btn.click(lambda: (gr.update(visible=True), gr.update(visible=False)), None, [confirm_box, new_btn],
                      **private)
        cancel.click(lambda: (gr.update(visible=False), gr.update(visible=True)), None, [confirm_box, new_btn],
                     **private)
        confirm.click(new_chat, None, [chatbot, state, dislike_box, confirm_box, new_btn], **private)

        def welcome():
            # Each page load describes what the store holds now (an ingest may have changed it).
            assistant.refresh()
            found = guide.example_questions(assistant.catalog) if assistant.ready else []
            return gr.update(placeholder=welcome_markdown(assistant), examples=[{"text": q} for q in found])

        app.load(welcome, None, chatbot, **private)
    private_temp(app, "patient")
    return app


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, concurrency: int = 8):
    from starlette.middleware import Middleware

    quiet_queue()
    set_encode_threads(QUERY_THREADS)
    app.queue(default_concurrency_limit=concurrency)
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
