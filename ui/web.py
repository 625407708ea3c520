"""What both Gradio apps share at the HTTP layer: security headers, strict cookies, request limits and
a private temp folder per app.

Gradio serves any file under its temp folder through ``/gradio_api/file=``, and that folder is one
per process by default (``GRADIO_TEMP_DIR``). Each app here gets its own 0700 subfolder, and its
file route serves that subfolder only; the patient app, which has no file inputs or outputs,
answers no file or upload route at all.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

# Gradio's page needs its inline bootstrap script and inline styles, and gr.HTML evaluates its
# templates with Function() ('unsafe-eval'; checked in chromium: without it the HTML blocks stay empty).
# Every script still comes from this origin; escaping (ui/render.py) keeps text from becoming markup.
# data:/blob: images carry the evaluation charts and Gradio's icons.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# A chat request is a question and a little state; anything this large is not a question.
MAX_BODY_BYTES = 64 * 1024
# Routes that read or write files. The patient app has no file components, so it answers none of them.
FILE_ROUTES = tuple(prefix + route for prefix in ("", "/gradio_api") for route in (
    "/file=", "/file/", "/upload", "/upload_progress", "/stream/", "/proxy=", "/deep_link"))
UPLOAD_ROUTES = ("/gradio_api/upload", "/upload")
_SAMESITE = re.compile(rb";\s*samesite=[a-z]+", re.IGNORECASE)


def strict_cookie(value: bytes) -> bytes:
    """A Set-Cookie value with SameSite=strict, whatever Gradio asked for."""
    return _SAMESITE.sub(b"", value) + b"; SameSite=strict"


def cap_question(message: str, limit: int) -> str:
    """Cut a question before it reaches session state or the log: one character past ``limit`` is
    kept, so the assistant still sees that it was cut and says so in the answer."""
    return message if len(message) <= limit + 1 else message[: limit + 1]


class WebGuard:
    """ASGI middleware for both apps: security headers on every response, SameSite=strict cookies, a
    cap on request bodies (uploads excepted: Gradio's ``max_file_size`` caps those), and with
    ``no_files`` a 404 for every file and upload route."""

    def __init__(self, app, no_files: bool = False, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.no_files = no_files
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(send)
        path = scope.get("path", "")
        if self.no_files and path.startswith(FILE_ROUTES):
            await _reply(send, 404, "Not found")
            return
        if scope.get("method") in ("POST", "PUT", "PATCH") and not path.startswith(UPLOAD_ROUTES):
            length = dict(scope.get("headers", [])).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                logger.warning("request to %s refused: body of %s bytes over %d", path, length.decode(
                    "latin-1"), self.max_body)
                await _reply(send, 413, f"Request too large (limit {self.max_body} bytes)")
                return
            receive = self._capped(receive)
        await self.app(scope, receive, send)

    def _capped(self, receive):
        """A body without a length header is counted as it arrives and cut off at the cap."""
        seen = 0

        async def wrapped():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    return {"type": "http.disconnect"}
            return message

        return wrapped

    @staticmethod
    def _with_headers(send):
        async def wrapped(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = [(k, strict_cookie(v) if k.lower() == b"set-cookie" else v)
                           for k, v in message.get("headers", [])]
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        return wrapped


async def _reply(send, status: int, detail: str, extra: list | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


def quiet_queue() -> None:
    """Before ``Blocks.queue()``: no usage analytics, and no per-event statistics.

    Gradio's queue keeps the last 10,000 events and rebuilds a pandas summary of all of them after
    every event, for a monitoring page these apps do not serve (``enable_monitoring=False``); on a
    server that has answered for a while that costs more CPU than the answer itself.
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["GRADIO_ANALYTICS_MAX_EVENTS"] = "1"
    os.environ["GRADIO_ANALYTICS_CACHE_FREQUENCY"] = str(2**62)


def private_temp(app, name: str) -> Path:
    """Give a Blocks app (and every component in it) its own 0700 temp folder; removed at exit.

    Call after the layout is built; ``use_upload_dir`` does the same for the server after launch.
    """
    from gradio.utils import get_upload_folder

    # Inside Gradio's upload folder, because Gradio only accepts an upload (preprocess) from there;
    # the app's server is then pointed at this subfolder alone (use_upload_dir).
    base = Path(get_upload_folder())
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"trialchat-{name}-", dir=base))  # mkdtemp makes it 0700
    atexit.register(shutil.rmtree, folder, True)
    for block in (app, *app.blocks.values()):
        block.GRADIO_CACHE = str(folder)
    app.trialchat_temp = folder
    return folder


def use_upload_dir(app) -> None:
    """After launch: uploads (and the files the file route may serve) go to the app's own folder."""
    folder = getattr(app, "trialchat_temp", None)
    server = getattr(app, "server_app", None)
    if folder is not None and server is not None:
        server.uploaded_file_dir = str(folder)
