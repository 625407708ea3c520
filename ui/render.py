"""Answers, questions and entries as HTML fragments; every piece of text is escaped here.

The chat renders a message that starts with a block tag as one raw HTML block (no Markdown inside),
so escaped text stays text: a question or corpus entry can never become markup or script. Fragments
are kept on one line because a blank line would end the HTML block and switch Markdown back on.
"""

from __future__ import annotations

import html
import re

from assistant.check import supporting_sentences
from assistant.types import Answer, Citation

MARKER = re.compile(r"\[(\d+)\]")
# Three or more markers in a row ("[1][2][3][4]") read as one chip.
MARKER_RUN = re.compile(r"(?:\[\d+\]){3,}")
# Short numbers in the emergency message are phone numbers (911, 112, 988): each becomes a tel: link.
PHONE = re.compile(r"(?<![\d.,])\b(\d{3})\b(?![\d.,]\d)")


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


def highlighted(passage: str, highlight: str | list[str]) -> str:
    """The passage with its supporting sentence(s) in <mark>; escaped piecewise so the marks survive."""
    wanted = [highlight] if isinstance(highlight, str) else list(highlight)
    spans, taken = [], 0
    for sentence in wanted:
        start = passage.find(sentence, taken) if sentence else -1
        if start < 0:
            start = passage.find(sentence) if sentence else -1
        if start >= taken:
            spans.append((start, start + len(sentence)))
            taken = start + len(sentence)
    if not spans:
        return text(passage)
    out, at = [], 0
    for start, end in sorted(spans):
        out.append(f"{text(passage[at:start])} <mark>{text(passage[start:end])}</mark> ")
        at = end
    out.append(text(passage[at:]))
    return "".join(out).strip().replace("  ", " ")


def citation_highlights(answer: Answer) -> dict[int, list[str]]:
    """Per source: every passage sentence that supports an answer sentence citing it (the shared picker)."""
    by_n: dict[int, list[str]] = {}
    for check in answer.checks:
        for n in check.citations if check.supported else []:
            by_n.setdefault(n, []).append(check.sentence)
    out = {}
    for c in answer.citations:
        picked = supporting_sentences(c.text, by_n[c.n]) if c.n in by_n else []
        out[c.n] = picked or ([c.highlight] if c.highlight else [])
    return out


def trial_link(trial_id: str) -> str:
    """A link to the trial's page in the Trials tab (the page script opens it there)."""
    return (f'<a class="tc-trial-link" href="#trial-{text(trial_id)}">'
            f"Open the {text(trial_id)} entry</a>")


def source_html(citation: Citation, key: str, highlights: list[str] | None = None) -> str:
    label = f"{text(citation.trial_id)} · {text(citation.title)} · {text(citation.section)}"
    marks = highlights if highlights is not None else [citation.highlight]
    return (
        f'<details class="tc-source" id="{source_id(key, citation.n)}">'
        f'<summary><span class="tc-n">[{citation.n}]</span> {label}</summary>'
        f'<blockquote>{highlighted(citation.text, marks)}</blockquote>'
        f'<p class="tc-source-links">{trial_link(citation.trial_id)}</p></details>'
    )


def emergency_html(answer: Answer) -> str:
    """The emergency reply as an alert: whole at once, phone numbers as tel: links, nothing else."""
    body = PHONE.sub(lambda m: f'<a class="tc-tel" href="tel:{m.group(1)}">{m.group(1)}</a>', text(answer.text))
    return (f'<div class="tc-emergency" role="alert" aria-live="assertive">'
            f'<p class="tc-emergency-title"><span class="tc-emergency-icon" aria-hidden="true">⚠</span> '
            f"Get help now</p><p>{body}</p></div>")


def answer_html(answer: Answer, key: str, trial_count: int | None = None) -> str:
    """The final answer: its text first, each [n] a chip opening its source, sources folded into one line.

    ``key`` makes element ids unique when several answers are on the page; ``trial_count`` (how many
    trials the catalog holds) lets a run of markers citing every one of them read "all N trials".
    """
    if answer.behavior == "emergency":
        return emergency_html(answer)
    by_n = {c.n: c for c in answer.citations}
    sources_id = f"tc-sources-{key}"

    def marker(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in by_n:
            return match.group(0)
        return (f'<a class="tc-cite" href="#{source_id(key, n)}" title="Source {n}: '
                f'{text(by_n[n].trial_id)}">[{n}]</a>')

    def run(match: re.Match) -> str:
        numbers = [int(n) for n in MARKER.findall(match.group(0))]
        if any(n not in by_n for n in numbers):
            return match.group(0)  # linked one by one below
        trials = {by_n[n].trial_id for n in numbers}
        label = (f"all {len(trials)} trials" if trial_count and len(trials) >= trial_count
                 else f"{len(trials)} trials" if len(trials) == len(numbers) else f"{len(numbers)} sources")
        return (f'<a class="tc-cite tc-cite-run" href="#{sources_id}" title="Sources {numbers[0]} to '
                f'{numbers[-1]}">{label}</a>')

    body = MARKER_RUN.sub(run, text(answer.text))
    body = MARKER.sub(marker, body)
    parts = [f'<div class="tc-answer"><p class="tc-text">{body}</p>']
    if answer.citations:
        count = len(answer.citations)
        highlights = citation_highlights(answer)
        parts.append(f'<details class="tc-sources" id="{sources_id}"><summary>{count} source'
                     f'{"s" if count != 1 else ""}</summary>')
        parts += [source_html(c, key, highlights.get(c.n)) for c in answer.citations]
        parts.append("</details>")
    # The page script copies the answer and its sources as text (see theme.HEAD).
    parts.append('<p class="tc-tools"><button type="button" class="tc-copy">Copy answer</button>'
                 '<span class="tc-copied" role="status"></span></p></div>')
    return "".join(parts)
