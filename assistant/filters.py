"""Select: what a question about the set narrows it by, read into typed constraints.

"Any trials in Germany?", "which phase 3 trials are recruiting", "women-only studies", "device
trials", "no drugs": constraints read from the question (cues and place names in data/filters.yaml;
places from the records), which assistant/listing.py checks against each record's typed fields. A
constraint no record of the corpus can answer (no record lists sites) is not read at all, so corpora
written without those fields keep their other set answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ingest.yamldata import read_yaml

from .catalog import Catalog
from .text import fold, tokens

FILTERS_FILE = Path(__file__).resolve().parent / "data" / "filters.yaml"


@lru_cache(maxsize=1)
def _data() -> dict:
    raw = read_yaml(FILTERS_FILE)
    compile_ = lambda rows: [(re.compile(r["cue"]), set(r["codes"])) for r in rows]  # noqa: E731
    return {
        "set": [re.compile(c) for c in raw["set_cues"]],
        "statuses": compile_(raw["statuses"]),
        "sexes": compile_(raw["sexes"]),
        "types": compile_(raw["intervention_types"]),
        "not_types": compile_(raw.get("not_intervention_types") or []),
        "routes": [(re.compile(r["cue"]), re.compile(r["lines"], re.I)) for r in raw["routes"]],
        "healthy": re.compile(raw["healthy"]),
        "sponsor": re.compile(raw["sponsor"]),
        "children": re.compile(raw["children"]),
        "places": {fold(k): fold(v) for k, v in raw["places"].items()},
        "age": re.compile(raw["age"]),
    }


@dataclass
class Constraints:
    places: list[str] = field(default_factory=list)  # folded place names as records write them
    statuses: set[str] = field(default_factory=set)
    sexes: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    type_cues: list[re.Pattern] = field(default_factory=list)  # the words that asked for those types
    not_types: set[str] = field(default_factory=set)  # "no drugs": no treatment of these types
    routes: list[re.Pattern] = field(default_factory=list)  # group lines that show how a treatment is given
    healthy: bool = False
    sponsor: str | None = None
    children: bool = False
    age: float | None = None  # the age of the person a trial should fit

    def kinds(self) -> set[str]:
        """Which kinds of constraint the question gave ("sexes", "places"...)."""
        return {name for name, value in vars(self).items() if value not in (None, False, [], set())}

    def __bool__(self) -> bool:
        return bool(self.places or self.statuses or self.sexes or self.types or self.not_types or self.routes
                    or self.healthy or self.sponsor or self.children or self.age is not None)


FIELDS = ("overall_status", "sex", "interventions", "sponsor", "std_ages", "minimum_age_years",
          "maximum_age_years")


class SetIndex:
    """What set questions can be narrowed by in this corpus, read once per catalog: the place names
    of every record's sites (city, state, country, folded, for n-gram lookup), the sponsors, and which
    record fields any record fills at all."""

    def __init__(self, catalog: Catalog):
        self.names: set[str] = set()
        sponsors: set[str] = set()
        self.fields: set[str] = set()
        for doc in catalog.trials.values():
            e = doc.entry
            for site in getattr(e, "locations", []) or []:
                for value in (site.city, site.state, site.country):
                    if value:
                        self.names.add(" ".join(tokens(value)))
            if e.sponsor:
                sponsors.add(e.sponsor)
            self.fields |= {name for name in FIELDS if getattr(e, name, None)}
            if e.healthy_volunteers is not None:
                self.fields.add("healthy_volunteers")
        self.sponsors = sorted(sponsors)
        self.sponsor_words = _own_words(self.sponsors)
        self.longest = max((len(n.split()) for n in self.names), default=0)

    def find(self, folded: str) -> list[str]:
        words = tokens(folded)
        aliases = _data()["places"]
        found: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(max(self.longest, 3), len(words) - i), 0, -1):
                gram = " ".join(words[i:i + size])
                name = aliases.get(gram, gram)
                short_alias = gram in aliases and len(gram) <= 3
                # "in the us", "near the states": an article may stand between.
                before = words[max(0, i - 2):i]
                after_preposition = bool(before) and (before[-1] in PLACE_PREPOSITIONS or (
                    before[-1] == "the" and len(before) == 2 and before[0] in PLACE_PREPOSITIONS))
                if name in self.names and (not short_alias or after_preposition):
                    found.append(name)
                    i += size - 1
                    break
            i += 1
        return list(dict.fromkeys(found))


def _own_words(sponsors: list[str]) -> dict[str, set[str]]:
    """Each sponsor's words that no other sponsor has and that are no English word ("aldermoor")."""
    from .synonyms import english_words

    counts: dict[str, int] = {}
    for name in sponsors:
        for word in set(tokens(name)):
            counts[word] = counts.get(word, 0) + 1
    english = english_words()
    return {name: {w for w in set(tokens(name)) if counts[w] == 1 and len(w) >= 5 and w.isalpha()
                   and w not in english} for name in sponsors}


