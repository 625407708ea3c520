"""Plain words for registry values (codes from registry_words.yaml, data not code; time frames)."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from .yamldata import read_yaml

logger = logging.getLogger(__name__)

WORDS_FILE = Path(__file__).with_name("registry_words.yaml")
AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


@cache
def words() -> dict:
    return read_yaml(WORDS_FILE)


def known(kind: str) -> dict:
    return words()[kind]


def plain(kind: str, code) -> str:
    """The words for one registry code; an unknown code is shown as written, never dropped."""
    table = words().get(kind) or {}
    if code in table:
        return str(table[code])
    logger.info("no plain words for %s value %r in %s", kind, code, WORDS_FILE.name)
    return str(code).replace("_", " ").lower()


def age_years(text: str | None) -> float | None:
    """'18 Years' -> 18.0, '6 Months' -> 0.5; None for text that is not a number and a unit."""
    found = AGE.match(text or "")
    if not found:
        return None
    per_year = words()["age_units"].get(found.group(2).lower())
    if per_year is None:
        return None
    return round(float(found.group(1)) / per_year, 4)


def max_age_years() -> float:
    return float(words()["max_age_years"])


def unescape(text: str) -> str:
    """Undo the registry's Markdown escapes ('\\<' -> '<', '\\>=' -> '>='); the rest as written."""
    chars = re.escape(words()["escaped_characters"])
    return re.sub(rf"\\([{chars}])", r"\1", text)


# Registries write a time frame as a moment ("Week 24") or as a span ("Up to 36 months", "Through Day 30").
SPAN_WORDS = {"up", "through", "throughout", "until", "till", "within", "from", "after", "over", "during", "by",
              "before", "between"}


def at_time(timepoint: str | None) -> str:
    """' at Week 24', but ' up to 36 months': the words that follow an endpoint's name."""
    if not timepoint:
        return ""
    first = timepoint.split()[0]
    if first.lower() in SPAN_WORDS:
        return f" {first.lower()}{timepoint[len(first):]}"
    if first.lower() == "baseline" and " to " in timepoint.lower():  # "Baseline to Week 52"
        return f" from baseline{timepoint[len(first):]}"
    return f" at {timepoint}"
