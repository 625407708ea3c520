"""The attacks on the served apps (issue 11), replayed over real HTTP on 127.0.0.1.

Both apps run in this one process, as in the attack: they share Gradio's process-wide settings, so
nothing here depends on them running apart.
"""

from __future__ import annotations

import json
import logging
import re
import stat
import uuid

import httpx
import pytest
from helpers import free_port, serving_patient_app

from assistant import phrases
from assistant.types import Answer
from ui.log import ConversationLog

pytestmark = pytest.mark.server

USER, PASSWORD = "reviewer", "s3cret-pass-phrase"
SECRET = "zebra-secret-question about the kidney study"


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ConversationLog:
    log = ConversationLog(tmp_path_factory.mktemp("sec-log") / "conversations.sqlite3")
    log.record("session-1", Answer(SECRET, "It includes 336 adults.", "answer"), {"corpus_hash": "h"})
    return log


@pytest.fixture(scope="module")
def patient(assistant, corpus_settings, log):
    with serving_patient_app(assistant, corpus_settings, log) as url:
        yield url.rstrip("/")


@pytest.fixture(scope="module")
def staff(log, tmp_path_factory):
    from ui import staff_auth
    from ui.staff import create_staff_app, launch_staff

    delay, staff_auth.FAILED_LOGIN_DELAY = staff_auth.FAILED_LOGIN_DELAY, 0.0
    app = create_staff_app(log, export_dir=tmp_path_factory.mktemp("sec-exports") / "exports")
    port = free_port()
    launch_staff(app, {USER: staff_auth.hash_password(PASSWORD), "other": PASSWORD}, "127.0.0.1", port, block=False)
    yield app, f"http://127.0.0.1:{port}"
    app.close()
    staff_auth.FAILED_LOGIN_DELAY = delay


def login(http: httpx.Client, user: str = USER, password: str = PASSWORD) -> httpx.Response:
    return http.post("/login", data={"username": user, "password": password})


def call(http: httpx.Client, app, fn_name: str, data: list) -> list:
    """Run one of the page's (private) event handlers through Gradio's queue, as the page does."""
    index = next(i for i, f in app.fns.items() if getattr(f.fn, "__name__", "") == fn_name)
    session = uuid.uuid4().hex
    joined = http.post("/gradio_api/queue/join", json={"data": data, "fn_index": index, "session_hash": session,
                                                       "event_data": None, "trigger_id": None})
    assert joined.status_code == 200, joined.text
    with http.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message.get("success"), message
                    return message["output"]["data"]
    raise AssertionError("no result")


