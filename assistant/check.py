"""Check: number the sources of a draft, keep each sentence only where its passages support it, render [n]."""

from __future__ import annotations

import logging
import re

from llama_index.core.schema import TextNode

from .text import content_tokens
from .types import Citation, Claim, SentenceCheck

logger = logging.getLogger(__name__)

TRIAL_ID_IN_TEXT = re.compile(r"\b(NCT\s*\d{8}|\d{4}-\d{6}-\d{2}-\d{2})\b", re.I)
MARKER = re.compile(r"\s*\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*\b")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def split_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", text.strip())
    return [p.strip() for p in parts if p.strip()]


def _strip_labels(text: str) -> str:
    text = TRIAL_ID_IN_TEXT.sub(" ", text)
    return re.sub(r"\([^)]*\)", " ", text) if "study (" in text else text


def key_terms(text: str) -> tuple[set[str], set[str]]:
    """Numbers and acronym-like terms a supporting passage must also contain."""
    text = _strip_labels(text)
    return set(_NUMBER.findall(text)), {a.lower() for a in _ACRONYM.findall(text)}


def supports(passage: str, sentence: str) -> bool:
    numbers, terms = key_terms(sentence)
    passage_numbers = set(_NUMBER.findall(TRIAL_ID_IN_TEXT.sub(" ", passage)))
    passage_lower = passage.lower()
    return numbers <= passage_numbers and all(t in passage_lower for t in terms)


_NEGATION = re.compile(r"\b(?:not|no|none|never|without|only|cannot)\b|n't\b", re.I)
_NAME = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][\w'’-]+")


def _names(text: str) -> set[str]:
    """Named terms: acronyms and capitalised words that do not start a sentence (Week, Crohn's)."""
    text = _strip_labels(text)
    return {a.lower() for a in _ACRONYM.findall(text)} | {w.lower() for w in _NAME.findall(text)}


# "NCT… is the X study.": a label that shares the trial's name with almost any claim.
_LABEL = re.compile(r"^\s*" + TRIAL_ID_IN_TEXT.pattern + r"\s+is\b", re.I)


def _fit(sentence: str, numbers: set[str], names: set[str], negated: bool, words: set[str]) -> tuple:
    lower = sentence.lower()
    return (
        len(numbers & set(_NUMBER.findall(TRIAL_ID_IN_TEXT.sub(" ", sentence)))),
        sum(name in lower for name in names),
        negated == bool(_NEGATION.search(sentence)),
        not _LABEL.match(sentence),
        len(words & set(content_tokens(sentence))),
    )


def best_sentence(passage: str, sentence: str) -> str:
    """The passage sentence that supports ``sentence``: what both apps highlight.

    Ranked by the claim's numbers it holds, then its named terms, then whether it agrees on negation
    ("not for children" is shown beside "not included", not beside "for adults"), then anything but
    the trial's id label, then shared content words; the first sentence wins a tie.
    """
    candidates = split_sentences(passage) or [passage]
    numbers, _ = key_terms(sentence)
    names, negated = _names(sentence), bool(_NEGATION.search(sentence))
    words = set(content_tokens(_strip_labels(sentence)))
    return max(candidates, key=lambda s: _fit(s, numbers, names, negated, words))


def supporting_sentences(passage: str, sentences: list[str]) -> list[str]:
    """Every passage sentence that supports one of ``sentences`` (several answer sentences may cite
    one passage), once each, in the passage's order."""
    picked = {best_sentence(passage, s) for s in sentences if s.strip()}
    return [s for s in (split_sentences(passage) or [passage]) if s in picked]


def _with_markers(text: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in numbers)
    text = text.rstrip()
    if text and text[-1] in ".!?":
        return f"{text[:-1]} {markers}{text[-1]}"
    return f"{text} {markers}"


def render(claims: list[Claim], chunks: dict[str, TextNode]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """Drop claims whose sources are unknown or don't support them, and repeats of a sentence already
    made from the same sources (two answer parts can reach it); number the rest in order."""
    numbering: dict[str, int] = {}
    sentences: list[str] = []
    citations: list[Citation] = []
    checks: list[SentenceCheck] = []
    said: set[str] = set()
    for claim in claims:
        key = " ".join(claim.text.lower().split())
        if not claim.sources:
            if key in said:
                continue
            sentences.append(claim.text)
            said.add(key)
            continue
        basis = claim.basis or claim.text
        good = [
            s for s in claim.sources
            if s in chunks and (claim.aggregate or supports(chunks[s].get_content(), basis))
        ]
        if not good:
            logger.info("dropped unsupported sentence: %s", claim.text)
            checks.append(SentenceCheck(claim.text, [], False))
            continue
        # The same words about another trial ("Status: recruiting") are another fact: kept.
        if f"{key} {sorted(good)}" in said:
            continue
        numbers = []
        for source in dict.fromkeys(good):
            if source not in numbering:
                numbering[source] = len(numbering) + 1
                node = chunks[source]
                citations.append(
                    Citation(
                        n=numbering[source],
                        trial_id=node.metadata["trial_id"],
                        title=node.metadata["title"],
                        section=node.metadata["section"],
                        text=node.get_content(),
                        chunk_id=source,
                        highlight=best_sentence(node.get_content(), basis),
                    )
                )
            numbers.append(numbering[source])
        sentences.append(_with_markers(claim.text, numbers))
        said.add(f"{key} {sorted(good)}")
        checks.append(SentenceCheck(claim.text, numbers, True))
    return " ".join(sentences), citations, checks


def cited_numbers(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]


def strip_invalid_markers(text: str, valid: set[int]) -> str:
    """Remove any [n] that has no source (a writer may invent one)."""
    return MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
