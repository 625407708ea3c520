"""Helpers shared by the tests that serve something on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving_patient_app(assistant, settings, log) -> Iterator[str]:
    """The real patient app on a free loopback port; yields its URL and closes it afterwards."""
    from ui.app import create_app, launch

    app = create_app(assistant, settings, log)
    port = free_port()
    launch(app, "127.0.0.1", port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
