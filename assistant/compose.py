"""Compose: the claims of an answer (sentence + the passages that hold it), from a turn's Plan.

A gated turn gets its fixed reply; a question about the set its filtered list (built while
understanding it); a question about trials the asked parts of their records (assistant/record_claims.py)
or the key-fact sentences for what was asked (assistant/writer.py), the direct answer first; what the
entries don't hold is said once, precisely. The claims go to the check (assistant/check.py), which
keeps only what the cited passages support and numbers the citations.
"""

from __future__ import annotations

import re

from . import phrases
from .aspects import AspectReader
from .catalog import Catalog
from .check import render
from .corpus import compare_claims
from .plan import Plan
from .record_claims import line_words, record_claims
from .retrieval import ranked_trials
from .synonyms import lay_matches
from .text import tokens
from .types import Answer, Claim
from .writer import trial_claims, yes_no_lead

# When a question also asks what the entries don't cover (cost, results, dosing), only these asks are
# clear enough to answer alongside; "join", "when", "measure" there are part of the uncovered ask.
STRONG_WITH_NO_INFO = {"size", "phase"}
MAX_TRIALS_IN_ANSWER = 6
MAX_FIT_TRIALS = 3  # a longer list of trials that fit is not followed by each one's rules
FIT_ASPECT = "criteria"  # the aspect (data/aspects.yaml) that quotes the rules sharing what a person told
LABEL = re.compile(r"(^|; )[A-Z][\w ]{0,40}: ")  # "Status: " before a record line's value


