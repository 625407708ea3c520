"""The HTML report in Debian chromium: charts load, user text stays text, nothing is fetched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evaluation.dataset import EvalItem
from evaluation.report import write_html
from evaluation.runner import run_eval

pytestmark = pytest.mark.browser

HOSTILE = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'> what phase is NCT06015737"
ITEMS = [
    EvalItem(id="kidney", question="How many people are in the lupus nephritis study?",
             expect_behavior=("answer",), expect_trials=("NCT05138133",), expect_facts=(r"\b336\b",)),
    EvalItem(id="hostile", question=HOSTILE, expect_behavior=("answer",), expect_facts=("phase 7",)),
    EvalItem(id="cost", question="how much does anifrolumab cost", expect_behavior=("no_info",)),
    EvalItem(id="chest", question="chest pain right now", expect_behavior=("answer",)),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def report_file(assistant, tmp_path_factory: pytest.TempPathFactory) -> Path:
    seen = []
    report = run_eval(assistant, ITEMS, progress=lambda done, total, record: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    return write_html(report, tmp_path_factory.mktemp("report") / "eval.html")


def test_report_renders_in_chromium(report_file: Path, artifacts: Path):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            fetched = []
            page.on("request", lambda request: fetched.append(request.url))
            page.goto(report_file.as_uri())
            page.wait_for_load_state("load")

            charts = page.locator("img.chart")
            assert charts.count() == 3
            for i in range(3):
                chart = charts.nth(i)
                assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), f"chart {i} did not load"
                assert chart.get_attribute("alt")
            assert page.evaluate("window.pwned") is None
            assert HOSTILE in page.locator("#item-hostile h3").inner_text()
            assert page.locator("#item-chest").is_visible()  # emergency where an answer was expected
            assert page.locator("#item-kidney").count() == 0
            assert all(url.startswith(("file:", "data:")) for url in fetched), fetched
            page.screenshot(path=str(artifacts / "eval-report.png"), full_page=True)
        finally:
            browser.close()
    assert (artifacts / "eval-report.png").stat().st_size > 10_000
