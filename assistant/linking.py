"""Understand, part one: which trials a question names.

Trial ids aside, a question names trials by their words: titles, conditions, population and the
registry's keywords and subject terms (assistant/catalog.py scores them), lay words through the
lexicon (data/lexicon.yaml), "the X study" phrases, a field ("the pilot", "the phase 4 one"), a side
of a comparison, or by being one of a list the chat just gave.
"""

from __future__ import annotations

import re

from .catalog import GENERIC, Catalog
from .retrieval import Hit
from .synonyms import expand_parts, lay_matches
from .text import content_tokens, tokens

# "the kidney study", "that asthma trial", "the COPD one": the trial a question is about.
SUBJECT = re.compile(r"\b(?:the|this|that) ((?:[\w'-]+ ){0,4}?[\w'-]+) (?:study|studies|trial|trials|one)\b")
BIG = re.compile(r"\b(big|bigger|biggest|large|larger|largest|main)\b")
SMALL = re.compile(r"\b(small|smaller|smallest|little|tiny)\b")
PLURAL_ASK = re.compile(r"\b(trials|studies|ones|any|all|which|list)\b")
PILOT_WORDS = re.compile(r"\b(pilot|lab|samples?|blood|genes?|small|smaller|open[- ]?label|inflammat\w*)\b")
# "heart trials", "any cancer studies": a question about a field takes in every trial of it, those named
# for it only by a broader subject term too; "the heart one" prefers the trial named for it outright.
PLURAL_SET = re.compile(r"\b(trials|studies|ones|any|all|list)\b")


def link_phrase(catalog: Catalog, phrase: str, narrowed: bool = True) -> list[str]:
    """The trials a phrase names, lay words expanded (and ties broken the way patients mean them)."""
    folded, rows = expand_parts(phrase, catalog.vocabulary)
    found = catalog.link(as_terms(catalog, folded), rows, inclusive=bool(PLURAL_SET.search(folded)), said=folded)[0]
    return narrow(catalog, found, phrase) if narrowed else found


def as_terms(catalog: Catalog, folded: str) -> str:
    """A lay phrase of several words ("skin hardening") stands for its lexicon row as one term: its
    words are not also matched one by one ("skin" would name every skin trial), unless a trial itself
    is named with all of them ("self harm")."""
    for lay, _ in lay_matches(folded):
        words = tokens(lay)
        if len(words) > 1 and not catalog.named_with_all(words):
            folded = folded.replace(lay, " ")
    return folded


