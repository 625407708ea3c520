"""HTML fragments: everything from a patient or an entry is escaped; [n] links to its source."""

from __future__ import annotations

import re

import pytest

from assistant.types import Answer, Citation
from ui.render import answer_html, highlighted, partial_html, question_html, text

NASTY = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "line one\n\nline <b>two</b>",
]


def citation(n: int = 1, text_: str = "First sentence. It includes 48 adults. Last.", highlight: str =
             "It includes 48 adults.") -> Citation:
    return Citation(n, "NCT05917561", "Vitiligo <study>", "Summary", text_, f"NCT05917561#s{n}", highlight)


@pytest.mark.parametrize("payload", NASTY)
def test_user_text_never_becomes_markup(payload):
    for fragment in (question_html(payload), partial_html(payload), text(payload)):
        assert "<script" not in fragment and "<img" not in fragment and "<svg" not in fragment and "<b>" not in fragment
        assert "\n\n" not in fragment  # a blank line would end the raw HTML block and re-enable Markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in question_html("<script>alert(1)</script>")


def test_markers_link_to_their_sources_and_the_supporting_sentence_is_marked():
    answer = Answer("q", "It includes 48 adults [1]. Unknown marker [7] stays text.", "answer", [citation()])
    html = answer_html(answer, "k1")
    assert html.count('class="tc-cite"') == 1
    assert '<a class="tc-cite" href="#tc-src-k1-1"' in html and 'id="tc-src-k1-1"' in html
    assert "[7] stays text" in html
    assert "First sentence. <mark>It includes 48 adults.</mark> Last." in html
    assert "Vitiligo &lt;study&gt;" in html and "NCT05917561" in html and "Summary" in html
    assert "\n" not in html


def test_entry_text_with_markup_is_escaped_inside_the_source_panel():
    evil = Citation(1, "NCT1", "<img src=x onerror=alert(1)>", "<b>s</b>", "<script>x()</script> Safe.", "c", "Safe.")
    html = answer_html(Answer("q", "Fact [1].", "answer", [evil]), "k")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "<mark>Safe.</mark>" in html


def test_highlight_missing_from_passage_shows_the_plain_passage():
    assert highlighted("A <b> passage.", "not there") == "A &lt;b&gt; passage."
    assert re.fullmatch(r"<mark>A\.</mark>", highlighted("A.", "A."))


def test_answer_without_citations_has_no_sources_block():
    html = answer_html(Answer("q", "I can only answer questions about the trials.", "out_of_scope"), "k")
    assert "tc-sources" not in html and "tc-cite" not in html
