"""Select: the trials of the set that fit what a question narrows it by, each with the line that shows it.

"Any trials in Germany?", "which phase 3 trials are recruiting", "women-only studies", "device
trials": constraints read from the question (cues and place names in data/filters.yaml; places
from the records), checked against each record's typed fields, and shown with the record's own
passage lines so that every listed trial is cited to what makes it fit. A constraint no record of
the corpus can answer (no record lists sites) is not read at all, so corpora written without those
fields keep their other set answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from llama_index.core.schema import TextNode

from ingest.passages import GROUPS, STATUS, SUMMARY, WHERE, WHO, treatment_lead
from ingest.yamldata import read_yaml

from .catalog import Catalog, TrialDoc
from .phrases import none_match
from .text import fold, tokens
from .types import Claim
from .writer import trial_claims

FILTERS_FILE = Path(__file__).resolve().parent / "data" / "filters.yaml"
MAX_LINES_PER_TRIAL = 3


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
SHOW_WHERE = 3  # a topic with at most this many trials, none at the asked place: say where they are


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


def _lines(doc: TrialDoc, section: str, test) -> list[tuple[TextNode, str]]:
    return [(node, line.strip()) for node in doc.sections_named(section)
            for line in node.get_content().splitlines() if line.strip() and test(line.strip())]


def evidence(doc: TrialDoc, c: Constraints) -> list[tuple[TextNode, str]] | None:
    """The record lines that show the trial meets every constraint; None when it does not."""
    e = doc.entry
    shown: list[tuple[TextNode, str]] = []
    if c.places:
        sites = [s for s in e.locations if any(p in {" ".join(tokens(v or "")) for v in (s.city, s.state, s.country)}
                                               for p in c.places)]
        if not sites:
            return None
        wanted = {" ".join(tokens(s.facility or s.city or "")) for s in sites}
        shown += _lines(doc, WHERE, lambda line: line.startswith("- ")
                        and any(w and w in " ".join(tokens(line)) for w in wanted))[:MAX_LINES_PER_TRIAL]
    if c.statuses:
        if e.overall_status not in c.statuses:
            return None
        shown += _lines(doc, STATUS, lambda line: line.startswith(("Status:", "Why it stopped:")))
    if c.sexes:
        if e.sex not in c.sexes:
            return None
        shown += _lines(doc, WHO, lambda line: line.startswith("Sex:"))
    if c.healthy:
        if not e.healthy_volunteers:
            return None
        shown += _lines(doc, WHO, lambda line: line.startswith("Healthy volunteers:"))
    if c.types:
        kinds = {i.type for i in e.interventions}
        # A vaccine registered as a drug, a diet as "other": the record's own words count as well as its codes.
        said = _lines(doc, GROUPS, lambda line: any(rx.search(fold(line)) for rx in c.type_cues))
        if not kinds & c.types and not said:
            return None
        typed = _lines(doc, GROUPS, lambda line: line.startswith(tuple(treatment_lead(t) for t in c.types)))
        shown += (said or typed)[:2]
    if c.not_types and not c.types:  # "an app, not a drug": the app trial, even if a group also gets a drug
        kinds = {i.type for i in e.interventions if i.type}
        if not kinds or kinds & c.not_types:
            return None
        shown += _lines(doc, GROUPS, lambda line: line.startswith(tuple(treatment_lead(t) for t in kinds)))[:2]
    if c.routes:
        given = _lines(doc, GROUPS, lambda line: all(rx.search(line) for rx in c.routes))
        if not given:
            return None
        shown += given[:2]
    if c.sponsor:
        if e.sponsor != c.sponsor:
            return None
        shown += _lines(doc, SUMMARY, lambda line: line.startswith("Sponsor:"))
    if c.age is not None:
        low, high = e.minimum_age_years, e.maximum_age_years
        if low is None and high is None:
            return None
        if (low is not None and c.age < low) or (high is not None and c.age > high):
            return None
        shown += _lines(doc, WHO, lambda line: line.startswith("Ages:"))[:1]
    if c.children:
        ages = set(e.std_ages or [])
        if "CHILD" not in ages:
            return None
        shown += _lines(doc, WHO, lambda line: line.startswith(("Ages:", "Age groups:")))[:1]
    return shown


def _about(doc: TrialDoc) -> Claim:
    """What a listed trial tests and in whom ("The VELOCITY-1 study (NCT...) tests velostrant in adults
    with metastatic breast cancer."): on a list of trials on one topic, its conditions alone tell them
    apart no more than its title does. Cited to the passage that says it."""
    found = [c for c in trial_claims(doc, ["condition"], "", compact=True) if c.sources]
    if found:
        return found[0]
    e = doc.entry
    conditions = "; ".join(e.conditions[:2]) or e.title
    facts = doc.chunks.get("Key facts")
    return Claim(f"The {e.short_name} ({e.id}) is about {conditions}.", [facts.id_] if facts else [],
                 basis=conditions)


def _where(doc: TrialDoc) -> Claim | None:
    """'The study lists 2 sites in Uganda, Nigeria.': the opening line of the record's sites."""
    for node in doc.sections_named(WHERE):
        first = node.get_content().splitlines()[0].strip()
        if first.endswith(":"):
            return Claim(f"{first[:-1]}.", [node.id_], basis=first[:-1])
    return None


def _given(doc: TrialDoc, types: set[str]) -> Claim | None:
    """The record's first treatment line of one of ``types``: "Treatment (drug): nicotine patch..."."""
    found = _lines(doc, GROUPS, lambda line: line.startswith(tuple(treatment_lead(t) for t in types)))
    if not found:
        return None
    node, line = found[0]
    return Claim(line, [node.id_], basis=line.rstrip("."))


def filter_claims(catalog: Catalog, c: Constraints, subset: list[str] | None, phase: str | None,
                  limit: int = 12) -> tuple[list[Claim], list[str]]:
    """The fitting trials (of ``subset`` when the question named a kind of trial), each cited."""
    docs = [catalog.trials[t] for t in catalog.order if subset is None or t in subset]
    fitting: list[tuple[TrialDoc, list[tuple[TextNode, str]]]] = []
    for doc in docs:
        if phase and phase not in (doc.entry.phase or ""):
            continue
        shown = evidence(doc, c)
        if shown is not None:
            fitting.append((doc, shown))
    if not fitting:
        none = [Claim(none_match(len(docs), subset is not None))]
        if subset is not None and len(docs) <= SHOW_WHERE and (c.places or c.kinds() <= {"not_types"}):
            # "sickle cell trials in the usa?": no; where the few trials on that topic are is what helps.
            # "anything for smoking without meds?": no; what they give is (not what else has no drug).
            shown = _where if c.places else lambda doc: _given(doc, c.not_types)
            claims = [claim for doc in docs for claim in (_about(doc), shown(doc)) if claim is not None]
            return none + claims, [d.entry.id for d in docs]
        if subset is not None:  # "any heart trial in Brazil?": no, and here is what is in Brazil
            claims, focus = filter_claims(catalog, c, None, phase, limit)
            if focus:
                count = len(focus)
                claims[0].text = (f"Among all the entries, {count} trial{'s' if count != 1 else ''} "
                                  f"match{'es' if count == 1 else ''} the rest of the question.")
            return (none + claims, focus) if focus else (none, [])
        return none, []
    count = len(fitting)
    claims = [Claim(f"{count} trial{'s' if count != 1 else ''} in the entries match{'es' if count == 1 else ''} that.",
                    [d.chunks["Key facts"].id_ for d, _ in fitting if "Key facts" in d.chunks], aggregate=True)]
    for doc, shown in fitting[:limit]:
        claims.append(_about(doc))
        by_node: dict[str, tuple[TextNode, list[str]]] = {}
        for node, line in shown:
            by_node.setdefault(node.id_, (node, []))[1].append(line[2:].rstrip(".") if line.startswith("- ")
                                                             else line.rstrip("."))
        for node, lines in by_node.values():
            text = "; ".join(dict.fromkeys(lines))
            claims.append(Claim(f"{text}.", [node.id_], basis=text))
    if count > limit:
        claims.append(Claim(f"{count - limit} more trials match; ask about a narrower group to see them."))
    return claims, [d.entry.id for d, _ in fitting[:limit]]