PLACE_PREPOSITIONS = ("in", "near", "at", "around", "from", "to")


def set_index(catalog: Catalog) -> SetIndex:
    """What set questions can filter by, built on first use (a catalog is rebuilt after every ingest)."""
    index = getattr(catalog, "set_index", None)
    if index is None:
        index = catalog.set_index = SetIndex(catalog)
    return index


def read_constraints(index: SetIndex, folded: str) -> Constraints:
    data = _data()
    has = index.fields
    c = Constraints()
    if index.names:
        c.places = index.find(folded)
    if "overall_status" in has:
        c.statuses = next((codes for rx, codes in data["statuses"] if rx.search(folded)), set())
    if "sex" in has:
        c.sexes = next((codes for rx, codes in data["sexes"] if rx.search(folded)), set())
    if "interventions" in has:
        refused = [(rx, codes) for rx, codes in data["not_types"] if rx.search(folded)]
        c.not_types = set().union(*[codes for _, codes in refused])
        for rx, _ in refused:
            folded = rx.sub(" ", folded)
        asked = [(rx, codes) for rx, codes in data["types"] if rx.search(folded)]
        c.types = set().union(*[codes for _, codes in asked])
        c.type_cues = [rx for rx, _ in asked]
        c.routes = [lines for cue, lines in data["routes"] if cue.search(folded)]
    if "healthy_volunteers" in has:
        c.healthy = bool(data["healthy"].search(folded))
    if index.sponsors:
        words = set(tokens(folded))
        if data["sponsor"].search(folded):
            c.sponsor = next((s for s in index.sponsors if set(tokens(s)) - {"inc", "ltd", "the", "of"} <= words),
                             None)
        # "which studies does aldermoor run": a sponsor's own name word (no English word) names it alone.
        c.sponsor = c.sponsor or next((s for s, own in index.sponsor_words.items() if own & words), None)
    if "std_ages" in has:
        c.children = bool(data["children"].search(folded))
    if {"minimum_age_years", "maximum_age_years"} & has:
        found = data["age"].search(folded)
        if found:
            value = float(found.group(1) or found.group(2))
            if value <= 120:
                c.age, c.children = value, False
    return c


def without_constraints(folded: str, c: Constraints) -> str:
    """The question less the words that asked for the constraints: what is left names a kind of trial
    ("cancer trials in Canada"), and "stopped early" must not link a trial about early disease."""
    data = _data()
    patterns = [rx for rx, _ in data["statuses"] + data["sexes"] + data["not_types"] + data["types"] + data["routes"]]
    patterns += [data["healthy"], data["sponsor"], data["children"], data["age"]]
    for rx in patterns:
        folded = rx.sub(" ", folded)
    for name in c.places:
        folded = re.sub(rf"\b{re.escape(name)}\b", " ", folded)
    for alias in data["places"]:
        folded = re.sub(rf"\b{re.escape(alias)}\b", " ", folded)
    if c.sponsor:
        for word in tokens(c.sponsor):
            folded = re.sub(rf"\b{re.escape(word)}\b", " ", folded)
    return " ".join(folded.split())


def without_people(folded: str) -> str:
    """The question less the words for whom a rule is about (children, men, an age, healthy people)."""
    data = _data()
    for rx in [*(rx for rx, _ in data["sexes"]), data["children"], data["healthy"], data["age"]]:
        folded = rx.sub(" ", folded)
    return " ".join(folded.split())


def is_set_question(folded: str) -> bool:
    return any(rx.search(folded) for rx in _data()["set"])
