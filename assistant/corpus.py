"""Questions about the whole set (counts, lists, largest) answered from the entries' fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingest.words import at_time

from .catalog import Catalog, TrialDoc
from .phrases import none_match
from .types import Claim
from .writer import HOW, WHO

FACTS = "Key facts"


def _people(doc: TrialDoc) -> str:
    population = doc.entry.population.lower()
    if population.startswith("adults"):
        return "adults"
    if population.startswith("children"):
        return "children and teens"
    return "people"


def _facts_id(doc: TrialDoc) -> str:
    return doc.chunks[FACTS].id_


def _line(doc: TrialDoc, detail: str = "summary") -> Claim:
    """One cited sentence per trial, built from its key facts and checked against them."""
    e = doc.entry
    name = f"The {e.short_name} ({e.id})"
    if detail == "condition":
        return Claim(f"{name} is about {'; '.join(e.conditions)}.", [_facts_id(doc)], basis=" ".join(e.conditions))
    size = f" in {e.enrollment} {_people(doc)}" if e.enrollment is not None else ""
    basis = f"{e.phase} {e.enrollment or ''}"
    if detail == "endpoint" and e.primary_endpoint:
        when = at_time(e.primary_endpoint_timepoint)
        return Claim(f"{name} measures {e.primary_endpoint}{when}.", [_facts_id(doc)],
                     basis=f"{e.primary_endpoint} {e.primary_endpoint_timepoint or ''}")
    return Claim(f"{name} is a {e.phase} study{size}.", [_facts_id(doc)], basis=basis)


def _agree(n: int, what: str) -> str:
    """'1 trial include children' -> '1 trial includes children': the verb follows the count."""
    if n != 1:
        return what
    lead, verb, rest = "", *what.partition(" ")[::2]
    if what.startswith("in the entries "):  # "in the entries match that": the verb comes after the place
        lead, (verb, _, rest) = "in the entries ", what[len("in the entries "):].partition(" ")
    singular = {"are": "is", "have": "has", "do": "does"}.get(
        verb, verb if verb.endswith("s") else verb + ("es" if verb.endswith(("ch", "sh", "x")) else "s"))
    return f"{lead}{singular} {rest}".strip()


def _count(n: int, what: str, docs: list[TrialDoc]) -> Claim:
    if n == 1:
        return Claim(f"Only 1 trial {_agree(n, what)}.", [_facts_id(d) for d in docs], aggregate=True)
    return Claim(f"{n} trials {what}.", [_facts_id(d) for d in docs], aggregate=True)


def compare_claims(docs: list[TrialDoc], smaller: bool = False) -> list[Claim]:
    """'Which is bigger, X or Y?': the answer first, then each trial's size cited to its own entry."""
    sized = sorted((d for d in docs if d.entry.enrollment is not None), key=lambda d: -d.entry.enrollment)
    if len(sized) < 2:
        return []
    pick = sized[-1] if smaller else sized[0]
    others = [d for d in sized if d is not pick]
    if all(d.entry.enrollment == pick.entry.enrollment for d in others):
        lead = "They are the same size."
    else:
        word = "smaller" if smaller else "bigger"
        lead = f"The {pick.entry.short_name} is the {word} one." if len(sized) == 2 else \
            f"The {pick.entry.short_name} is the {'smallest' if smaller else 'largest'} of these."
    claims = [Claim(lead, [_facts_id(d) for d in sized], aggregate=True)]
    for d in sized:
        claims.append(Claim(f"The {d.entry.short_name} ({d.entry.id}) has {d.entry.enrollment} {_people(d)}.",
                            [_facts_id(d)], basis=str(d.entry.enrollment)))
    return claims


@dataclass
class SetQuestion:
    """What a question about the whole set asks: its kind and the filters it names."""

    kind: str
    subset: list[str] | None = None  # trials the question narrowed to, e.g. "asthma trials"
    phase: str | None = None
    week: str | None = None
    negate: bool = False  # "which trials are NOT for adults only"
    size_min: int | None = None
    size_max: int | None = None
    drug: str = "the study treatment"  # the corpus's shared treatment when every trial tests the same one