def link_subjects(catalog: Catalog, folded: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Trials named as 'the X study' (every such phrase, for comparisons) and where they are."""
    linked: list[str] = []
    spans = []
    for match in SUBJECT.finditer(folded):
        # "the phases of the APS trial": the name is what follows the last "of/in/for (the)".
        parts = re.split(r"\b(?:of|in|for|from|about|with|and|or|between) (?:the |this |that )?", match.group(1))
        phrase = parts[-1]
        start = match.end(1) - len(phrase)
        found = link_phrase(catalog, phrase, narrowed=False) or by_fields(catalog, phrase)
        phase = re.search(r"phase (\d)", phrase)
        if phase and len(found) > 1:
            found = [t for t in found if catalog.entry(t).phase == f"Phase {phase.group(1)}"] or found
        sized = [t for t in found if catalog.entry(t).enrollment is not None]
        if len(sized) > 1 and (BIG.search(phrase) or SMALL.search(phrase)):
            pick = max if BIG.search(phrase) else min
            found = [pick(sized, key=lambda t: catalog.entry(t).enrollment)]
        found = narrow(catalog, found, folded)
        if found:
            linked += [t for t in found if t not in linked]
            spans.append((start, match.end(1)))
    return linked, spans


FIELD_NAMES = [  # "the completed one", "the phase 4 one", "the pilot": trials named by a field
    (r"\b(completed|finished|done)\b", lambda e: (e.status or "").lower() == "completed"),
    (r"\bpilot\b", lambda e: "pilot" in e.design),
    (r"\bopen[- ]?label\b", lambda e: "open-label" in e.design),
    (r"\bproof[- ]of[- ]concept\b", lambda e: "proof-of-concept" in e.design),
    (r"\b(shot|injection|subcutaneous)\b", lambda e: "subcutaneous" in (e.route or "")),
    (r"\b(children|kids|pediatric|paediatric)\b", lambda e: bool(e.includes_children)),
]


def by_fields(catalog: Catalog, phrase: str) -> list[str]:
    """Trials a phrase names by their fields rather than their condition."""
    phase = re.search(r"phase (\d)", phrase)
    found = [t for t in catalog.order if phase and catalog.entry(t).phase == f"Phase {phase.group(1)}"]
    for pattern, test in FIELD_NAMES:
        if re.search(pattern, phrase):
            found = [t for t in (found or catalog.order) if test(catalog.entry(t))]
    named = catalog.treatment_words & set(tokens(phrase))  # "the light therapy one": its treatment's words
    if named:
        found = [t for t in (found or catalog.order)
                 if named & set(tokens(f"{catalog.entry(t).intervention} {catalog.entry(t).comparator}"))]
    return found if len(found) < len(catalog.trials) else []


SIDES = re.compile(r"\b(?:or|vs|versus|and|compared (?:to|with)|against)\b|,|\bthan\b")


def each_side(catalog: Catalog, folded: str, linked: list[str]) -> list[str]:
    """'Is the X or the Y trial bigger?': each side of the comparison names its own trial."""
    found = list(linked)
    for part in SIDES.split(folded):
        if len(set(content_tokens(part)) - GENERIC) == 0:
            continue
        side = link_phrase(catalog, part)
        if len(side) == 1 and side[0] not in found:
            found.append(side[0])
    return found if len(found) >= 2 else linked


def narrow(catalog: Catalog, linked: list[str], folded: str) -> list[str]:
    """Break ties the way patients mean them: 'the adult SLE study' is not the children's one, and
    'the skin study' is the main trial, not a small lab pilot of the same disease, unless they say pilot."""
    if len(linked) < 2 or PLURAL_ASK.search(folded):
        return linked
    kept = linked
    if re.search(r"\badults?\b", folded) and not re.search(r"\b(children|kids?|pediatric)\b", folded):
        kept = [t for t in kept if not catalog.entry(t).includes_children] or kept
    if not PILOT_WORDS.search(folded):
        kept = [t for t in kept if "pilot" not in catalog.entry(t).design] or kept
    return kept


def naming_lay_phrases(catalog: Catalog, folded: str, linked: list[str]) -> list[str]:
    """Phrases of several words that name a linked trial: lay words for its condition ("dry eye and
    mouth"), or words of a treatment's name ("the arm band" of a device called "X arm band")."""
    conditions = {t for trial_id in linked for c in [*catalog.entry(trial_id).conditions,
                                                      *catalog.entry(trial_id).mesh_conditions] for t in tokens(c)}
    phrases = [lay for lay, entry_words in lay_matches(folded)
               if len(tokens(lay)) > 1 and set(tokens(entry_words)) & conditions]
    names = [f" {' '.join(tokens(n))} " for trial_id in linked for part in catalog.entry(trial_id).interventions
             for n in [part.name, *part.other_names]]
    words = tokens(folded)
    for size in (3, 2):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i:i + size])
            if len(content_tokens(phrase)) == size and any(f" {phrase} " in name for name in names) \
                    and not any(phrase in p for p in phrases):
                phrases.append(phrase)
    return phrases


def focus_describes(catalog: Catalog, focus: list[str], linked: list[str], folded: str, rows: list[str]) -> bool:
    """The words that would name another trial are all in the description of the trial in focus."""
    terms = set().union(*(catalog.trials[t].entity_terms for t in linked))
    written = terms & set(tokens(folded))
    expanded = [terms & set(tokens(row)) for row in rows]
    expanded = [row for row in expanded if row]  # a lay word's row: one of its words is enough
    return bool(written or expanded) and all(
        written <= catalog.described_by(t) and all(row & catalog.described_by(t) for row in expanded) for t in focus)


def in_list(hits: list[Hit], listed: list[str], share: float = 0.9) -> list[str]:
    """The listed trial whose passages the question finds about as well as any passage at all."""
    best = hits[0].score if hits else 0.0
    found = next((h for h in hits if h.trial_id in listed), None)
    return [found.trial_id] if found and best > 0 and found.score >= share * best else []


def own_words(catalog: Catalog, folded: str, focus: list[str]) -> set[str]:
    """Words that ask something beyond naming the trial ("and the asthma one?" has none)."""
    named = set()
    for trial_id in focus:
        named |= catalog.trials[trial_id].entity_terms
    return {w for w in content_tokens(folded)
            if w not in named and w not in GENERIC and w not in catalog.common and not w.isdigit()}
