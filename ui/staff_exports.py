"""Staff CSV exports: written 0600 into a private 0700 folder, offered once behind the staff login,
deleted after the download or after EXPORT_TTL seconds.

They never go through Gradio's file route, whose folder other apps in the process could serve.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

EXPORT_TTL = 600  # seconds an offered export (patient text) waits for its one download
ROUTE = "/staff-export/"


class Exports:
    def __init__(self, folder: Path | None = None, ttl: float = EXPORT_TTL):
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="trialchat-staff-exports-"))
            atexit.register(shutil.rmtree, folder, True)
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        self.ttl = ttl
        self._offers: dict[str, tuple[Path, float]] = {}
        self._lock = threading.Lock()

    def new_path(self) -> Path:
        """An empty 0600 file for the next export (older leftovers are removed first)."""
        self.sweep()
        path = self.folder / f"turns-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.csv"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return path

    def offer(self, path: Path) -> str:
        """A one-time download token for ``path``; the file is deleted when the token expires."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._offers[token] = (Path(path), time.monotonic() + self.ttl)
        timer = threading.Timer(self.ttl + 1, self.sweep)
        timer.daemon = True
        timer.start()
        return token

    def url(self, token: str, path: Path) -> str:
        return f"{ROUTE.lstrip('/')}{token}/{path.name}"

    def take(self, token: str) -> Path | None:
        """The file for ``token``, once; None when unknown, used or expired."""
        with self._lock:
            offer = self._offers.pop(token, None)
        if offer is None:
            return None
        path, expires = offer
        if time.monotonic() > expires:
            path.unlink(missing_ok=True)
            return None
        return path

    def sweep(self) -> None:
        """Delete expired offers and any export file not on offer that is older than the ttl."""
        now = time.monotonic()
        with self._lock:
            expired = [t for t, (_, exp) in self._offers.items() if exp < now]
            for token in expired:
                self._offers.pop(token)[0].unlink(missing_ok=True)
            offered = {p for p, _ in self._offers.values()}
        cutoff = time.time() - self.ttl
        for old in self.folder.glob("turns-*.csv"):
            try:
                if old not in offered and old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)
            except OSError:
                continue


def export_link(url: str, count: int, ttl: float = EXPORT_TTL) -> str:
    plural = "s" if count != 1 else ""
    return (f"<p><a class='tc-download' href='{html.escape(url)}' download>Download the CSV ({count} turn{plural})</a> "
            f"The link works once, for {int(ttl // 60)} minutes; the file is then deleted.</p>")


class ExportDownloads:
    """ASGI middleware, installed inside LoginGuard: serves ``/staff-export/<token>/<name>`` once and
    deletes the file."""

    def __init__(self, app, exports: Exports):
        self.app = app
        self.exports = exports

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(ROUTE):
            await self.app(scope, receive, send)
            return
        token = path[len(ROUTE):].split("/", 1)[0]
        found = self.exports.take(token) if scope.get("method") == "GET" else None
        if found is None or not found.exists():
            body = b'{"detail": "Not found: an export link works once and expires"}'
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            body = found.read_bytes()
        finally:
            found.unlink(missing_ok=True)
        logger.info("staff export %s downloaded and deleted", found.name)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/csv; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"content-disposition", f'attachment; filename="{found.name}"'.encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