# kind -> (test on an entry, what the selected trials "are"/"do", what the others are "not")
SELECTORS: dict[str, tuple[Callable, str, str]] = {
    "children": (lambda e, q: bool(e.includes_children), "include children", "listed as including children"),
    "completed": (lambda e, q: (e.status or "").lower() == "completed", "are marked as completed",
                  "marked as completed"),
    "injection": (lambda e, q: "subcutaneous" in (e.route or ""),
                  "give {drug} as a shot under the skin (subcutaneous injection)",
                  "described as given by a shot under the skin"),
    "open_label": (lambda e, q: "open-label" in e.design, "are open-label", "open-label"),
    "add_on": (lambda e, q: "add-on to standard of care" in e.design, "add {drug} to standard of care",
               "described as adding {drug} to standard of care"),
    "adults_only": (lambda e, q: (e.ages or "") == "adults", "are for adults only", "listed as adults only"),
    "phase": (lambda e, q: e.phase == q.phase, "are {phase} studies", "{phase} studies"),
    "week": (lambda e, q: f"Week {q.week}" in (e.primary_endpoint_timepoint or ""),
             "measure their main result at Week {week}", "measured at Week {week}"),
    "size_range": (lambda e, q: e.enrollment is not None and (q.size_min is None or e.enrollment > q.size_min)
                   and (q.size_max is None or e.enrollment < q.size_max), "have {range}", "of that size"),
}
NOTES = {
    "completed": "The other entries do not give a status.",
    "injection": "The other entries do not say how the drug is given.",
}


def _range_words(q: SetQuestion) -> str:
    if q.size_min is not None and q.size_max is not None:
        return f"between {q.size_min + 1} and {q.size_max - 1} people"
    if q.size_min is not None:
        return f"more than {q.size_min} people"
    return f"fewer than {q.size_max} people"


def _select(kind: str, docs: list[TrialDoc], q: SetQuestion) -> tuple[list[TrialDoc], str, str]:
    test, positive, negative = SELECTORS[kind]
    words = {"phase": q.phase, "week": q.week, "range": _range_words(q) if kind == "size_range" else "",
             "drug": q.drug}
    chosen = [d for d in docs if test(d.entry, q)]
    return chosen, positive.format(**words), negative.format(**words)


