"""Answers, questions and entries as HTML fragments; every piece of text is escaped here.

The chat renders a message that starts with a block tag as one raw HTML block (no Markdown inside),
so escaped text stays text: a question or corpus entry can never become markup or script. Fragments
are kept on one line because a blank line would end the HTML block and switch Markdown back on.
"""

from __future__ import annotations

import html
import re

from assistant.types import Answer, Citation

MARKER = re.compile(r"\[(\d+)\]")


def text(value) -> str:
    """Escape for HTML text and attributes; newlines become <br> so the fragment stays one block."""
    escaped = html.escape("" if value is None else str(value), quote=True)
    return "<br>".join(" ".join(line.split()) for line in escaped.splitlines()) or ""


def question_html(question: str) -> str:
    return f'<p class="tc-user">{text(question)}</p>'


def partial_html(words: str) -> str:
    """The answer while it streams: plain escaped text, markers not yet linked."""
    return f'<div class="tc-answer"><p>{text(words)}<span class="tc-typing" aria-hidden="true"> …</span></p></div>'


def source_id(key: str, n: int) -> str:
    return f"tc-src-{key}-{n}"


def highlighted(passage: str, highlight: str) -> str:
    """The passage with its supporting sentence in <mark>; escaped piecewise so the mark survives."""
    start = passage.find(highlight) if highlight else -1
    if start < 0:
        return text(passage)
    end = start + len(highlight)
    return f"{text(passage[:start])} <mark>{text(highlight)}</mark> {text(passage[end:])}".strip()


def source_html(citation: Citation, key: str) -> str:
    label = f"{text(citation.trial_id)} · {text(citation.title)} · {text(citation.section)}"
    return (
        f'<details class="tc-source" id="{source_id(key, citation.n)}">'
        f'<summary><span class="tc-n">[{citation.n}]</span> {label}</summary>'
        f'<blockquote>{highlighted(citation.text, citation.highlight)}</blockquote></details>'
    )


def answer_html(answer: Answer, key: str) -> str:
    """The final answer: each known [n] links to its source, listed (collapsed) under the answer.

    ``key`` makes element ids unique when several answers are on the page.
    """
    numbers = {c.n for c in answer.citations}

    def marker(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return (f'<a class="tc-cite" href="#{source_id(key, n)}" title="Show source {n}">[{n}]</a>')

    body = MARKER.sub(marker, text(answer.text))
    parts = [f'<div class="tc-answer"><p>{body}</p>']
    if answer.citations:
        parts.append('<div class="tc-sources"><p class="tc-sources-title">Sources (select a number to read it)</p>')
        parts += [source_html(c, key) for c in answer.citations]
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)
