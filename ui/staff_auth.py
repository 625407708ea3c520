"""Who may use the staff app, and a guard that keeps every route but the login page behind login.

Gradio's ``launch(auth=...)`` shows the login form and issues the session cookie, but a few of its
routes answer without it (the page embeds the API description; stream, heartbeat, cancel and
run-history routes skip the check). The guard closes that gap: without a valid session cookie only
the login page, its static assets and the login POST are reachable.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
from pathlib import Path

from ingest.errors import TrialChatError
from ingest.settings import Settings

logger = logging.getLogger(__name__)

HOW_TO = ("set TRIALCHAT_STAFF_USER and TRIALCHAT_STAFF_PASSWORD, or TRIALCHAT_STAFF_CREDENTIALS_FILE "
          "to a file of user:password lines")
# Slows password guessing without blocking the server (the login route awaits it).
FAILED_LOGIN_DELAY = 0.5


class StaffCredentialsError(TrialChatError):
    """No usable staff credentials are configured."""


def load_credentials(settings: Settings) -> dict[str, str]:
    """user -> password from the settings pair and/or the credentials file; raise if there are none."""
    users: dict[str, str] = {}
    if settings.staff_user or settings.staff_password:
        if not (settings.staff_user and settings.staff_password):
            raise StaffCredentialsError(f"staff user and password must be set together; {HOW_TO}")
        users[settings.staff_user] = settings.staff_password
    if settings.staff_credentials_file is not None:
        users.update(_read_file(settings.staff_credentials_file))
    if not users:
        raise StaffCredentialsError(f"no staff credentials configured; {HOW_TO}")
    return users


def _read_file(path: Path) -> dict[str, str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise StaffCredentialsError(f"cannot read staff credentials file {path} ({exc.strerror}); {HOW_TO}") from None
    users = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            # The line is not echoed: it may hold a password.
            raise StaffCredentialsError(f"{path} line {number} is not 'user:password'; fix that line")
        users[user.strip()] = password
    return users


def make_checker(users: dict[str, str]):
    """The ``auth`` callable for Gradio: constant-time comparison; passwords are never logged."""
    expected = {u.encode(): p.encode() for u, p in users.items()}

    async def check(username: str, password: str) -> bool:
        stored = expected.get((username or "").encode())
        # Compare against something even for unknown users, so timing does not reveal user names.
        ok = hmac.compare_digest(stored or b"\0" * 32, (password or "").encode()) and stored is not None
        if not ok:
            logger.warning("staff login refused")
            await asyncio.sleep(FAILED_LOGIN_DELAY)
        else:
            logger.info("staff login: %s", username)
        return ok

    return check


# startup-events is called by launch() itself to start the queue; it is one-shot and returns a boolean.
PUBLIC_EXACT = {"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/gradio_api/theme.css",
                "/gradio_api/startup-events"}
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/")


class LoginGuard:
    """ASGI middleware: 401 for any non-public path unless the request carries a live session token.

    Installed through ``launch(app_kwargs={"middleware": [...]})``, so ``scope["app"]`` is Gradio's
    own app and its ``tokens`` are the sessions its login route issued.
    """

    def __init__(self, app, title: str = "Sign in"):
        self.app = app
        self.title = title

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._logged_in(scope):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == "/" and scope["type"] == "http":
            await self.app(scope, receive, self._titled(send))
            return
        if path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"detail": "Not authenticated"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _titled(self, send):
        """Gradio's login page has no <title> (axe: document-title, serious); add one to that page only."""
        start: dict = {}
        chunks: list[bytes] = []

        async def wrapped(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            is_html = any(k.lower() == b"content-type" and b"text/html" in v for k, v in headers)
            if is_html and b"<title>" not in body:
                body = body.replace(b"<head>", b"<head><title>" + html.escape(self.title).encode() + b"</title>", 1)
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        return wrapped

    @staticmethod
    def _logged_in(scope) -> bool:
        app = scope.get("app")
        tokens = getattr(app, "tokens", None)
        cookie_id = getattr(app, "cookie_id", None)
        if not tokens or cookie_id is None:
            return False
        cookies = _cookies(scope)
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            if cookies.get(name) in tokens:
                return True
        return False


def _cookies(scope) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header just means "not logged in"
                return {}
    return {k: m.value for k, m in jar.items()}
