"""Understand: a turn read into a Plan (behaviour, trials, what is asked of them) before any answer is written.

The safety gate first (assistant/safety.py), then the trials named (assistant/linking.py) read against the
conversation so far, then what is asked: aspects of a record (data/aspects.yaml), intent, constraints
for questions about the set (data/filters.yaml).
"""

from __future__ import annotations

import re

from ingest.passages import NOT_WHO, WHO

from .aspects import AspectReader
from .catalog import Catalog, find_trial_ids
from .corpus import SetQuestion, corpus_claims
from .filters import is_set_question, read_constraints, set_index, without_constraints, without_people
from .intent import Intent, read_intent
from .linking import (
    PLURAL_SET,
    SIDES,
    SUBJECT,
    as_terms,
    each_side,
    focus_describes,
    in_list,
    link_phrase,
    link_subjects,
    naming_lay_phrases,
    narrow,
    own_words,
)
from .listing import filter_claims
from .plan import Plan
from .retrieval import HybridRetriever
from .safety import is_advice, is_emergency, is_injection, is_off_topic, is_small_talk
from .synonyms import expand, expand_parts, lay_matches
from .text import asked_part, content_tokens, tokens

PLURAL = re.compile(r"\b(trials|studies|which|list|any|diseases|conditions)\b")
REFERS = re.compile(r"\b(it|its|this one|that one)\b")
CARRY_OVER = re.compile(r"^(and|also|what about|how about|same for|what of|ok and|then)\b")
COMPARE = re.compile(r"\b(bigger|larger|smaller|more (people|participants|patients)|fewer|compare[sd]?|differ\w*|"
                     r"comparison|versus|vs|difference between|than)\b")
WHICH = re.compile(r"\b(which|what) (one|study|trial)?\s*(is|was|has|had|runs?)\b|\bwhich of (them|the two|both)\b")
MIN_BM25 = 1.0
# Questions about the set that read as well about one trial ("how is it given", "is it added to usual
# care"): after a trial was named, they are about that trial.
OF_ONE_TRIAL = {"injection", "drug", "add_on", "open_label", "placebo"}
# "she has epilepsy", "i use a steroid inhaler", "my dad had a stroke": a fact about a person.
PERSON_HAS = re.compile(r"\b(i|im|ive|he|hes|she|shes|they|we|my \w+) (has|have|had|got|gets|uses?|takes?|"
                        r"is on|am on|are on|was|were|suffers?|been)\b")
PLACE_ASPECT = "location"  # the aspect (data/aspects.yaml) a place the records name asks for
OTHER = re.compile(r"\b(the other|other one|the second one|the rest)\b")


# A topic the entries usually don't cover, but some entry does: (evidence in its text, what to show).
TOPIC_EVIDENCE = {"side_effects": (r"adverse events", "endpoint"), "dosing": (r"\bdose\b", "design")}


def _answerable_topics(catalog: Catalog, plan: Plan) -> None:
    """'How long do they track side effects in the APS study?' is answerable: that entry says."""
    for topic, (evidence, attribute) in TOPIC_EVIDENCE.items():
        if topic not in plan.intent.no_info:
            continue
        texts = [" ".join(n.get_content() for n in catalog.trials[t].chunks.values()) for t in plan.focus]
        if texts and all(re.search(evidence, text) for text in texts):
            plan.answerable.append(topic)
            if attribute not in plan.attributes:
                plan.attributes.append(attribute)


def set_questions(plan: Plan, drug: str | None) -> list[SetQuestion]:
    i = plan.intent
    return [SetQuestion(kind, plan.subset, i.phase, i.week, i.negate, i.size_min, i.size_max,
                        drug or "the study treatment")
            for kind in i.corpus_kinds]


def _read_intent(catalog: Catalog, expanded: str) -> Intent:
    """Intent read with the corpus's own names generalised; naming a treatment asks about the design."""
    intent = read_intent(catalog.generalize(expanded))
    if catalog.names_treatment(expanded) and "design" not in intent.attributes:
        intent.attributes.append("design")
    return intent


def _set_answer(catalog: Catalog, plan: Plan) -> None:
    """The answer to a question about the set, and the trials it is about, so "who can take part in
    it?" can follow "which is biggest?"."""
    plan.focus = []
    for question_about_set in set_questions(plan, catalog.shared_treatment):
        claims, focus = corpus_claims(catalog, question_about_set)
        plan.set_claims += claims
        plan.focus += focus
    plan.focus = list(dict.fromkeys(plan.focus))


