"""Both apps in headless Debian chromium: chat, sources, feedback, trial browser, evaluation, staff review.

Each page is also audited with axe-core: no serious or critical violations. Screenshots go to artifacts/.
"""

from __future__ import annotations

import csv
import json
import time

import httpx
import pytest
from helpers import assert_accessible as check_accessible
from helpers import chromium_browser, free_port, serving_patient_app

from ui.log import ConversationLog, TurnFilter

pytestmark = [pytest.mark.browser, pytest.mark.server]

USER, PASSWORD = "reviewer", "browser-test-pass"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)> how many people are in the vitiligo study?"


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ConversationLog:
    return ConversationLog(tmp_path_factory.mktemp("browser-log") / "conversations.sqlite3")


@pytest.fixture(scope="module")
def patient_url(assistant, corpus_settings, log):
    with serving_patient_app(assistant, corpus_settings, log) as url:
        yield url


@pytest.fixture(scope="module")
def staff_url(log, assistant, tmp_path_factory):
    from ui.staff import create_staff_app, launch_staff

    app = create_staff_app(log, export_dir=tmp_path_factory.mktemp("staff-exports"), assistant=assistant)
    port = free_port()
    launch_staff(app, {USER: PASSWORD}, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


class Page:
    """A fresh browser context (own cookies) whose page records every JS dialog (there must be none)."""

    def __init__(self, browser, url: str, viewport: dict = DESKTOP):
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        # Both apps send a Content-Security-Policy; anything it blocks shows up here (there must be none).
        self.csp_violations: list[str] = []
        self.page.on("console", lambda m: self.csp_violations.append(m.text)
                     if "Content Security Policy" in m.text else None)
        self.page.goto(url, wait_until="domcontentloaded")

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser):
    pages: list[Page] = []

    def opener(url: str, viewport: dict = DESKTOP) -> Page:
        pages.append(Page(browser, url, viewport))
        return pages[-1]

    yield opener
    for p in pages:
        p.close()


