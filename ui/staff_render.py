"""One logged turn as escaped HTML for reviewers: each sentence beside its cited passage and check."""

from __future__ import annotations

import html
import json

from assistant.check import best_sentence
from assistant.types import Citation

from .log import REASONS
from .render import highlighted, text


def _citation(data: dict) -> Citation:
    fields = {k: data.get(k, "") for k in ("trial_id", "title", "section", "text", "chunk_id", "highlight")}
    return Citation(n=int(data.get("n", 0)), **fields)


def sentences_table(turn: dict) -> str:
    citations = {int(c["n"]): _citation(c) for c in turn["citations"]}
    rows = []
    for check in turn["checks"]:
        passages = "".join(
            f"<div class='tc-passage'><strong>[{n}] {text(citations[n].trial_id)} · {text(citations[n].section)}"
            # Marked: the passage sentence closest to *this* sentence (Citation.highlight is per source).
            f"</strong><br>{highlighted(citations[n].text, best_sentence(citations[n].text, check['sentence']))}</div>"
            if n in citations else f"<div class='tc-passage'>[{n}] (source missing from the log)</div>"
            for n in check["citations"]
        ) or "<em>no passage: the sentence was dropped from the answer</em>"
        verdict = ("<span class='tc-pass'>passed</span>" if check["supported"]
                   else "<span class='tc-fail'>failed (dropped)</span>")
        rows.append(f"<tr><td>{text(check['sentence'])}</td><td>{passages}</td><td>{verdict}</td></tr>")
    if not rows:
        return "<p>No cited sentences in this answer (nothing to check against a source).</p>"
    return ("<table class='tc-table'><caption>Sentences and their sources</caption><thead><tr>"
            "<th scope='col'>Sentence</th><th scope='col'>Cited passage (supporting sentence marked)</th>"
            "<th scope='col'>Support check</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def passages_table(turn: dict) -> str:
    """Retrieved passages with scores, each cited one marked with its [n]; cited passages that were not
    in the retrieved list (a follow-up may cite an earlier trial) are listed too."""
    cited = {c.get("chunk_id"): int(c.get("n", 0)) for c in turn["citations"]}
    retrieved = [p.get("chunk_id") for p in turn["passages"]]
    rows = [(p.get("chunk_id"), p.get("score"), p.get("dense"), p.get("bm25")) for p in turn["passages"]]
    rows += [(chunk, "not retrieved", "", "") for chunk in cited if chunk not in retrieved]
    if not rows:
        return "<p>No passages were retrieved.</p>"
    body = "".join(
        f"<tr><td>{text(chunk)}</td><td>{f'[{cited[chunk]}]' if chunk in cited else ''}</td><td>{text(score)}</td>"
        f"<td>{text(dense)}</td><td>{text(bm25)}</td></tr>" for chunk, score, dense, bm25 in rows)
    return ("<details class='tc-retrieved'><summary>Retrieved passages and scores</summary>"
            "<table class='tc-table'><caption>Retrieved passages with scores</caption><thead><tr>"
            "<th scope='col'>Passage</th><th scope='col'>Cited as</th><th scope='col'>Fused score</th>"
            "<th scope='col'>Dense</th><th scope='col'>BM25</th></tr></thead><tbody>" + body + "</tbody></table>"
            "</details>")


def feedback_text(turn: dict) -> str:
    """The patient's thumb and, for a dislike, what they said was wrong."""
    if not turn.get("feedback"):
        return "none"
    if turn["feedback"] == "up":
        return "thumbs up"
    why = REASONS.get(turn.get("reason") or "", "")
    words = f" “{turn['reason_text']}”" if turn.get("reason_text") else ""
    return "thumbs down" + (f": {why}" if why else "") + words if (why or words) else "thumbs down (no reason given)"


def conversation_html(earlier: list[dict]) -> str:
    """The turns before this one in the same chat, oldest first: what the patient had already seen."""
    if not earlier:
        return "<p class='tc-first'>This is the first question of the conversation.</p>"
    items = "".join(
        f"<li><div class='tc-q'><strong>Patient:</strong> {text(t['question'])}</div>"
        f"<div class='tc-a'><strong>TrialChat ({text(t['behavior'])}):</strong> {text(t['answer'])}</div></li>"
        for t in earlier)
    return (f"<h3>Earlier in this conversation ({len(earlier)} turn{'s' if len(earlier) != 1 else ''})</h3>"
            f"<ol class='tc-convo'>{items}</ol>")


def turn_html(turn: dict, earlier: list[dict] | None = None) -> str:
    verdict = (f"{text(turn['verdict'])} by {text(turn['reviewer'])} at {text(turn['verdict_at'])}"
               + (f": {text(turn['note'])}" if turn["note"] else "")) if turn["verdict"] else "not reviewed yet"
    config = json.dumps(turn["config"], indent=1, sort_keys=True)
    disliked = " tc-disliked" if turn.get("feedback") == "down" else ""
    return "".join([
        f"<section class='tc-turn' aria-label='Turn {int(turn['id'])}'>",
        f"<h2>Turn {int(turn['id'])}</h2>",
        "<dl class='tc-facts'>",
        f"<dt>Patient feedback</dt><dd class='tc-feedback{disliked}'>{text(feedback_text(turn))}</dd>",
        f"<dt>Verdict</dt><dd>{verdict}</dd>",
        f"<dt>Behaviour</dt><dd>{text(turn['behavior'])}</dd>",
        f"<dt>Time (UTC)</dt><dd>{text(turn['created_at'])}</dd>",
        f"<dt>Session</dt><dd>{text(turn['session_id'])}</dd>",
        "</dl>",
        conversation_html(earlier or []),
        f"<h3>Question</h3><p class='tc-quote tc-q'>{text(turn['question'])}</p>",
        f"<h3>Answer</h3><p class='tc-quote'>{text(turn['answer'])}</p>",
        sentences_table(turn),
        passages_table(turn),
        f"<details><summary>Configuration (corpus {text(turn['corpus_hash'] or 'unknown')})</summary>"
        f"<pre>{html.escape(config)}</pre></details>",
        "</section>",
    ])