WITHIN = re.compile(r"\b(?:of|from|between|out of) (?:the (?:two|three|four|\d)|these|those|them|both)\b"
                    r"|\bthe (?:one|ones) (?:only |just )?(?:for|with|that|which|in|where)\b")


def asks_who_can_join(aspects: AspectReader, names: list[str]) -> bool:
    """An asked aspect is answered from the lists of who can and cannot take part."""
    return any(set(aspects.by_name[n].sections) & {WHO, NOT_WHO} for n in names)


def listed_group(previous: Plan | None, folded: str) -> list[str]:
    """The trials of the last list a question chooses among ("which of those ..."), if it does."""
    if previous is None or not WITHIN.search(folded):
        return []
    groups = [previous.focus, *reversed(previous.earlier)]
    return next((list(g) for g in groups if len(g) > 1), [])


def make_plan(catalog: Catalog, retriever: HybridRetriever | None, question: str, previous: Plan | None,
              min_dense: float, aspects: AspectReader | None = None) -> Plan:
    # One embedding of the question serves the safety gate, the aspects and dense retrieval.
    vector = retriever.embed(question) if retriever else None
    if is_emergency(question, vector):
        return Plan(behavior="emergency")
    if is_injection(question):
        return Plan(behavior="out_of_scope")
    if is_small_talk(question):
        return Plan(behavior="small_talk")
    expanded = expand(question, catalog.vocabulary)
    intent = _read_intent(catalog, expanded)
    intent.on_topic = intent.on_topic or catalog.on_topic(expanded)
    folded, rows = expand_parts(question, catalog.vocabulary)
    subjects, spans = link_subjects(catalog, folded)
    # What is asked is read without the trial's name: "the paediatric SLE trial" asks nothing of ages.
    asked = folded
    for start, end in reversed(spans):
        asked = asked[:start] + " " + asked[end:]
    asked = asked_part(re.sub(r"\s+", " ", asked))
    asked_intent = _read_intent(catalog, expand(asked, catalog.vocabulary)) if asked != folded else intent
    plan = Plan(intent=intent, attributes=list(asked_intent.attributes), advice=is_advice(question, vector),
                expanded=expanded, asked=expand(asked, catalog.vocabulary) if spans else expanded)
    plan.intent.no_info = asked_intent.no_info
    ids = find_trial_ids(question)
    known = [i for i in ids if i in catalog.trials]
    plan.unknown_ids = [i for i in ids if i not in catalog.trials]
    named = catalog.link(as_terms(catalog, folded), rows, inclusive=bool(PLURAL_SET.search(folded)), said=folded)[0]
    linked = subjects or narrow(catalog, named, folded)
    asked_sentence = asked_part(folded)
    if len(linked) < 2 and SIDES.search(asked_sentence) and COMPARE.search(asked_sentence):
        linked = each_side(catalog, asked_sentence, linked)
    named_by = naming_lay_phrases(catalog, folded, linked) if linked and not spans else []
    rest = asked
    if named_by:
        # "dry eye and mouth disease, any trial?": what the lay words that named the trial say on their
        # own asks nothing of it ("mouth" is not how the drug is given), unless the rest asks it too.
        for lay in named_by:
            rest = rest.replace(lay, " ")
        kept = set(_read_intent(catalog, expand(rest, catalog.vocabulary)).attributes)
        dropped = {a for lay in named_by for a in read_intent(expand(lay, catalog.vocabulary)).attributes} - kept
        plan.attributes = [a for a in plan.attributes if a not in dropped]
    if aspects is not None:
        # A question that only names a topic ("diabetes studies?") asks for no part of a record, however
        # near its words are to an example ("can someone with diabetes take part").
        topic_only = bool(linked) and not own_words(catalog, asked, linked)
        plan.aspects = aspects.read(rest, None if topic_only else vector,
                                    cued=[*asked_intent.attributes, *asked_intent.no_info])
        who = "population" in plan.attributes or asks_who_can_join(aspects, plan.aspects)
        if linked and not subjects and previous and previous.focus and (plan.aspects or who):
            # "can men join?" after a trial was named asks about that trial: the words that ask for a
            # part of the record do not name another trial that happens to hold them.
            rest = aspects.without_cues(folded, plan.aspects)
            # "and for kids?", "what about women": who a rule is about names no other trial either.
            rest = without_people(rest)
            linked = link_phrase(catalog, rest) if rest else []
            if linked and PERSON_HAS.search(folded) and who and not SUBJECT.search(folded):
                linked = []  # "she has epilepsy, does that matter": a fact about her, asked of the trial in focus
    if linked and not subjects and not ids and previous and previous.focus and not set(linked) & set(previous.focus) \
            and (plan.aspects or asked_intent.attributes) and not CARRY_OVER.search(folded) \
            and not PLURAL_SET.search(folded) and not is_set_question(folded) \
            and focus_describes(catalog, previous.focus, linked, folded, rows):
        # "how often are the shots" after the asthma trial: its own description has the shots, so the
        # question is about it, not about the trial with "injection" in its name.
        linked = []
    if linked and not subjects and not ids and previous and previous.focus and not set(linked) <= set(previous.focus) \
            and (REFERS.search(folded) or OTHER.search(folded)) and not CARRY_OVER.search(folded):
        # "is it a jab?", "how many shots is it": a question about the trial in focus; a word that happens
        # to be in another trial's name ("injection") does not move it ("the other one" reads the list).
        linked = []
    if spans:
        plan.naming = {t for start, end in spans for t in tokens(expand(folded[start:end], catalog.vocabulary))}
    else:
        words = set(tokens(" ".join([folded, *rows])))
        terms = set().union(*(catalog.trials[t].entity_terms for t in linked)) if linked else set()
        plan.naming = terms & words
        for lay, entry_words in lay_matches(folded):  # "scleroderma" named the trial too
            if set(tokens(entry_words)) & terms:
                plan.naming |= set(tokens(lay))
    plan.hits = retriever.retrieve(question, expanded, vector) if retriever else []
    if previous:
        plan.earlier = [*previous.earlier, previous.focus]
        if len(linked) > 1 and not ids and not PLURAL_SET.search(folded):
            # "and the kids one" names several trials, but one of those just talked about.
            for talked in [previous.focus, *reversed(previous.earlier)]:
                among = [t for t in linked if t in talked]
                if among and len(among) < len(linked):
                    linked, subjects = among, among if subjects else subjects
                    break
        if linked and len(previous.focus) > 1 and not set(linked) <= set(previous.focus) and not ids:
            # "the exercise one" after a list means one of the list when its text fits about as well
            # as the best match elsewhere; a trial named outright ("the breast cancer one") wins.
            listed = in_list(plan.hits, previous.focus)
            if listed:
                linked, subjects = listed, listed if subjects else subjects

    constraints = read_constraints(set_index(catalog), folded)
    plan.constraint_kinds = constraints.kinds()
    in_focus = bool(previous and previous.focus and not linked)  # a follow-up naming no other trial
    set_like = is_set_question(folded) or not (linked or in_focus)
    # "I'm 70, is there a vaccine trial for me?": the trials of that kind that fit the person; "my dad is
    # 82" after a trial was named is about that trial.
    fits_person = constraints.age is not None and not subjects and len(linked) != 1 and not in_focus
    # "which of the two has a site in Chicago", "the one only for men": chosen among the last list.
    group = listed_group(previous, folded) if not subjects else []
    if in_focus and constraints.age is not None and len(previous.focus) > 1:
        group = list(previous.focus)  # "she's 3" after two eczema trials: the one that takes her age
    if linked and not set(linked) & set(group):
        group = []  # "the one for asthma" after a list of other trials names a new one
    if known:
        plan.kind, plan.focus = "trial", known
    elif plan.unknown_ids:
        plan.kind = "none"
    elif previous and previous.kind == "corpus" and constraints and not linked and CARRY_OVER.search(folded) \
            and not group and constraints.kinds() & previous.constraint_kinds:
        # "and for men?" after "trials only for women": the same question, asked anew of every trial.
        plan.kind = "corpus"
        plan.set_claims, plan.focus = filter_claims(catalog, constraints, None, intent.phase)
    elif group and (constraints or intent.corpus_kinds):
        rest = without_constraints(folded, constraints)
        kind = link_phrase(catalog, rest) if rest else []
        plan.kind, plan.subset = "corpus", [t for t in kind if t in group] or group
        if constraints:
            plan.set_claims, plan.focus = filter_claims(catalog, constraints, plan.subset, intent.phase)
        else:
            _set_answer(catalog, plan)
        if len(plan.focus) == 1 and (plan.attributes or plan.aspects):
            # "the one only for men, what was it testing": the list chose one trial; answer the question.
            plan.kind, plan.set_claims = "trial", []
    elif group:
        plan.kind, plan.focus = "trial", [t for t in linked if t in group] or group
    elif constraints and not subjects and (set_like or fits_person) and not (
            constraints.kinds() <= {"places"} and not is_set_question(folded) and not intent.on_topic
            and content_tokens(without_constraints(folded, constraints)) and is_off_topic(question, vector)):
        # "the weather in denver this weekend" asks for no trial; "denver?" alone does.
        plan.kind = "corpus"
        rest = without_constraints(folded, constraints)
        kind = link_phrase(catalog, rest) if rest else []
        plan.subset = kind or None
        plan.set_claims, plan.focus = filter_claims(catalog, constraints, plan.subset, intent.phase)
    elif intent.corpus_kinds and (not linked or PLURAL.search(expanded)) and not (len(subjects) > 1) \
            and not (in_focus and not PLURAL.search(expanded) and set(intent.corpus_kinds) <= OF_ONE_TRIAL):
        # ("how was the medicine given" after a trial was named is about that trial, not the set.)
        plan.kind, plan.subset = "corpus", linked or None
        _set_answer(catalog, plan)
    elif linked:
        plan.kind, plan.focus = "trial", linked
    elif previous and OTHER.search(folded) and previous.earlier:
        # "the other one": the trial of an earlier list that the last answer was not about.
        group = next((g for g in reversed(previous.earlier) if set(previous.focus) < set(g)), previous.earlier[-1])
        plan.kind, plan.focus = "trial", [t for t in group if t not in previous.focus] or list(previous.focus)
    elif previous and previous.focus and (intent.follow_up or plan.attributes or plan.aspects
                                          or not is_off_topic(question, vector)):
        # A question naming no trial after one was discussed is about it ("what would she actually
        # have to do"), unless it reads like the off-topic examples ("what's the weather tomorrow?").
        plan.kind, plan.focus = "trial", list(previous.focus)
    elif intent.on_topic:
        # Found by retrieval alone: needs shared words (BM25) as well as meaning, since every
        # question about some disease is 'similar' to trial text (asthma scores like BICLA).
        best = next((h for h in plan.hits[:3] if (h.bm25 or 0) >= MIN_BM25 and (h.dense or 0) >= min_dense), None)
        if best:
            plan.kind, plan.focus, plan.by_retrieval = "trial", [best.trial_id], True
    plan.person, plan.folded = constraints.age is not None or bool(PERSON_HAS.search(folded)), folded
    if plan.kind == "trial" and plan.focus:
        _answerable_topics(catalog, plan)
        if constraints.places and aspects is not None and PLACE_ASPECT not in plan.aspects:
            plan.aspects.append(PLACE_ASPECT)  # "is it recruiting in mexico": its sites there
    if plan.kind == "trial" and len(plan.focus) == 1 and in_focus and COMPARE.search(folded) and WHICH.search(folded):
        # "which is bigger" after talking about one trial, then another: the two just talked about.
        other = next((t for g in reversed(plan.earlier) for t in g if t not in plan.focus), None)
        if other:
            plan.focus = [other, *plan.focus]
    if plan.kind == "trial" and len(plan.focus) > 1 and COMPARE.search(folded):
        if re.search(r"bigger|larger|smaller|more|fewer|size", folded):
            plan.compare = True
            plan.smaller = bool(re.search(r"\b(smaller|smallest|fewer|fewest|less)\b", folded))
            plan.attributes = ["size", *[a for a in plan.attributes if a != "size"]]
        elif not plan.attributes or plan.attributes == ["design"]:  # "the difference between X and Y"
            plan.attributes = ["condition", "phase", "size", "population"]
    if plan.kind == "trial" and previous and not plan.attributes and previous.attributes and (
        CARRY_OVER.search(folded) or not own_words(catalog, folded, plan.focus)
    ):
        plan.attributes = list(previous.attributes)
        # "how long?" then "and the gout one?": the same part of the other record.
        if not plan.intent.no_info:
            plan.aspects = plan.aspects or list(previous.aspects)
    return plan
