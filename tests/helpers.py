"""Helpers shared by the tests: a conversation with the assistant, and serving something on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMA = Path(sys.executable).parent / "chroma"
# Direct to 127.0.0.1, whatever proxy the environment names.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def chat(assistant, *questions: str) -> list:
    """The answers to ``questions`` asked in turn in one conversation, as a chat keeps its state."""
    state = assistant.conversation()
    return [assistant.answer(q, conversation=state) for q in questions]


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


class ChromaServer:
    """`chroma run` on a fixed port and folder, so it can be stopped and started again as the same store."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.folder / "data"), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, (self.folder / "server.log").read_text(errors="replace")
            try:
                LOCAL.open(f"{self.url}/api/v2/heartbeat", timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "chroma run did not answer in 60 s"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@contextmanager
def chromium_browser() -> Iterator:
    """Debian's chromium through playwright (never `playwright install`, which downloads a browser)."""
    import shutil

    import pytest
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian chromium not found: run `bash scripts/setup.sh test` (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def assert_accessible(page, name: str, impacts: tuple[str, ...] | None = None) -> None:
    """axe-core over the whole page: no violations of any impact (or of the ``impacts`` given)."""
    from axe_playwright_python.sync_playwright import Axe

    # Audit the settled page: while an event runs, Gradio fades the updating component (pale text).
    page.wait_for_function("""() => !document.querySelector('.pending') && ![...document.querySelectorAll(
        '[data-testid=status-tracker]')].some(e => !e.classList.contains('hide'))
        && document.getAnimations().every(a => a.playState !== 'running')""")
    time.sleep(0.3)  # fade-in transitions that are not reported as animations
    violations = [v for v in Axe().run(page).response["violations"] if impacts is None or v["impact"] in impacts]

    def where(node: dict) -> str:
        return f"{node['target']} {node['html'][:120]} {node.get('failureSummary', '')[:300]}".replace("\n", " ")

    report = "; ".join(f"{v['id']} ({v['impact']}): " + ", ".join(where(n) for n in v["nodes"][:3])
                       for v in violations)
    assert not violations, f"{name}: {report}"
