"""Who may use the staff app, and a guard that keeps every route but the login page behind login.

Gradio's ``launch(auth=...)`` shows the login form and issues the session cookie, but a few of its
routes answer without it (the page embeds the API description; stream, heartbeat, cancel and
run-history routes skip the check). The guard closes that gap: without a valid session cookie only
the login page, its static assets and the login POST are reachable.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import TrialChatError
from ingest.settings import Settings

logger = logging.getLogger(__name__)

HOW_TO = ("set TRIALCHAT_STAFF_USER and TRIALCHAT_STAFF_PASSWORD, or add users with `trialchat staff-user add NAME` "
          "(or point TRIALCHAT_STAFF_CREDENTIALS_FILE to a file of user:hash lines)")
# Password hashes in the credentials file: scrypt with a random salt (about 16 MB and 50 ms per check).
HASH_SCHEME = "scrypt"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_CHARS = 10
# Slows password guessing without blocking the server (the login route awaits it).
FAILED_LOGIN_DELAY = 0.5


class StaffCredentialsError(TrialChatError):
    """No usable staff credentials are configured."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$digest`` (base64): what the credentials file stores instead of the password."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"{HASH_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(stored: str, password: str) -> bool:
    """Constant-time check of ``password`` against a stored hash (or a plain password from the env)."""
    if stored.startswith(HASH_SCHEME + "$"):
        try:
            _, n, r, p, salt, digest = stored.split("$")
            expected = base64.b64decode(digest)
            got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                 dklen=len(expected))
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(got, expected)
    return hmac.compare_digest(stored.encode(), password.encode())


def credentials_path(settings: Settings) -> Path:
    """The credentials file: the configured one, else HOME/staff-users.txt."""
    return Path(settings.staff_credentials_file or settings.home / "staff-users.txt")


def add_user(path: Path, user: str, password: str) -> bool:
    """Add or replace ``user`` with a hash of ``password``; the file is rewritten atomically, 0600.

    Returns True when the user was already there (the password is replaced).
    """
    if not user or ":" in user or user != user.strip() or any(ch in user for ch in "\r\n"):
        raise StaffCredentialsError(f"user name '{user}' must be non-empty, without ':' or spaces around it")
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.partition(":")[0].strip() != user]
    replaced = len(kept) != len(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join([*kept, f"{user}:{hash_password(password)}"]) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)
    return replaced


def load_credentials(settings: Settings) -> dict[str, str]:
    """user -> password or password hash, from the settings pair and/or the credentials file (the
    configured one, or HOME/staff-users.txt when it exists); raise if there are none."""
    users: dict[str, str] = {}
    if settings.staff_user or settings.staff_password:
        if not (settings.staff_user and settings.staff_password):
            raise StaffCredentialsError(f"staff user and password must be set together; {HOW_TO}")
        users[settings.staff_user] = settings.staff_password
    if settings.staff_credentials_file is not None or credentials_path(settings).exists():
        users.update(_read_file(credentials_path(settings)))
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


# Checked for unknown users too, so the time taken does not reveal which user names exist.
_DUMMY_HASH = hash_password("not a password", salt=b"\0" * 16)


