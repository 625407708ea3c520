"""What a patient and a reviewer meet, in headless Debian chromium at desktop and phone sizes, light and dark.

Emergency alert, the highlighted supporting sentence, the answer's start kept in view, welcome and
suggestions, New chat, copy, a dislike reason that reaches the staff app, the staff queue cleared with
the keyboard only, and axe-core with no violations of any impact on every tab this issue owns.
Screenshots for the README go to docs/.
"""

from __future__ import annotations

import time

import pytest
from helpers import assert_accessible, chromium_browser, free_port, serving_patient_app

from assistant.phrases import EMERGENCY
from ingest.settings import PROJECT_ROOT
from ui.log import ConversationLog, TurnFilter

pytestmark = [pytest.mark.browser, pytest.mark.server]

USER, PASSWORD = "nurse", "experience-test-pass"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
DOCS = PROJECT_ROOT / "docs"
EMERGENCY_QUESTION = "I have crushing chest pain and I can't breathe"
KIDNEY = "How many people are in the lupus nephritis study?"
LONG = "list all the trials"  # a long answer citing every trial


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ConversationLog:
    return ConversationLog(tmp_path_factory.mktemp("experience-log") / "conversations.sqlite3")


@pytest.fixture(scope="module")
def patient_url(assistant, corpus_settings, log):
    with serving_patient_app(assistant, corpus_settings, log) as url:
        yield url


@pytest.fixture(scope="module")
def staff_url(log, tmp_path_factory):
    from ui.staff import create_staff_app, launch_staff

    app = create_staff_app(log, export_dir=tmp_path_factory.mktemp("exports"))
    port = free_port()
    launch_staff(app, {USER: PASSWORD}, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser):
    contexts = []

    def opener(url: str, size: str = "desktop", theme: str = "light"):
        context = browser.new_context(viewport=SIZES[size], color_scheme=theme)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        page.goto(url + ("?__theme=dark" if theme == "dark" else ""), wait_until="domcontentloaded")
        if theme == "dark":
            page.wait_for_function("document.body.classList.contains('dark') || "
                                   "!!document.querySelector('.dark')")
        return page

    yield opener
    for context in contexts:
        context.close()


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def final_answers(page) -> int:
    return page.locator("#chatbot .tc-tools, #chatbot .tc-emergency").count()