def test_a_staff_export_cannot_be_read_from_the_patient_app(staff, patient):
    app, staff_url = staff
    exports = app.trialchat_exports
    with httpx.Client(base_url=staff_url, timeout=30) as http:
        assert login(http).status_code == 200
        link_html, status = call(http, app, "export", ["any", "any", "any", "", "", "", ""])
        href = re.search(r"href='([^']+)'", link_html["value"] if isinstance(link_html, dict) else link_html).group(1)
        [path] = list(exports.folder.glob("turns-*.csv"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(exports.folder.stat().st_mode) == 0o700
        assert SECRET in path.read_text(encoding="utf-8")

        # The patient app: the same link, the file's real path, and guesses at Gradio's temp folders.
        staff_temp = app.trialchat_temp
        guesses = [f"/{href}", f"/gradio_api/file={path}", f"/file={path}", f"/gradio_api/file={staff_temp}/x.csv",
                   f"/gradio_api/file={exports.folder}/{path.name}", "/gradio_api/file=/tmp/gradio/turns.csv",
                   f"/gradio_api/file/{path}", f"/file/{path}", f"/gradio_api/file%3D{path}",
                   f"//gradio_api/file={path}", f"/staff-export/{path.name}"]
        for guess in guesses:
            response = httpx.get(patient + guess, timeout=10)
            assert response.status_code in (401, 404), (guess, response.status_code)
            assert SECRET not in response.text
        # The staff app without a session, or with a guessed token: refused.
        assert httpx.get(f"{staff_url}/{href}", timeout=10).status_code == 401
        assert http.get(f"/staff-export/{uuid.uuid4().hex}/{path.name}").status_code == 404
        assert http.get(f"/gradio_api/file={path}").status_code in (403, 404)

        # Logged in: once, then the file is gone.
        download = http.get(f"/{href}")
        assert download.status_code == 200 and SECRET in download.text
        assert "attachment" in download.headers["content-disposition"]
        assert not path.exists()
        assert http.get(f"/{href}").status_code == 404


def test_each_app_has_its_own_private_temp_folder_and_the_patient_app_takes_no_uploads(
        staff, patient, log, assistant, corpus_settings):
    from ui.app import create_app

    app, _ = staff
    patient_app = create_app(assistant, corpus_settings, log)
    assert patient_app.trialchat_temp != app.trialchat_temp
    for folder in (patient_app.trialchat_temp, app.trialchat_temp):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(b.GRADIO_CACHE == str(app.trialchat_temp) for b in app.blocks.values())
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    upload = httpx.post(f"{patient}/gradio_api/upload", files={"files": ("q.jsonl", b"{}")}, timeout=10)
    assert upload.status_code == 404


def test_evaluation_is_not_on_the_patient_app(patient):
    config = httpx.get(f"{patient}/config", timeout=10).json()
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    labels = {str(c.get("props", {}).get("label")) for c in config["components"]}
    assert "eval-file" not in ids and "eval-run" not in ids and "Evaluation" not in labels


def test_security_headers_and_strict_cookies(staff, patient):
    _, staff_url = staff
    for url in (patient, staff_url):
        headers = httpx.get(url + "/", timeout=10).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    with httpx.Client(base_url=staff_url, timeout=30) as http:
        response = login(http)
        cookies = response.headers.get_list("set-cookie")
        assert cookies and all(c.lower().count("samesite") == 1 and "SameSite=strict" in c for c in cookies)


def test_a_huge_question_is_refused_and_a_long_one_is_cut_before_state_and_log(patient, log):
    from gradio_client import Client

    before = log.count()
    huge = json.dumps({"data": ["x" * (50 * 1024 * 1024), None], "fn_index": 0, "session_hash": "s"})
    try:
        response = httpx.post(f"{patient}/gradio_api/queue/join", content=huge,
                              headers={"content-type": "application/json"}, timeout=60)
        assert response.status_code == 413
    except httpx.TransportError:
        pass  # the server answered 413 and closed while the 50 MB were still being sent
    assert log.count() == before

    long = "How many people are in the lupus nephritis study? " + "please " * 2000
    reply = Client(patient + "/", verbose=False).predict(long, api_name="/chat")
    messages = reply[0] if isinstance(reply, tuple) else reply
    answer = str(messages[-1]["content"])
    assert phrases.TOO_LONG.format(limit=1000) in answer and "336" in answer
    turn = log.turns()[0]
    assert log.count() == before + 1 and len(turn["question"]) <= 1001
    # The session state holds the cut question too: the user message shown is the cut one.
    assert len(str(messages[-2]["content"])) < 2000


def test_login_brute_force_is_locked_out_and_logged_without_the_password(staff, caplog):
    _, staff_url = staff
    with caplog.at_level(logging.INFO), httpx.Client(base_url=staff_url, timeout=30) as http:
        codes = [login(http, "other", f"guess-{i}").status_code for i in range(5)]
        assert codes == [400] * 5
        locked = login(http, "other", PASSWORD)  # even the right password waits out the lockout
        assert locked.status_code == 429 and "Try again in" in locked.json()["detail"]
        assert 0 < int(locked.headers["retry-after"]) <= 300
        assert http.get("/config").status_code == 401
        assert login(http).status_code == 200  # another user from the same client is still let in
    assert "'other'" in caplog.text and "failed staff sign-in" in caplog.text and "UTC" in caplog.text
    assert "guess-" not in caplog.text and PASSWORD not in caplog.text


def test_staff_uploads_are_capped(staff):
    from evaluation.dataset import MAX_FILE_BYTES

    app, staff_url = staff
    with httpx.Client(base_url=staff_url, timeout=30) as http:
        assert login(http).status_code == 200
        small = http.post("/gradio_api/upload", files={"files": ("q.jsonl", b"{}\n")})
        assert small.status_code == 200 and str(app.trialchat_temp) in small.json()[0]
        big = http.post("/gradio_api/upload", files={"files": ("q.jsonl", b"x" * (MAX_FILE_BYTES + 1))})
        assert big.status_code == 413
