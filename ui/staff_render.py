"""One logged turn as escaped HTML for reviewers: each sentence beside its cited passage and check."""

from __future__ import annotations

import html
import json

from assistant.citations import best_sentence
from assistant.types import Citation

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
    if not turn["passages"]:
        return "<p>No passages were retrieved.</p>"
    rows = "".join(
        f"<tr><td>{text(p.get('chunk_id'))}</td><td>{text(p.get('score'))}</td><td>{text(p.get('dense'))}</td>"
        f"<td>{text(p.get('bm25'))}</td></tr>" for p in turn["passages"])
    return ("<table class='tc-table'><caption>Retrieved passages with scores</caption><thead><tr>"
            "<th scope='col'>Passage</th><th scope='col'>Fused score</th><th scope='col'>Dense</th>"
            "<th scope='col'>BM25</th></tr></thead><tbody>" + rows + "</tbody></table>")


def turn_html(turn: dict) -> str:
    verdict = (f"{text(turn['verdict'])} by {text(turn['reviewer'])} at {text(turn['verdict_at'])}"
               + (f": {text(turn['note'])}" if turn["note"] else "")) if turn["verdict"] else "not reviewed yet"
    config = json.dumps(turn["config"], indent=1, sort_keys=True)
    return "".join([
        f"<section class='tc-turn' aria-label='Turn {int(turn['id'])}'>",
        f"<h2>Turn {int(turn['id'])}</h2>",
        "<dl class='tc-facts'>",
        f"<dt>Time (UTC)</dt><dd>{text(turn['created_at'])}</dd>",
        f"<dt>Session</dt><dd>{text(turn['session_id'])}</dd>",
        f"<dt>Behaviour</dt><dd>{text(turn['behavior'])}</dd>",
        f"<dt>Patient feedback</dt><dd>{text(turn['feedback'] or 'none')}</dd>",
        f"<dt>Verdict</dt><dd>{verdict}</dd>",
        f"<dt>Corpus hash</dt><dd>{text(turn['corpus_hash'] or 'unknown')}</dd>",
        "</dl>",
        f"<h3>Question</h3><p class='tc-quote'>{text(turn['question'])}</p>",
        f"<h3>Answer</h3><p class='tc-quote'>{text(turn['answer'])}</p>",
        sentences_table(turn),
        passages_table(turn),
        f"<details><summary>Configuration</summary><pre>{html.escape(config)}</pre></details>",
        "</section>",
    ])