def wait_answers(page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('#chatbot .tc-tools, #chatbot .tc-emergency').length >= {count}")


def in_view(page, locator) -> bool:
    """The element's top is inside both the window and the chat's scrolled area."""
    box = locator.bounding_box()
    chat = page.locator("#chatbot .bubble-wrap").bounding_box()
    height = page.viewport_size["height"]
    return bool(box and chat) and chat["y"] - 1 <= box["y"] <= min(chat["y"] + chat["height"], height) - 20


def staff_login(page) -> None:
    page.wait_for_selector("input[type=password]")
    page.locator("input:not([type=password])").first.fill(USER)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#next")


@pytest.mark.parametrize("size, theme", [("desktop", "light"), ("phone", "dark"), ("phone", "light"),
                                         ("desktop", "dark")])
def test_emergency_is_an_alert_shown_whole_at_once(patient_url, open_page, size, theme):
    page = open_page(patient_url, size, theme)
    page.wait_for_selector("#question textarea")
    page.evaluate("""() => { window.__typing = false; new MutationObserver(() => {
        if (document.querySelector('#chatbot .tc-typing')) window.__typing = true; })
        .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
    ask(page, EMERGENCY_QUESTION)
    alert = page.get_by_role("alert").filter(has_text="emergency")
    alert.wait_for()
    assert not page.evaluate("window.__typing"), "the emergency reply was typed out word by word"
    assert "Call your local emergency number now" in alert.inner_text()
    box = alert.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= SIZES[size]["height"], "alert not whole on screen"
    numbers = [a.get_attribute("href") for a in alert.locator("a[href^='tel:']").all()]
    assert numbers and all(f"tel:{n}" in numbers for n in ("911", "112", "988") if n in EMERGENCY)
    row = page.locator("#chatbot .message-row", has=page.locator(".tc-emergency"))
    assert row.locator("xpath=following-sibling::*[1]").locator("button[aria-label=Like]").is_hidden()
    assert page.locator("#chatbot button[aria-label=Like]:visible").count() == 0
    assert page.locator("#chatbot .tc-emergency .tc-sources, #chatbot .tc-emergency .tc-copy").count() == 0
    assert page.locator("#chatbot .options button").count() == 0  # no suggestions under an emergency
    assert_accessible(page, f"emergency {size} {theme}")


@pytest.mark.parametrize("size, theme", [("desktop", "light"), ("phone", "dark")])
def test_highlighted_sentence_holds_the_claims_number_and_links_to_the_trial(patient_url, open_page, size,
                                                                             theme, assistant):
    page = open_page(patient_url, size, theme)
    page.wait_for_selector("#question textarea")
    ask(page, KIDNEY)
    wait_answers(page, 1)
    bot = page.locator("[data-testid='bot']").last
    assert "336" in bot.locator(".tc-text").inner_text()
    assert bot.locator("details.tc-sources > summary").inner_text().strip() == "1 source"
    assert not bot.locator("details.tc-source blockquote").is_visible()  # folded to one line
    bot.locator("a.tc-cite").first.click()
    mark = bot.locator("details.tc-source[open] mark").first
    mark.wait_for()
    assert "336" in mark.inner_text()
    # Copy: the answer with its sources, as text.
    bot.locator("button.tc-copy").click()
    bot.locator(".tc-copied", has_text="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "336" in copied and "Sources:" in copied and "[1] NCT05138133" in copied
    # The source opens its trial's page in the Trials tab.
    bot.locator("a.tc-trial-link").first.click()
    title = assistant.catalog.trials["NCT05138133"].entry.title
    page.locator("#trial-detail h2", has_text=title).wait_for()
    assert page.get_by_role("tab", name="Trials").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1


@pytest.mark.parametrize("size, theme", [("desktop", "light"), ("phone", "light"), ("desktop", "dark"),
                                         ("phone", "dark")])
def test_welcome_answer_first_follow_ups_and_axe(patient_url, open_page, size, theme, assistant):
    page = open_page(patient_url, size, theme)
    page.wait_for_selector("#question textarea")
    welcome = page.locator("#chatbot").get_by_text("Welcome to TrialChat")
    welcome.wait_for()
    count = len(assistant.catalog.trials)
    assert f"{count} clinical trial entries" in page.locator("#chatbot").inner_text()
    # The chat uses the screen's height and the question box is on screen.
    chat = page.locator("#chatbot").bounding_box()
    assert chat["height"] >= 0.45 * SIZES[size]["height"]
    box = page.locator("#question textarea").bounding_box()
    assert box and box["y"] + box["height"] <= SIZES[size]["height"], "question box below the fold"
    assert_accessible(page, f"chat welcome {size} {theme}")
    if size == "desktop" and theme == "light":
        page.screenshot(path=str(DOCS / "patient-desktop.png"))
    # An example question sends on click.
    page.locator("#chatbot").get_by_role("button", name="Which study is the biggest?").click()
    wait_answers(page, 1)
    assert "Which study is the biggest?" in page.locator("[data-testid='user']").first.inner_text()
    # A long answer: its start stays in view; a run of markers to every trial is one chip.
    ask(page, LONG)
    wait_answers(page, 2)
    time.sleep(0.5)
    bot = page.locator("[data-testid='bot']").last
    assert in_view(page, bot), "the start of the answer scrolled out of view"
    chip = bot.locator("a.tc-cite-run", has_text=f"all {count} trials")
    assert chip.count() == 1 and not bot.locator("details.tc-sources[open]").count()
    assert bot.locator("details.tc-sources > summary").inner_text().strip() == f"{count} sources"
    # Suggested follow-ups under the answer, sent on click.
    options = page.locator("#chatbot .options button")
    assert 2 <= options.count() <= 3
    for i in range(options.count()):
        b = options.nth(i).bounding_box()
        assert b["height"] >= 24 and b["width"] >= 24
    for name in ("Like", "Dislike"):
        b = page.locator(f"#chatbot button[aria-label={name}]").last.bounding_box()
        assert b["height"] >= 24 and b["width"] >= 24, f"{name} target below 24 px"
    if size == "phone" and theme == "light":
        page.screenshot(path=str(DOCS / "patient-phone.png"))
    if size == "desktop" and theme == "dark":
        page.screenshot(path=str(DOCS / "patient-dark.png"))
    assert_accessible(page, f"chat after answers {size} {theme}")
    chip.click()  # the one chip opens the folded list of sources
    bot.locator("details.tc-sources[open]").wait_for()
    suggestion = options.first.inner_text()
    options.first.click()
    wait_answers(page, 3)
    assert suggestion in page.locator("[data-testid='user']").last.inner_text()
    # Trials tab, in plain words.
    page.get_by_role("tab", name="Trials").click()
    page.locator("#trials-table table").wait_for()
    table = page.locator("#trials-table").inner_text()
    assert "Reference in the source" not in table and "medical term" in table
    assert page.locator("#trials-table tbody tr").count() == count
    page.locator("#trials-table a.tc-trial-link").first.click()
    page.locator("#trial-detail").get_by_text("Passages TrialChat cites").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1
    assert_accessible(page, f"trials tab {size} {theme}")


def test_new_chat_asks_first_then_forgets_the_conversation(patient_url, open_page):
    page = open_page(patient_url, "phone")
    page.wait_for_selector("#question textarea")
    ask(page, KIDNEY)
    wait_answers(page, 1)
    assert page.locator("#chatbot button[aria-label=Clear]:visible").count() == 0  # no unlabelled bin
    page.get_by_role("button", name="New chat").click()
    page.get_by_text("Start a new chat?").wait_for()
    page.get_by_role("button", name="Keep this chat").click()
    page.get_by_text("Start a new chat?").wait_for(state="hidden")
    assert page.locator("[data-testid='bot']").count() == 1
    page.get_by_role("button", name="New chat").click()
    page.get_by_role("button", name="Yes, start a new chat").click()
    page.locator("#chatbot").get_by_text("Welcome to TrialChat").wait_for()
    assert page.locator("[data-testid='bot']").count() == 0
    ask(page, "how many people are in it?")  # "it" no longer means the kidney study
    wait_answers(page, 1)
    assert "336" not in page.locator("[data-testid='bot']").last.inner_text()


def test_dislike_reason_is_stored_and_shown_to_staff(patient_url, staff_url, log, open_page):
    page = open_page(patient_url)
    page.wait_for_selector("#question textarea")
    question = "what does the vitiligo study measure?"
    ask(page, question)
    wait_answers(page, 1)
    page.locator("#chatbot button[aria-label=Dislike]").last.click()
    page.locator("#dislike-box").get_by_text("What was wrong?").wait_for()
    page.locator("#dislike-reason").get_by_text("wrong trial", exact=True).click()
    page.locator("#dislike-text textarea").fill("I meant the skin one")
    page.get_by_role("button", name="Send").click()
    page.locator("#dislike-box").first.wait_for(state="hidden")
    turn = next(iter(log.turns(TurnFilter(text=question))))
    deadline = time.monotonic() + 10
    while log.turn(turn["id"])["reason"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    stored = log.turn(turn["id"])
    assert (stored["feedback"], stored["reason"], stored["reason_text"]) == ("down", "wrong_trial",
                                                                             "I meant the skin one")
    staff = open_page(staff_url)
    staff_login(staff)
    staff.locator("#f-session input, #f-session textarea").first.fill(turn["session_id"][:8])
    staff.keyboard.press("Escape")
    staff.keyboard.press("n")
    detail = staff.locator("#turn-detail")
    detail.get_by_text(f"Turn {turn['id']}", exact=True).wait_for()
    assert "thumbs down: wrong trial “I meant the skin one”" in detail.inner_text()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_staff_queue_reviews_three_turns_with_the_keyboard_only(assistant, staff_url, log, open_page, theme):
    session = f"queue{theme}".ljust(32, "0")
    history: list[str] = []
    ids = []
    for question in (KIDNEY, "is it for children?", "what does it measure?"):
        ids.append(log.record(session, assistant.answer(question, list(history)), assistant.config()))
        history.append(question)
    page = open_page(staff_url, "desktop", theme)
    page.wait_for_selector("input[type=password]")
    # Gradio's own sign-in page has no main landmark or h1 (moderate); its form is clean of the rest.
    assert_accessible(page, f"staff sign-in {theme}", impacts=("serious", "critical"))
    staff_login(page)
    assert_accessible(page, f"staff review, empty {theme}")
    page.get_by_text("Find turns").click()
    page.locator("#turns").wait_for()
    assert_accessible(page, f"staff finder {theme}")
    page.get_by_text("Find turns").click()
    page.locator("#f-session input, #f-session textarea").first.focus()
    page.keyboard.type(session[:10])
    page.keyboard.press("Escape")
    page.locator("#queue-status").get_by_text("3 turns waiting").wait_for()
    detail = page.locator("#turn-detail")
    page.keyboard.press("n")
    detail.get_by_text(f"Turn {ids[0]}", exact=True).wait_for()
    assert "This is the first question of the conversation." in detail.inner_text()
    assert detail.locator("mark").count() >= 1
    page.keyboard.press("1")
    detail.get_by_text(f"Turn {ids[1]}", exact=True).wait_for()
    text = detail.inner_text()
    assert "Earlier in this conversation (1 turn)" in text and KIDNEY in text
    if theme == "light":
        page.screenshot(path=str(DOCS / "staff-review.png"), full_page=True)
    assert_accessible(page, f"staff review, a turn {theme}")
    page.keyboard.press("2")
    detail.get_by_text(f"Turn {ids[2]}", exact=True).wait_for()
    page.locator("#note textarea").focus()
    page.keyboard.type("asks what it measures; answer names the score")
    page.keyboard.press("Escape")
    page.keyboard.press("4")
    page.locator("#verdict-status").get_by_text("Nothing left to review").wait_for()
    verdicts = [(log.turn(i)["verdict"], log.turn(i)["reviewer"]) for i in ids]
    assert verdicts == [("correct", USER), ("incorrect", USER), ("unclear", USER)]
    assert log.turn(ids[2])["note"] == "asks what it measures; answer names the score"
    assert page.get_by_role("link", name="Sign out").get_attribute("href").endswith("logout")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_evaluation_tab_is_clean_in_both_themes(patient_url, open_page, theme):
    page = open_page(patient_url, "desktop", theme)
    page.wait_for_selector("#question textarea")
    tab = page.get_by_role("tab", name="Evaluation")
    if not tab.count():  # the tab lives in the staff app once it has moved there
        pytest.skip("no Evaluation tab in the patient app")
    tab.click()
    page.locator("#eval-file").wait_for()
    assert_accessible(page, f"evaluation tab {theme}")
