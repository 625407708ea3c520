"""Compose: claims from the record's own passages for the aspects a question asks.

A record's registry fields are stored as passages of short lines grouped the way patients ask
(sites, who cannot take part, groups and treatments, status and dates...). For an asked aspect the
answer quotes the lines of that group that share the question's own words ("any site in Texas?"),
or its first lines when none does; lines from one passage become one cited claim, so every claim is
checked against the passage that holds it.
"""

from __future__ import annotations

import re

from llama_index.core.schema import TextNode

from .aspects import Aspect
from .catalog import GENERIC, TrialDoc
from .text import STOPWORDS, tokens
from .types import Claim


def _lines(node: TextNode) -> list[str]:
    return [line.strip() for line in node.get_content().splitlines() if line.strip()]


def _item(line: str) -> str:
    return line[2:].rstrip(".") if line.startswith("- ") else line.rstrip(".")


def line_words(text: str) -> set[str]:
    """The words of a line that can match a question: no stopwords, no generic trial words."""
    return {t for t in tokens(text) if t not in STOPWORDS and t not in GENERIC and len(t) > 2}



def aspect_lines(doc: TrialDoc, aspect: Aspect, question: str, naming: set[str],
                 limit: int | None = None) -> list[tuple[TextNode, list[str]]]:
    """(passage, chosen lines) for one aspect, in passage order; empty when the record lacks it."""
    nodes = [n for section in aspect.sections for n in doc.sections_named(section)]
    limit = limit or aspect.limit
    candidates: list[tuple[int, int, TextNode, str]] = []  # (order, line index, node, line)
    leads: dict[tuple[str, int], str] = {}  # (passage, line index) -> the list heading above that line
    for order, node in enumerate(nodes):
        lead = None
        for index, line in enumerate(_lines(node)):
            if line.endswith(":") and not line.startswith("- "):
                lead = line
            elif aspect.lines is None or aspect.lines.search(line):
                candidates.append((order, index, node, line))
                if lead and line.startswith("- "):
                    leads[(node.id_, index)] = lead
    if not candidates:
        return []
    asked = line_words(question) - naming - doc.common
    matching = _best_matches(asked, candidates, aspect.min_score) if asked else []
    if aspect.only_matching and not matching:
        return []
    chosen = sorted(matching or candidates, key=lambda c: (c[0], c[1]))[:limit]
    grouped: dict[tuple[str, str | None], tuple[TextNode, list[str]]] = {}
    for _, index, node, line in chosen:
        lead = leads.get((node.id_, index))
        grouped.setdefault((node.id_, lead), (node, [lead] if lead else []))[1].append(line)
    return list(grouped.values())


def _best_matches(asked: set[str], candidates: list, min_score: float = 0.0) -> list:
    """Lines sharing the question's words, a word counting less the more lines have it: for "can women
    on HRT join", the line about hormone therapy beats the one that says women aged 40 to 65."""
    words_of = [line_words(c[3]) for c in candidates]
    spread = {w: sum(_shares({w}, words) for words in words_of) for w in asked}
    scores = [sum(1 / spread[w] for w in asked if spread[w] and _shares({w}, words)) for words in words_of]
    best = max(scores, default=0)
    if best < min_score:
        return []
    return [c for c, s in zip(candidates, scores, strict=True) if best and s >= best / 2]


def _shares(asked: set[str], words: set[str]) -> bool:
    """A question word in the line, or the same stem ('smoker' and 'smoking', 'pregnant' and 'pregnancy',
    'twins' and 'twin')."""
    return bool(asked & words) or any(
        (len(a) >= 5 and w.startswith(a[:5])) or (len(a) >= 4 and a.rstrip("s") == w.rstrip("s"))
        for a in asked for w in words)


def _sentence(lines: list[str]) -> str:
    lead = lines[0] if lines[0].endswith(":") else None
    items = [_item(line) for line in (lines[1:] if lead else lines)]
    if lead:
        return f"{lead} {'; '.join(items)}."
    return " ".join(f"{item}." for item in items)


def record_claims(doc: TrialDoc, aspects: list[Aspect], question: str, naming: set[str],
                  compact: bool = False, said: frozenset[str] = frozenset()) -> tuple[list[Claim], list[Aspect]]:
    """Claims for the asked aspects the record holds, and which aspects those were; a line whose
    words the answer has all ``said`` already is left out."""
    claims: list[Claim] = []
    answered: list[Aspect] = []
    seen: set[str] = set()
    for aspect in aspects:
        groups = aspect_lines(doc, aspect, question, naming, limit=3 if compact else None)
        groups = [(node, [line for line in lines if line not in seen and not (said and line_words(line) <= said)])
                  for node, lines in groups]
        groups = [(node, lines) for node, lines in groups if lines and not all(line.endswith(":") for line in lines)]
        if not groups:
            continue
        answered.append(aspect)
        for node, lines in groups:
            seen.update(lines)
            text = _sentence(lines)
            claims.append(Claim(text, [node.id_], basis=re.sub(r"\s+", " ", text)))
    if claims:
        name = f"the {doc.entry.short_name} ({doc.entry.id})"
        first = claims[0].text
        claims[0].text = f"For {name}: {first[0].lower() + first[1:] if first[1:2].islower() else first}"
    return claims, answered