def corpus_claims(catalog: Catalog, q: SetQuestion) -> tuple[list[Claim], list[str]]:
    """Claims for a question about the set; ``q.subset`` narrows it (e.g. 'asthma trials')."""
    all_docs = [catalog.trials[t] for t in catalog.order]
    docs = [d for d in all_docs if q.subset is None or d.entry.id in q.subset]
    scope = "in the entries" if q.subset is None else "in the entries match that"
    kind = q.kind

    def listing(selected: list[TrialDoc], what: str, detail: str = "summary") -> list[Claim]:
        if not selected:
            return [Claim(none_match(len(docs), q.subset is not None))]
        return [_count(len(selected), what, selected), *[_line(d, detail) for d in selected]]

    if kind in SELECTORS and (kind not in ("phase", "week") or (q.phase if kind == "phase" else q.week)):
        chosen, positive, negative = _select(kind, docs, q)
        detail = "endpoint" if kind == "week" else "summary"
        if q.negate:
            others = [d for d in docs if d not in chosen]
            claims = listing(others, f"are not {negative}", detail)
        elif not chosen and q.subset is not None:
            # "any phase 2 trial for asthma?" -> no, and here are the Phase 2 trials there are.
            everywhere, _, _ = _select(kind, all_docs, q)
            claims = [Claim(none_match(len(docs), q.subset is not None))]
            if everywhere:
                claims += listing(everywhere, positive, detail)
        else:
            claims = listing(chosen, positive if len(chosen) != 1 or kind != "phase"
                             else f"is a {q.phase} study", detail)
            if kind == "children" and chosen:
                claims += [Claim(d.sentences(WHO)[0], [d.chunks[WHO].id_]) for d in chosen if d.sentences(WHO)]
                if len(chosen) < len(docs):
                    claims.append(Claim("The other entries describe studies in adults or do not give an age range."))
            if kind in NOTES and chosen:
                claims.append(Claim(NOTES[kind]))
    elif kind in ("largest", "smallest"):
        sized = sorted((d for d in docs if d.entry.enrollment is not None), key=lambda d: d.entry.enrollment)
        if not sized:
            return [Claim(none_match(len(docs), q.subset is not None))], []
        pick = sized[-1] if kind == "largest" else sized[0]
        e = pick.entry
        word = "largest" if kind == "largest" else "smallest"
        claims = [Claim(f"The {word} is the {e.short_name} ({e.id}), with {e.enrollment} {_people(pick)}.",
                        [_facts_id(pick)], basis=str(e.enrollment)),
                  Claim(f"It is a {e.phase} study about {'; '.join(e.conditions)}.", [_facts_id(pick)],
                        basis=f"{e.phase} {' '.join(e.conditions)}")]
        return claims, [pick.entry.id]
    elif kind == "phases":
        claims = []
        for phase in sorted({d.entry.phase for d in docs}):
            chosen = [d for d in docs if d.entry.phase == phase]
            claims.append(_count(len(chosen), f"are {phase} studies" if len(chosen) > 1 else f"is a {phase} study",
                                 chosen))
            claims += [_line(d) for d in chosen]
    elif kind == "rank":
        sized = sorted((d for d in docs if d.entry.enrollment is not None), key=lambda d: -d.entry.enrollment)
        claims = [_count(len(sized), "are listed here from largest to smallest", sized),
                  *[_line(d) for d in sized]]
    elif kind == "placebo":
        compared = [d for d in docs if d.entry.comparator == "placebo"]
        listed = [d for d in docs if d.entry.placebo_controlled and d not in compared]
        if q.negate:
            others = [d for d in docs if d not in compared and d not in listed]
            return listing(others, "are not described as placebo-controlled"), [d.entry.id for d in others]
        claims = listing(compared, f"compare {q.drug} with a placebo")
        if listed:
            claims.append(Claim("The source also lists these as placebo-controlled studies:"))
            claims += [_line(d) for d in listed]
        explainer = next((d for d in compared if any("looks like" in s for s in d.sentences(HOW))), None)
        if explainer:
            sentence = next(s for s in explainer.sentences(HOW) if "looks like" in s)
            claims.append(Claim(sentence, [explainer.chunks[HOW].id_]))
        return claims, [d.entry.id for d in compared + listed]
    elif kind == "drug" and catalog.shared_treatment:
        names = sorted({d.entry.conditions[0].split(" (")[0] for d in docs})
        drug = catalog.shared_treatment
        claims = [
            Claim(f"{drug[0].upper() + drug[1:]} is the study treatment in all {len(docs)} trials in the entries.",
                  [_facts_id(d) for d in docs], aggregate=True),
            Claim(f"They test it in {', '.join(names[:-1])} and {names[-1]}.",
                  [_facts_id(d) for d in docs], aggregate=True),
            Claim(f"The entries don't say how {drug} works in the body."),
        ]
        return claims, []
    elif kind == "conditions":
        claims = [_count(len(docs), f"{scope}, in these conditions" if q.subset is None else scope, docs)]
        claims += [_line(d, "condition") for d in docs]
    else:
        claims = listing(docs, f"are {scope}" if q.subset is None else scope)
    if q.subset is None and kind in ("count", "list", "conditions"):
        claims[0].text = f"The entries describe {catalog.describe()}."
    focus = [c.sources[0].split("#")[0] for c in claims[1:] if c.sources and len(c.sources) == 1]
    return claims, list(dict.fromkeys(focus))
