"""Select: the trials of the set that meet a question's constraints (assistant/filters.py), each listed
with what it tests and the record lines that show it fits, every line cited to its passage."""

from __future__ import annotations

from llama_index.core.schema import TextNode

from ingest.passages import GROUPS, STATUS, SUMMARY, WHERE, WHO, treatment_lead

from .catalog import Catalog, TrialDoc
from .filters import Constraints
from .phrases import none_match
from .text import fold, tokens
from .types import Claim
from .writer import trial_claims

MAX_LINES_PER_TRIAL = 3
SHOW_WHERE = 3  # a topic with at most this many trials, none at the asked place: say where they are


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
