"""Questions about the whole set (counts, lists, largest) answered from the entries' fields."""

from __future__ import annotations

from .catalog import Catalog, TrialDoc
from .phrases import CORPUS_NOT_IN_SET
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
        when = f" at {e.primary_endpoint_timepoint}" if e.primary_endpoint_timepoint else ""
        return Claim(f"{name} measures {e.primary_endpoint}{when}.", [_facts_id(doc)],
                     basis=f"{e.primary_endpoint} {e.primary_endpoint_timepoint or ''}")
    return Claim(f"{name} is a {e.phase} study{size}.", [_facts_id(doc)], basis=basis)


def _agree(n: int, what: str) -> str:
    """'1 trial include children' -> '1 trial includes children': the verb follows the count."""
    if n != 1:
        return what
    verb, _, rest = what.partition(" ")
    singular = {"are": "is", "have": "has", "do": "does"}.get(verb, verb + "s" if not verb.endswith("s") else verb)
    return f"{singular} {rest}".strip()


def _count(n: int, what: str, docs: list[TrialDoc]) -> Claim:
    if n == 1:
        return Claim(f"Only 1 trial {_agree(n, what)}.", [_facts_id(d) for d in docs], aggregate=True)
    return Claim(f"{n} trials {what}.", [_facts_id(d) for d in docs], aggregate=True)


def compare_claims(docs: list[TrialDoc]) -> list[Claim]:
    """'Which is bigger, X or Y?': the sizes side by side, largest first."""
    sized = sorted((d for d in docs if d.entry.enrollment is not None), key=lambda d: -d.entry.enrollment)
    if len(sized) < 2:
        return []
    parts = [f"the {d.entry.short_name} ({d.entry.id}) has {d.entry.enrollment} {_people(d)}" for d in sized]
    first, *rest = parts
    text = f"By size, {first}, so it is the bigger one; " + "; ".join(rest) + "."
    if len(sized) > 2:
        text = f"By size, largest first: {'; '.join(parts)}."
    return [Claim(text, [_facts_id(d) for d in sized], aggregate=True)]


def corpus_claims(catalog: Catalog, kind: str, subset: list[str] | None, phase: str | None,
                  week: str | None) -> tuple[list[Claim], list[str]]:
    """Claims for a question about the set; ``subset`` narrows it (e.g. 'lupus trials')."""
    ids = [t for t in catalog.order if subset is None or t in subset]
    docs = [catalog.trials[t] for t in ids]
    total = len(catalog.trials)
    scope = "in the entries" if subset is None else "in the entries match that"

    def listing(selected: list[TrialDoc], what: str, detail: str = "summary") -> list[Claim]:
        if not selected:
            return [Claim(CORPUS_NOT_IN_SET.format(count=len(docs)))]
        return [_count(len(selected), what, selected), *[_line(d, detail) for d in selected]]

    if kind in ("count", "list"):
        what = (f"of anifrolumab are {scope}" if subset is None else "in the entries match that")
        claims = listing(docs, what)
    elif kind == "phase" and phase:
        selected = [d for d in docs if d.entry.phase == phase]
        claims = listing(selected, f"are {phase} studies" if len(selected) != 1 else f"is a {phase} study")
    elif kind in ("largest", "smallest"):
        sized = sorted((d for d in docs if d.entry.enrollment is not None), key=lambda d: d.entry.enrollment)
        if not sized:
            return [Claim(CORPUS_NOT_IN_SET.format(count=len(docs)))], []
        pick = sized[-1] if kind == "largest" else sized[0]
        e = pick.entry
        word = "largest" if kind == "largest" else "smallest"
        claims = [Claim(f"The {word} is the {e.short_name} ({e.id}), with {e.enrollment} {_people(pick)}.",
                        [_facts_id(pick)], basis=str(e.enrollment)),
                  Claim(f"It is a {e.phase} study about {'; '.join(e.conditions)}.", [_facts_id(pick)],
                        basis=f"{e.phase} {' '.join(e.conditions)}")]
        return claims, [pick.entry.id]
    elif kind == "children":
        kids = [d for d in docs if d.entry.includes_children]
        claims = listing(kids, "include children")
        for d in kids:
            who = d.sentences(WHO)
            if who:
                claims.append(Claim(who[0], [d.chunks[WHO].id_]))
        others = len(docs) - len(kids)
        if kids and others:
            claims.append(Claim("The other entries describe studies in adults or do not give an age range."))
    elif kind == "placebo":
        compared = [d for d in docs if d.entry.comparator == "placebo"]
        listed = [d for d in docs if d.entry.placebo_controlled and d not in compared]
        claims = listing(compared, "compare anifrolumab with a placebo")
        if listed:
            claims.append(Claim("The source also lists these as placebo-controlled studies:"))
            claims += [_line(d) for d in listed]
        explainer = next((d for d in compared if any("looks like" in s for s in d.sentences(HOW))), None)
        if explainer:
            sentence = next(s for s in explainer.sentences(HOW) if "looks like" in s)
            claims.append(Claim(sentence, [explainer.chunks[HOW].id_]))
        return claims, [d.entry.id for d in compared + listed]
    elif kind == "completed":
        done = [d for d in docs if (d.entry.status or "").lower() == "completed"]
        claims = listing(done, "are marked as completed")
        claims.append(Claim("The other entries do not give a status."))
        return claims, [d.entry.id for d in done]
    elif kind == "injection":
        shots = [d for d in docs if "subcutaneous" in (d.entry.route or "")]
        claims = listing(shots, "give anifrolumab as a shot under the skin (subcutaneous injection)")
        claims.append(Claim("The other entries do not say how the drug is given."))
        return claims, [d.entry.id for d in shots]
    elif kind == "open_label":
        claims = listing([d for d in docs if "open-label" in d.entry.design], "are open-label")
    elif kind == "add_on":
        claims = listing([d for d in docs if "add-on to standard of care" in d.entry.design],
                         "add anifrolumab to standard of care")
    elif kind == "adults_only":
        claims = listing([d for d in docs if (d.entry.ages or "") == "adults"], "are for adults only")
    elif kind == "week" and week:
        matched = [d for d in docs if f"Week {week}" in (d.entry.primary_endpoint_timepoint or "")]
        claims = listing(matched, f"measure their main result at Week {week}", "endpoint")
    elif kind == "drug":
        names = sorted({d.entry.conditions[0].split(" (")[0] for d in docs})
        claims = [
            Claim(f"Anifrolumab is the study treatment in all {len(docs)} trials in the entries.",
                  [_facts_id(d) for d in docs], aggregate=True),
            Claim(f"They test it in {', '.join(names[:-1])} and {names[-1]}.",
                  [_facts_id(d) for d in docs], aggregate=True),
            Claim("The entries don't say how anifrolumab works in the body."),
        ]
        return claims, []
    elif kind == "conditions":
        claims = [_count(len(docs), f"{scope}, in these conditions" if subset is None else scope, docs)]
        claims += [_line(d, "condition") for d in docs]
    else:
        claims = listing(docs, f"of anifrolumab are {scope}")
    if subset is None and kind in ("count", "list", "conditions"):
        claims[0].text = f"The entries describe {total} trials of anifrolumab."
    focus = [c.sources[0].split("#")[0] for c in claims[1:] if c.sources]
    return claims, list(dict.fromkeys(focus))
