"""The patient chat page: a thin Gradio adapter over ui.chat.respond."""

from __future__ import annotations

import os

import gradio as gr

from assistant.engine import Assistant
from assistant.phrases import NOT_ADVICE_NOTE
from ingest.settings import Settings

from .chat import respond

EXAMPLES = [
    "How many people are in the lupus nephritis study?",
    "Is there a study for children?",
    "Which study is the biggest?",
    "What does the skin lupus study measure?",
]


def create_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    def chat_fn(message, history):
        yield from respond(assistant, message, history)

    with gr.Blocks(title="TrialChat") as app:
        gr.Markdown("# TrialChat\nAsk about the clinical trials of anifrolumab. Every fact links to its source.")
        gr.Markdown(f"**{NOT_ADVICE_NOTE}** In an emergency, call your local emergency number.",
                    elem_id="not-advice")
        gr.ChatInterface(
            chat_fn,
            chatbot=gr.Chatbot(elem_id="chatbot", label="TrialChat", height=520),
            textbox=gr.Textbox(elem_id="question", placeholder="Type your question", label="Your question"),
            examples=EXAMPLES,
            cache_examples=False,
            api_name="chat",
        )
    return app


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    app.queue(default_concurrency_limit=8)
    return app.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=not block,
                      show_error=False, footer_links=[])