def assert_accessible(page, name: str) -> None:
    """axe-core over the settled page: no serious or critical violations (see ui/theme.py for the fixes)."""
    check_accessible(page, name, impacts=("serious", "critical"))


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def watch_streaming(page) -> None:
    """Record whether a partial answer (still typing) was ever on screen."""
    page.evaluate("""() => {
        window.__sawPartial = false;
        new MutationObserver(() => { if (document.querySelector('.tc-typing')) window.__sawPartial = true; })
            .observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def staff_login(page, password: str = PASSWORD) -> None:
    page.wait_for_selector("input[type=password]")
    page.locator("input:not([type=password])").first.fill(USER)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Login").click()


def test_patient_chat_then_staff_review_and_csv(patient_url, staff_url, log, open_page, artifacts):
    # -- patient: ask, watch it stream, open [1], thumbs up
    patient = open_page(patient_url)
    page = patient.page
    page.wait_for_selector("#question textarea")
    assert page.locator("#not-advice").is_visible() and "not medical advice" in page.inner_text("#not-advice")
    assert page.get_by_text("Which study is the biggest?").first.is_visible()  # example questions
    watch_streaming(page)
    question = "tell me about the vitiligo study"
    ask(page, question)
    page.wait_for_selector("[data-testid='bot'] a.tc-cite")
    assert page.evaluate("window.__sawPartial"), "the answer did not stream"
    bot = page.locator("[data-testid='bot']").first
    assert "48" in bot.inner_text() and "NCT05917561" in bot.inner_text()
    marker = bot.locator("a.tc-cite", has_text="[1]").first
    assert marker.is_visible()
    source_id = marker.get_attribute("href").lstrip("#")
    assert not page.locator(f"#{source_id} mark").first.is_visible()
    marker.click()
    panel = page.locator(f"#{source_id}")
    page.wait_for_function(f"document.getElementById('{source_id}').open")
    assert panel.locator("mark").first.is_visible() and panel.locator("mark").first.inner_text().strip()
    summary = panel.locator("summary").inner_text()
    assert "NCT05917561" in summary and "vitiligo" in summary.lower() and "Summary" in summary
    assert_accessible(page, "patient chat")
    page.screenshot(path=str(artifacts / "patient-desktop.png"), full_page=True)

    turn = wait_for(lambda: next(iter(log.turns(TurnFilter(text=question))), None))
    page.get_by_role("button", name="Like", exact=True).first.click()
    wait_for(lambda: log.turn(turn["id"])["feedback"] == "up")

    # -- staff: wrong password refused, then log in, find the turn, record a verdict, export CSV
    staff = open_page(staff_url)
    page = staff.page
    assert_accessible(page, "staff login")
    page.screenshot(path=str(artifacts / "staff-login.png"))
    staff_login(page, "wrong-password")
    page.get_by_text("Incorrect", exact=False).first.wait_for()
    assert page.locator("input[type=password]").is_visible() and not page.locator("#turns").count()
    staff_login(page)
    page.get_by_text("Find turns").click()  # the finder is folded under the review queue
    page.wait_for_selector("#turns")
    page.locator("#f-text input, #f-text textarea").first.fill("vitiligo study")
    page.locator("#f-feedback input").first.click()
    page.get_by_role("option", name="thumbs up").click()
    page.locator("#apply").click()
    row_cell = page.locator("#turns [role=gridcell]", has_text=question).first
    row_cell.wait_for()
    assert page.locator("#turns [role=gridcell]", has_text="up").count() >= 1
    row_cell.click()
    detail = page.locator("#turn-detail")
    detail.get_by_text(f"Turn {turn['id']}", exact=True).wait_for()
    assert "Sentences and their sources" in detail.inner_text() and "passed" in detail.inner_text()
    assert detail.locator("mark").count() >= 1
    page.locator("#note textarea").fill("Matches the entry: 48 adults.")
    page.locator("#verdict-1").click()  # 1 · Correct
    page.locator("#verdict-status").get_by_text("Saved").wait_for()
    assert log.turn(turn["id"])["verdict"] == "correct"
    assert_accessible(page, "staff review")

    page.locator("#export").click()
    link = page.locator("#export-file a[href*='.csv']").first
    link.wait_for()
    page.screenshot(path=str(artifacts / "staff-desktop.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    rows = list(csv.DictReader(open(download.value.path(), encoding="utf-8")))
    mine = [r for r in rows if r["turn_id"] == str(turn["id"])]
    assert mine and mine[0]["verdict"] == "correct" and mine[0]["note"] == "Matches the entry: 48 adults."
    assert mine[0]["feedback"] == "up" and mine[0]["reviewer"] == USER
    # The download URL itself needs the login: without the session cookie it is refused.
    url = link.get_attribute("href")
    url = url if url.startswith("http") else staff_url.rstrip("/") + "/" + url.lstrip("/")
    assert httpx.get(url, timeout=10).status_code == 401
    assert not patient.dialogs and not staff.dialogs
    # Both pages work under their Content-Security-Policy: nothing was blocked.
    assert patient.csp_violations == [] and staff.csp_violations == []


def test_login_lockout_says_when_to_try_again(staff_url, open_page):
    page = open_page(staff_url).page
    for attempt in range(6):
        page.wait_for_selector("input[type=password]")
        page.locator("input:not([type=password])").first.fill("mallory")
        page.locator("input[type=password]").fill(f"guess-{attempt}")
        with page.expect_response(lambda r: r.url.rstrip("/").endswith("/login")) as response:
            page.get_by_role("button", name="Login").click()
        assert response.value.status == (400 if attempt < 5 else 429)
    note = page.locator("#tc-login-wait")
    note.wait_for()
    assert "Try again in" in note.inner_text() and note.get_attribute("role") == "alert"
    assert_accessible(page, "staff login locked")


def test_phone_width_layout(patient_url, staff_url, open_page, artifacts):
    patient = open_page(patient_url, PHONE)
    page = patient.page
    page.wait_for_selector("#question textarea")
    ask(page, "How many people are in the lupus nephritis study?")
    marker = page.locator("[data-testid='bot'] a.tc-cite").first
    marker.wait_for()
    marker.click()
    page.locator("details.tc-source[open] mark").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    box = marker.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # The note and the question box stay on screen at phone size (no scrolling needed).
    for selector in ("#not-advice", "#question textarea"):
        box = page.locator(selector).bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], selector
    assert_accessible(page, "patient chat (phone)")
    page.screenshot(path=str(artifacts / "patient-phone.png"), full_page=True)
    # A new chat also forgets its history: "it" no longer means the kidney study.
    page.get_by_role("button", name="New chat").click()
    page.get_by_role("button", name="Yes, start a new chat").click()
    wait_for(lambda: page.locator("[data-testid='bot']").count() == 0)
    ask(page, "how many people are in it?")
    page.locator("[data-testid='bot']").first.wait_for()
    wait_for(lambda: "tc-typing" not in page.locator("[data-testid='bot']").first.inner_html())
    assert "336" not in page.locator("[data-testid='bot']").first.inner_text()
    page.get_by_role("tab", name="Trials").click()
    page.locator("#trials-table a.tc-trial-link").first.click()
    page.locator("#trial-detail").get_by_text("Where these facts come from").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.screenshot(path=str(artifacts / "trials-phone.png"), full_page=True)

    staff = open_page(staff_url, PHONE)
    staff_login(staff.page)
    staff.page.wait_for_selector("#next")
    assert staff.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    staff.page.screenshot(path=str(artifacts / "staff-phone.png"), full_page=True)


def test_trial_browser_tab(patient_url, open_page, artifacts):
    page = open_page(patient_url).page
    page.get_by_role("tab", name="Trials").click()
    rows = page.locator("#trials-table tbody tr")
    wait_for(lambda: rows.count() == 10)
    page.locator("#trial-filter input, #trial-filter textarea").first.fill("vitiligo")
    wait_for(lambda: rows.count() == 1)
    rows.first.locator("a.tc-trial-link").click()
    detail = page.locator("#trial-detail")
    detail.get_by_text("Where these facts come from").wait_for()
    text = detail.text_content()
    assert "NCT05917561" in text and "48" in text and "trials-overview.txt" in text
    assert_accessible(page, "trial browser")
    page.screenshot(path=str(artifacts / "trials-desktop.png"), full_page=True)


def test_evaluation_tab_is_in_the_staff_app_only(patient_url, staff_url, open_page, artifacts, tmp_path):
    items = [{"id": "kidney", "question": "How many people are in the lupus nephritis study?",
              "expect_trials": ["NCT05138133"], "expect_facts": [r"\b336\b"], "expect_behavior": "answer"},
             {"id": "cost", "question": "how much does anifrolumab cost", "expect_behavior": "answer"}]
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items), encoding="utf-8")
    patient = open_page(patient_url).page
    patient.get_by_role("tab", name="Trials").wait_for()
    assert patient.get_by_role("tab", name="Evaluation").count() == 0 and patient.locator("#eval-file").count() == 0
    staff = open_page(staff_url)
    page = staff.page
    staff_login(page)
    page.get_by_role("tab", name="Evaluation").click()
    page.locator("#eval-file input[type=file]").set_input_files(str(path))
    page.locator("#eval-file").get_by_text("questions.jsonl").first.wait_for(timeout=90_000)  # slow on a busy machine
    page.locator("#eval-run").click()
    page.locator("#eval-summary").get_by_text("1 of 2 items passed").wait_for()
    assert page.locator("#eval-charts img").count() == 3
    assert "cost" in page.inner_text("#eval-failures")
    assert_accessible(page, "evaluation tab")
    page.screenshot(path=str(artifacts / "evaluation-desktop.png"), full_page=True)
    # The reports come from the staff app's own temp folder, through its (logged-in) file route.
    report = page.locator("#eval-downloads a[href*='eval-report.json']").first
    report.wait_for()
    with page.expect_download() as download:
        report.click()
    assert json.load(open(download.value.path(), encoding="utf-8"))["metrics"]["items"] == 2
    href = report.get_attribute("href")
    assert httpx.get(href if href.startswith("http") else staff_url.rstrip("/") + href, timeout=10).status_code == 401
    assert httpx.get(patient_url.rstrip("/") + "/" + href.split("/", 3)[-1] if href.startswith("http")
                     else patient_url.rstrip("/") + href, timeout=10).status_code == 404
    assert staff.csp_violations == []


def test_script_in_a_question_is_shown_as_text_in_both_apps(patient_url, staff_url, log, open_page):
    patient = open_page(patient_url)
    ask(patient.page, XSS)
    user = patient.page.locator("[data-testid='user']").first
    user.wait_for()
    patient.page.locator("[data-testid='bot'] a.tc-cite").first.wait_for()
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in user.inner_text()
    assert user.locator("script, img").count() == 0
    wait_for(lambda: log.turns(TurnFilter(text="<script>alert(1)")))

    staff = open_page(staff_url)
    staff_login(staff.page)
    staff.page.get_by_text("Find turns").click()
    staff.page.wait_for_selector("#turns")
    staff.page.locator("#f-text input, #f-text textarea").first.fill("<script>alert(1)")
    staff.page.locator("#apply").click()
    cell = staff.page.locator("#turns [role=gridcell]", has_text="<script>alert(1)</script>").first
    cell.wait_for()
    cell.click()
    detail = staff.page.locator("#turn-detail")
    detail.get_by_text("<script>alert(1)</script><img src=x onerror=alert(2)>", exact=False).first.wait_for()
    assert detail.locator("script, img").count() == 0
    time.sleep(0.5)  # give any injected handler a moment to fire
    assert patient.dialogs == [] and staff.dialogs == []
