"""The served staff app over plain HTTP: nothing is exposed without login; a wrong password is refused."""

from __future__ import annotations

import logging

import httpx
import pytest
from helpers import free_port

from assistant.types import Answer
from ui.log import ConversationLog

pytestmark = pytest.mark.server

USER, PASSWORD = "reviewer", "s3cret-pass-phrase"
SECRET_QUESTION = "zebra-marker-question about the kidney study"

# Every route family Gradio serves besides the login page and its static assets.
PROTECTED_GET = [
    "/config", "/gradio_api/info", "/gradio_api/openapi.json", "/gradio_api/file=/etc/hostname",
    "/gradio_api/file/anything.csv", "/gradio_api/queue/data?session_hash=x", "/gradio_api/heartbeat/x",
    "/gradio_api/runs", "/gradio_api/run-history/records", "/gradio_api/user", "/gradio_api/token",
    "/gradio_api/app_id", "/gradio_api/upload_progress?upload_id=x", "/gradio_api/deep_link?session_hash=x",
    "/gradio_api/stream/x/0/0/playlist.m3u8", "/gradio_api/call/predict/x", "/monitoring", "/gradio_api/mcp/sse",
    "/gradio_api/vibe-code",
]
PROTECTED_POST = [
    ("/gradio_api/queue/join", {"data": [], "fn_index": 0, "session_hash": "x"}),
    ("/gradio_api/run/predict", {"data": []}), ("/gradio_api/api/predict", {"data": []}),
    ("/gradio_api/call/predict", {"data": []}), ("/gradio_api/upload", None),
    ("/gradio_api/cancel", {"session_hash": "x", "fn_index": 0, "event_id": "x"}),
    ("/gradio_api/reset", {"session_hash": "x", "fn_index": 0, "event_id": "x"}),
]


@pytest.fixture(scope="module")
def staff_url(tmp_path_factory):
    from ui import staff_auth
    from ui.staff import create_staff_app, launch_staff

    delay, staff_auth.FAILED_LOGIN_DELAY = staff_auth.FAILED_LOGIN_DELAY, 0.05
    log = ConversationLog(tmp_path_factory.mktemp("staff-http") / "conversations.sqlite3")
    log.record("session-1", Answer(SECRET_QUESTION, "It includes 336 adults.", "answer"), {"corpus_hash": "h"})
    app = create_staff_app(log, export_dir=tmp_path_factory.mktemp("exports"))
    port = free_port()
    launch_staff(app, {USER: PASSWORD}, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}"
    app.close()
    staff_auth.FAILED_LOGIN_DELAY = delay


def test_nothing_is_exposed_without_login(staff_url):
    with httpx.Client(base_url=staff_url, timeout=10) as http:
        page = http.get("/")
        assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
        assert SECRET_QUESTION not in page.text and "session-1" not in page.text
        assert '"named_endpoints":{}' in page.text.replace(" ", "")  # no API description either
        assert "<title>TrialChat staff sign-in</title>" in page.text
        for path in PROTECTED_GET:
            response = http.get(path)
            assert response.status_code == 401, (path, response.status_code, response.text[:200])
            assert SECRET_QUESTION not in response.text
        for path, body in PROTECTED_POST:
            response = http.post(path, json=body) if body is not None else http.post(path, files={"files": b"x"})
            assert response.status_code == 401, (path, response.status_code, response.text[:200])
        # A forged cookie is no session.
        http.cookies.set("access-token-unsecure-anything", "forged")
        assert http.get("/config").status_code == 401


def test_wrong_password_is_refused_and_right_one_opens_the_app(staff_url, caplog):
    with caplog.at_level(logging.DEBUG), httpx.Client(base_url=staff_url, timeout=10) as http:
        wrong = http.post("/login", data={"username": USER, "password": "not-the-password"})
        assert wrong.status_code == 400 and not wrong.cookies
        assert http.get("/config").status_code == 401
        right = http.post("/login", data={"username": USER, "password": PASSWORD})
        assert right.status_code == 200 and right.json() == {"success": True}
        config = http.get("/config")
        assert config.status_code == 200 and "TrialChat staff review" in config.text
        assert http.get("/gradio_api/info").status_code == 200
        # Logged out again: the session cookie stops working.
        http.get("/logout")
        http.cookies.clear()
        assert http.get("/config").status_code == 401
    assert PASSWORD not in caplog.text and "not-the-password" not in caplog.text


def test_gradio_client_cannot_connect_without_login(staff_url):
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the client must not get in
        Client(staff_url + "/", verbose=False)
