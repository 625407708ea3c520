"""The served patient app, asked through gradio_client over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(assistant, corpus_settings):
    from ui.app import create_app, launch

    app = create_app(assistant, corpus_settings)
    port = free_port()
    launch(app, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_served_chat_answers_with_citations(served):
    from gradio_client import Client

    client = Client(served, verbose=False)
    reply = client.predict("How many people are in the lupus nephritis study?", api_name="/chat")
    text = reply if isinstance(reply, str) else str(reply)
    assert "336" in text
    assert "[1]" in text and "NCT05138133" in text