def make_checker(users: dict[str, str]):
    """The ``auth`` callable for Gradio: constant-time comparison of hashes; passwords are never logged."""

    async def check(username: str, password: str) -> bool:
        stored = users.get(username or "")
        ok = await asyncio.to_thread(verify_password, stored or _DUMMY_HASH, password or "")
        ok = ok and stored is not None
        if not ok:
            logger.warning("staff login refused for user %r at %s", username, _utc(time.time()))
            await asyncio.sleep(FAILED_LOGIN_DELAY)
        else:
            logger.info("staff login: %s", username)
        return ok

    return check


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class LoginThrottle:
    """Failed sign-ins counted per user name and per client address; too many within ``window``
    seconds lock that name (or address) out for ``lockout`` seconds."""

    def __init__(self, per_user: int = 5, per_client: int = 20, window: float = 300, lockout: float = 300):
        self.limits = {"user": per_user, "client": per_client}
        self.window, self.lockout = window, lockout
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._locked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def retry_after(self, user: str, client: str) -> float:
        """Seconds until this user and client may try again; 0 when they may now."""
        now = time.time()
        with self._lock:
            until = max(self._locked.get(("user", user), 0), self._locked.get(("client", client), 0))
        return max(0.0, until - now)

    def failed(self, user: str, client: str) -> None:
        now = time.time()
        with self._lock:
            if len(self._failures) > 10_000:  # many made-up names: forget the stale ones
                self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}
            for key in (("user", user), ("client", client)):
                recent = [t for t in self._failures.get(key, []) if t > now - self.window] + [now]
                self._failures[key] = recent
                if len(recent) >= self.limits[key[0]]:
                    self._locked[key] = now + self.lockout
                    self._failures[key] = []
                    logger.warning("staff sign-in locked for %s %r until %s after %d failures", key[0], key[1],
                                   _utc(now + self.lockout), len(recent))

    def succeeded(self, user: str, client: str) -> None:
        with self._lock:
            self._failures.pop(("user", user), None)


# startup-events is called by launch() itself to start the queue; it is one-shot and returns a boolean.
PUBLIC_EXACT = {"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/gradio_api/theme.css",
                "/gradio_api/startup-events"}
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/")


# Gradio's login form ignores a 429; this shows its "try again in N seconds" under the form instead.
LOCKOUT_SCRIPT = b"""<script>(() => {
  const original = window.fetch;
  window.fetch = async (...args) => {
    const response = await original(...args);
    const url = String((args[0] && args[0].url) || args[0]);
    if (response.status === 429 && /\\/login\\/?$/.test(url)) {
      const detail = (await response.clone().json().catch(() => ({}))).detail || "Too many failed sign-ins.";
      let note = document.getElementById("tc-login-wait");
      if (!note) {
        note = document.createElement("p");
        note.id = "tc-login-wait";
        note.setAttribute("role", "alert");
        note.style.cssText = "color:#991b1b;font-weight:700;margin:.5rem 0";
        const button = [...document.querySelectorAll("button")].find((b) => /log ?in/i.test(b.textContent));
        (button ? button.parentElement : document.body).appendChild(note);
      }
      note.textContent = detail;
    }
    return response;
  };
})();</script>"""


class LoginGuard:
    """ASGI middleware: 401 for any non-public path unless the request carries a live session token.

    Installed through ``launch(app_kwargs={"middleware": [...]})``, so ``scope["app"]`` is Gradio's
    own app and its ``tokens`` are the sessions its login route issued.
    """

    def __init__(self, app, title: str = "Sign in", throttle: LoginThrottle | None = None):
        self.app = app
        self.title = title
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path") in ("/login", "/login/"):
            await self._login(scope, receive, send)
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
        await _json(send, 401, "Not authenticated")

    async def _login(self, scope, receive, send):
        """The login POST, throttled: a locked-out user or client gets 429 and when to retry."""
        from starlette.requests import Request

        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
            if sum(map(len, chunks)) > 16 * 1024:
                await _json(send, 413, "Sign-in request too large")
                return
        body = b"".join(chunks)

        async def replay():
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            user = str((await Request(scope, replay).form()).get("username") or "")
        except Exception:
            user = ""
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.throttle.retry_after(user, client)
        if wait > 0:
            logger.warning("staff sign-in refused while locked: user %r from %s at %s", user, client, _utc(time.time()))
            retry = _utc(time.time() + wait)
            await _json(send, 429, f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds (after {retry}).",
                        [(b"retry-after", str(int(wait) + 1).encode())])
            return
        status = {}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, replay, watch)
        if status.get("code") == 200:
            self.throttle.succeeded(user, client)
        else:
            self.throttle.failed(user, client)
            logger.warning("failed staff sign-in: user %r from %s at %s", user, client, _utc(time.time()))

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
                body = body.replace(b"<head>", b"<head><title>" + html.escape(self.title).encode() + b"</title>"
                                    + LOCKOUT_SCRIPT, 1)
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


async def _json(send, status: int, detail: str, extra: list | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


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