class Composer:
    """Writes one turn's answer from its plan, over the catalog the plan was made with."""

    def __init__(self, catalog: Catalog, aspects: AspectReader):
        self.catalog = catalog
        self.aspects = aspects

    def write(self, question: str, plan: Plan) -> Answer:
        catalog = self.catalog
        retrieved = list(dict.fromkeys(plan.focus + ranked_trials(plan.hits)))
        passages = [
            {"chunk_id": h.chunk_id, "trial_id": h.trial_id, "score": round(h.score, 5),
             "dense": None if h.dense is None else round(h.dense, 4),
             "bm25": None if h.bm25 is None else round(h.bm25, 4)}
            for h in plan.hits
        ]

        def done(behavior: str, claims: list[Claim]) -> Answer:
            text, citations, checks = render(claims, catalog.by_id)
            return Answer(question, text, behavior, citations, retrieved if behavior not in
                          ("emergency", "out_of_scope") else [], passages, plan.focus, checks)

        if plan.behavior == "emergency":
            return Answer(question, phrases.EMERGENCY, "emergency")
        if plan.behavior == "out_of_scope":
            return Answer(question, phrases.OUT_OF_SCOPE, "out_of_scope")
        if plan.behavior == "small_talk":
            return Answer(question, phrases.SMALL_TALK, "out_of_scope")

        if plan.advice:
            claims = [Claim(phrases.ADVICE)]
            if plan.kind == "corpus" and plan.set_claims:
                # "Could a trial fit me?": what the entries say, trial by trial; only the study team decides.
                fit = [c for c in self.fit_claims(plan) if c.text != phrases.ONLY_TEAM_DECIDES]
                return done("advice", [*claims, Claim(phrases.ADVICE_CONTEXT), *plan.set_claims, *fit])
            if plan.focus and plan.kind == "trial" and len(plan.focus) <= 2:
                context = []
                for trial_id in plan.focus:
                    attrs = [a for a in plan.attributes if a in ("size", "phase", "endpoint", "design")]
                    context += trial_claims(catalog.trials[trial_id], ["population", *attrs], plan.asked,
                                            compact=len(plan.focus) > 1, naming=plan.naming)
                # The rules that mention what they told, and whether it still takes people: what that
                # talk with the doctor needs.
                context += [c for c in self.fit_claims(plan, context) if c.text != phrases.ONLY_TEAM_DECIDES]
                if context:
                    claims += [Claim(phrases.ADVICE_CONTEXT), *context]
            return done("advice", claims)

        if plan.kind == "corpus":
            return done("answer", [*plan.set_claims, *self.fit_claims(plan)])

        if plan.unknown_ids and not plan.focus:
            text = " ".join(phrases.UNKNOWN_ID.format(trial_id=i) for i in plan.unknown_ids)
            return done("no_info", [Claim(text)])

        no_info_topics = plan.intent.no_info
        if plan.kind == "trial" and plan.focus and plan.aspects and not plan.compare:
            answer = self.record_answer(plan, no_info_topics, done)
            if answer is not None:
                return answer
        if plan.kind == "trial" and len(plan.focus) == 1 and self.aspects.fallback is not None \
                and not (plan.aspects or plan.attributes or no_info_topics or plan.compare or plan.naming
                         or plan.by_retrieval):
            # Nothing the key facts or an aspect answer: the record's lines that share its rarer words.
            found, _ = record_claims(catalog.trials[plan.focus[0]], [self.aspects.fallback], plan.asked,
                                     plan.naming)
            if found:
                return done("answer", found)
        if plan.kind == "trial" and plan.focus:
            strong = [a for a in plan.attributes if a in STRONG_WITH_NO_INFO]
            if plan.answerable:
                strong += [a for a in plan.attributes if a not in strong]
            if no_info_topics and not strong:
                return done("no_info", self.no_info_claims(no_info_topics, plan))
            if plan.person and "population" in plan.attributes and len(plan.focus) > 1 and not plan.compare:
                # "she has epilepsy" after two trials: the rules of either that mention it, if any do.
                fit = self.fit_claims(plan, lead_status=False)
                if fit:
                    return done("answer", fit)
            claims = self.focus_claims(plan)
            cited = [c for c in claims if c.sources]
            if not cited:
                # The asked fact is not in the entry: say so, then what the entry does say about it.
                context = []
                if len(plan.focus) == 1 and not plan.by_retrieval:
                    context = trial_claims(catalog.trials[plan.focus[0]], ["condition"], plan.asked, compact=True)
                return done("no_info", [*claims, Claim(phrases.NO_INFO_WHO_KNOWS), *context])
            if no_info_topics:
                claims = self.focus_claims(plan, strong)
                claims += self.no_info_claims(no_info_topics, plan, with_context=False)
            elif "population" in plan.attributes and len(plan.focus) == 1:
                claims += self.fit_claims(plan, claims)
            return done("answer", claims)

        if no_info_topics and plan.intent.on_topic:
            return done("no_info", self.no_info_claims(no_info_topics, plan, with_context=False))
        if plan.intent.on_topic:
            return done("no_info", [Claim(phrases.NO_MATCH.format(corpus=catalog.describe())),
                                    Claim(phrases.NO_INFO_WHO_KNOWS)])
        return Answer(question, phrases.OUT_OF_SCOPE, "out_of_scope")

    def record_answer(self, plan: Plan, no_info_topics: list[str], done) -> Answer | None:
        """The asked parts of the record (sites, exclusions, dates...) when the record holds them."""
        focus = plan.focus[:MAX_TRIALS_IN_ANSWER]
        asked = [self.aspects.by_name[name] for name in plan.aspects]
        claims: list[Claim] = []
        answered = []
        for trial_id in focus:
            found, aspects = record_claims(self.catalog.trials[trial_id], asked, plan.asked, plan.naming,
                                           compact=len(focus) > 1)
            claims += found
            answered += [a for a in aspects if a not in answered]
        # An asked part no record holds ("whats the number to call") is said to be missing, precisely.
        missing = [a.topic for a in asked if a.topic and a not in answered and a.topic not in no_info_topics]
        no_info_topics = [*no_info_topics, *missing]
        if not claims:
            if missing and not plan.attributes:
                return done("no_info", self.no_info_claims(no_info_topics, plan))
            return None
        replaced = {r for a in answered for r in a.replaces}
        others = [a for a in plan.attributes if a in STRONG_WITH_NO_INFO and a not in replaced]
        if others:
            said = self.focus_claims(plan, others)
            known = {w for c in said for w in tokens(c.text)}
            # A record line that only repeats what the key facts just said ("Status: withdrawn...") goes.
            claims = said + [c for c in claims if not set(tokens(LABEL.sub(" ", c.basis or c.text))) <= known]
        topics = [t for t in no_info_topics if t not in {a.topic for a in answered}]
        if topics:
            claims += self.no_info_claims(topics, plan, with_context=False)
        lead = yes_no_lead(self.catalog.trials[focus[0]], plan.attributes, plan.asked) if len(focus) == 1 else None
        return done("answer", [lead, *claims] if lead else claims)

    def fit_claims(self, plan: Plan, before: list[Claim] = (), lead_status: bool = True) -> list[Claim]:
        """"Could a trial fit me?" told with facts about the person: after the trials that match, the
        rules of each that mention what they told ("on dialysis", "warfarin"), quoted; only the study
        team decides, so never a yes or no. Each trial's status too; with ``lead_status`` False, only
        when some rule matched."""
        fit = self.aspects.by_name.get(FIT_ASPECT)
        if not plan.person or fit is None or not plan.focus or len(plan.focus) > MAX_FIT_TRIALS:
            return []
        said = frozenset(w for c in [*plan.set_claims, *before] for w in line_words(c.text))
        claims, status = [], []
        for trial_id in plan.focus:
            doc = self.catalog.trials[trial_id]
            # What they told, less the condition that found the trial: every one of its rules names that.
            condition = set(tokens(" ".join([*doc.entry.conditions, *doc.entry.mesh_conditions])))
            # The lexicon's words for what they told count ("guy": men), not its words for the condition
            # ("diabetes": blood glucose would pick the line about blood potassium).
            told = " ".join([plan.folded, *(words for _, words in lay_matches(plan.folded)
                                             if not set(tokens(words)) & condition)])
            found, _ = record_claims(doc, [fit], told, condition, compact=True, said=said)
            claims += found
            # Whether it still takes people decides as much as any rule.
            status += [c for c in trial_claims(doc, ["status"], "", compact=True) if c.sources]
        if not claims and not (status and lead_status):
            return []
        return [*claims, *status, Claim(phrases.ONLY_TEAM_DECIDES)]

    def focus_claims(self, plan: Plan, attributes: list[str] | None = None) -> list[Claim]:
        catalog = self.catalog
        attributes = plan.attributes if attributes is None else attributes
        focus = plan.focus[:MAX_TRIALS_IN_ANSWER]
        if len(focus) == 1:
            doc = catalog.trials[focus[0]]
            return trial_claims(doc, attributes, plan.asked, naming=plan.naming)
        if plan.compare:
            claims = compare_claims([catalog.trials[t] for t in focus], smaller=plan.smaller)
        else:
            claims = [Claim(phrases.AMBIGUOUS_LEAD)]
        attributes = attributes or ["size"]
        if plan.compare and claims:
            # The sizes are already side by side; say only what else was asked.
            attributes = [a for a in attributes if a != "size"]
            if not attributes:
                return claims
        for trial_id in focus:
            claims += trial_claims(catalog.trials[trial_id], attributes, plan.asked, compact=True,
                                   naming=plan.naming)
        return claims

    def no_info_claims(self, topics: list[str], plan: Plan, with_context: bool = True) -> list[Claim]:
        what = " or ".join(phrases.NO_INFO_TOPICS[t] for t in topics)
        claims = [Claim(f"The trial entries don't say {what}."), Claim(phrases.NO_INFO_WHO_KNOWS)]
        if with_context and plan.kind == "trial" and len(plan.focus) == 1 and not plan.by_retrieval:
            doc = self.catalog.trials[plan.focus[0]]
            claims += trial_claims(doc, ["condition"], plan.expanded, compact=True)
        return claims
