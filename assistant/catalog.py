"""Everything the assistant reads from the store, loaded once and refreshed when ingest changes it."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from llama_index.core.schema import TextNode

from ingest.entries import Entry
from ingest.passages import CONTACT, NOT_WHO, WHERE, WHO
from ingest.store import Store

from .check import split_sentences
from .safety import is_injection
from .text import STOPWORDS, tokens

logger = logging.getLogger(__name__)

# Words that say what is asked, not which trial: they must not pick a trial on their own.
GENERIC = frozenset(
    """study studies trial trials clinical research drug medicine treatment people person
    adults adult patients patient participants phase week weeks main result results response score
    change disease activity improvement using used use group groups safety measured measure outcome
    outcomes endpoint primary standard care added plus versus compared alone active moderate severe
    small large include includes including type form forms signs with number disease diseases medical
    condition conditions illness illnesses kind sort two visits least confirmed based""".split()
)


# "Aged 2 to 5 years old" in a title: "is that too old" asks about the trial in focus, it names none.
AGE_WORDS = frozenset("old age ages year years month months".split())
_SPAN = r"(?:years?|yrs?|months?|weeks?|days?)\b"
# Words that name no trial: where a shot goes, and how long something has lasted ("ringing for 2
# years", "3 yrs ago": the 2 is no trial's age limit).
NON_ENTITY = re.compile(r"\b(under|into|in|on|through) the skin\b|\bskin (shots?|injections?)\b"
                        rf"|\b\d+ ?{_SPAN} ago\b"
                        rf"|\b(?:for|past|last|over|about|almost|nearly) (?:the (?:past|last) )?\d+ ?{_SPAN}")
SIZE_MENTION = re.compile(r"\b(\d+)[ -]?(?:person|people|patients?|participants?|adults?|subjects?|volunteers?)\b"
                          r"|\bthe (\d{2,}) (?:one|study|trial)\b")
PHASE_MENTION = re.compile(r"\bphase (\d)\b")
# A phase names a trial only where a name stands ("the SLE phase 4", "a phase 4 one"); "is it phase 2?"
# and "is that one phase 3 too?" ask about the trial already in focus.
PHASE_NAMING = re.compile(r"\b(?:the|a|an) (?!one\b)(?:[\w'-]+ ){0,3}?phase (\d)\b")


# Passages that mention other diseases and places than the trial's own (criteria, sites).
LISTS_ELSEWHERE = frozenset({WHO, NOT_WHO, WHERE})

ACRONYM = r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*\b"
EXPANSION = re.compile(r"\([^()]*\)")  # the record words synonyms.expand adds after a lay term
SOURCE_LINE = re.compile(r"^Source: .*$", re.M)  # where the record came from ("... API v2"), not what it is about
TRIAL_ID = re.compile(r"\bNCT\d{8}\b|\b\d{4}-\d{6}-\d{2}-\d{2}\b")


MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|!?\[[^\]]*\]\([^)]*\)|javascript:", re.I)


def unfit(sentence: str) -> bool:
    return bool(MARKUP.search(sentence)) or is_injection(sentence)


def normalize_trial_id(text: str) -> str | None:
    """'nct 05138133' -> 'NCT05138133'; '2023 504022 19 01' -> '2023-504022-19-01'."""
    compact = re.sub(r"[\s_-]", "", text).upper()
    if re.fullmatch(r"NCT\d{8}", compact):
        return compact
    if re.fullmatch(r"\d{14}", compact):
        return f"{compact[:4]}-{compact[4:10]}-{compact[10:12]}-{compact[12:]}"
    return None


ID_PATTERN = re.compile(r"\bNCT[\s_-]*\d{8}\b|\b\d{4}[\s_-]*\d{6}[\s_-]*\d{2}[\s_-]*\d{2}\b", re.I)


def find_trial_ids(text: str) -> list[str]:
    found = [normalize_trial_id(m.group(0)) for m in ID_PATTERN.finditer(text)]
    return list(dict.fromkeys(i for i in found if i))


@dataclass
class TrialDoc:
    entry: Entry
    chunks: dict[str, TextNode] = field(default_factory=dict)  # section -> node
    entity_terms: set[str] = field(default_factory=set)
    # Words of the record's broader subject terms ("heart" for an arrhythmia) and keywords: they count
    # for a trial at half weight, so a trial named outright wins; a question about a field finds it too.
    broader_terms: set[str] = field(default_factory=set)
    keyword_terms: set[str] = field(default_factory=set)
    # Words every trial of the corpus shares (the drug they all test): they name no trial.
    common: frozenset[str] = frozenset()
    treatment: str = "the study treatment"  # what the trial tests, as answers name it
    nodes: list[TextNode] = field(default_factory=list)  # every passage, in the record's order

    @property
    def link_terms(self) -> set[str]:
        return self.entity_terms | self.broader_terms | self.keyword_terms

    def sections_named(self, section: str) -> list[TextNode]:
        """Every passage under a heading: long lists (sites, criteria) are split over several."""
        return [n for n in self.nodes if n.metadata.get("section") == section]

    def sentences(self, section: str) -> list[str]:
        """The section's sentences a writer may use: text that looks like instructions or markup is
        data to show in a cited passage, never a sentence of an answer."""
        node = self.chunks.get(section)
        return [s for s in split_sentences(node.get_content()) if not unfit(s)] if node else []


class Catalog:
    """Entries, chunks and the linker's vocabulary, built from what the store holds."""

    def __init__(self, nodes: list[TextNode], corpus_hash: str | None):
        self.corpus_hash = corpus_hash
        self.nodes = sorted(nodes, key=lambda n: (n.metadata["trial_id"], n.metadata.get("position", 0)))
        self.by_id: dict[str, TextNode] = {n.id_: n for n in self.nodes}
        self._described: dict[str, set[str]] = {}
        self.trials: dict[str, TrialDoc] = {}
        grouped: dict[str, list[TextNode]] = defaultdict(list)
        for node in self.nodes:
            grouped[node.metadata["trial_id"]].append(node)
        for trial_id, trial_nodes in grouped.items():
            facts = next((n for n in trial_nodes if n.metadata.get("kind") == "facts"), None)
            if facts is None:
                logger.warning("trial %s has no key-facts chunk; skipped", trial_id)
                continue
            entry = Entry.model_validate_json(facts.metadata["entry_json"])
            first: dict[str, TextNode] = {}
            # In position order: a section cut into several passages is read from its first one.
            for node in trial_nodes:
                first.setdefault(node.metadata["section"], node)
            doc = TrialDoc(entry=entry, chunks=first, nodes=list(trial_nodes))
            doc.entity_terms = self._entity_terms(entry)
            doc.broader_terms = self._terms(entry.mesh_ancestors) - doc.entity_terms
            # Keywords ("blood thinner", "toddlers", "dose escalation") help find a trial but are not its name.
            doc.keyword_terms = self._terms(entry.keywords) - doc.entity_terms - doc.broader_terms
            if entry.intervention:
                doc.treatment = entry.intervention
            # Named scores in the body (BICLA) identify a trial as well as its fields do; site addresses
            # and contacts hold postcodes ("D02 YN77") and codes that name nothing a patient asks for.
            for node in trial_nodes:
                if node.metadata.get("kind") != "facts" and node.metadata.get("section") not in (WHERE, CONTACT):
                    body = TRIAL_ID.sub(" ", SOURCE_LINE.sub(" ", node.get_content()))
                    doc.entity_terms |= {a.lower() for a in re.findall(ACRONYM, body) if len(a) > 2}
            self.trials[trial_id] = doc
        self.order = sorted(self.trials, key=lambda t: (self.trials[t].entry.reference or 10**6, t))
        self.shared_treatment = self._shared_treatment()
        # Named scores (CLASI-70, BICLA) and treatment words beyond the drug (a light therapy): read as
        # "a score" and "the design" when a question uses them, whatever the corpus calls them.
        self.score_names = frozenset(a.lower() for d in self.trials.values() for a in self._score_names(d))
        self.treatment_words = frozenset(
            t for d in self.trials.values() for t in tokens(f"{d.entry.intervention or ''} {d.entry.comparator or ''}")
            if t not in STOPWORDS and t not in GENERIC and len(t) > 3)
        self.common = frozenset(tokens(self.shared_treatment or ""))
        self.treatment_words -= self.common
        for doc in self.trials.values():
            doc.entity_terms -= self.common
            doc.broader_terms -= self.common
            doc.keyword_terms -= self.common
            doc.common = self.common
            if self.shared_treatment:
                doc.treatment = self.shared_treatment
        frequency = Counter(term for doc in self.trials.values() for term in doc.link_terms)
        total = max(len(self.trials), 1)
        self.idf = {term: math.log(1 + total / count) for term, count in frequency.items()}
        self.vocabulary = frozenset(t for n in self.nodes for t in tokens(n.get_content()) if t.isalpha())
        # term -> trials that have it, and each trial's place in ``order``: link() scores only the
        # trials that share a word with the question (a few, out of thousands at scale).
        self._rank = {t: i for i, t in enumerate(self.order)}
        self._with_term: dict[str, list[str]] = defaultdict(list)
        for trial_id, doc in self.trials.items():
            for term in doc.link_terms:
                self._with_term[term].append(trial_id)
        self._topic_words = frozenset(self._with_term) | self.score_names | self.treatment_words | self.common

    @staticmethod
    def _terms(phrases: list[str]) -> set[str]:
        return {t for t in tokens(" ".join(phrases)) if t not in STOPWORDS and t not in GENERIC and len(t) > 2}

    @staticmethod
    def _entity_terms(entry: Entry) -> set[str]:
        # The registry's subject terms for the conditions name the trial as its conditions do.
        text = " ".join([entry.title, entry.short_name, *entry.conditions, entry.population, entry.ages or "",
                         *entry.mesh_conditions])
        if entry.includes_children:
            text += " children adolescents pediatric"
        terms = {t for t in tokens(text) if t not in STOPWORDS and t not in GENERIC and t not in AGE_WORDS
                 and len(t) > 1}
        # From the endpoint only its named scores (CLASI-70, TIS): its other words say nothing of the trial.
        terms |= {t.lower() for t in re.findall(r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*\b", entry.primary_endpoint or "")}
        if entry.enrollment is not None:
            terms.add(f"n{entry.enrollment}")
        # "the phase 4 one", "the 376 one": a record's phase and size name it as well as its words.
        terms |= {f"phase{n}" for n in PHASE_MENTION.findall((entry.phase or "").lower())}
        return terms

    def _shared_treatment(self) -> str | None:
        """The treatment every trial names first in its intervention (a single-drug programme), else None."""
        names = [d.entry.intervention for d in self.trials.values()]
        if len(names) < 2 or not all(names):
            return None
        first = {re.split(r"[\s,(]", n.strip(), maxsplit=1)[0] for n in names}
        if len(first) != 1:
            return None
        word = first.pop()
        return word if len(word) > 2 and word.lower() not in STOPWORDS | GENERIC else None

    def describe(self) -> str:
        """'12 trials of Drugmab' / '32 clinical trials': what the entries hold, from the entries."""
        count = len(self.trials)
        noun = "trial" if count == 1 else "trials"
        return f"{count} {noun} of {self.shared_treatment}" if self.shared_treatment else f"{count} clinical {noun}"

    @staticmethod
    def _score_names(doc: TrialDoc) -> set[str]:
        names = set(re.findall(ACRONYM, doc.entry.primary_endpoint or ""))
        for node in doc.chunks.values():
            for sentence in split_sentences(TRIAL_ID.sub(" ", node.get_content())):
                if re.search(r"\b(score|index|scale|response|measure[sd]?)\b", sentence, re.I):
                    names |= {a for a in re.findall(ACRONYM, sentence) if len(a) > 2}
        return names

    def generalize(self, folded: str) -> str:
        """The question as intent reads it: the corpus's shared treatment is 'the drug', a named score
        'the X score', so no drug or score name has to be written into the intent patterns."""
        words = set(tokens(folded))
        for word in self.common & words:
            folded = re.sub(rf"\b{re.escape(word)}\b", "the drug", folded)
        for name in self.score_names & words:
            folded = re.sub(rf"\b{re.escape(name)}\b", f"{name} score", folded)
        return folded

    def names_treatment(self, expanded: str) -> bool:
        """The patient's own words name a treatment: a lexicon row's words in brackets ("eye" adds
        "ophthalmic") are not theirs."""
        return bool(self.treatment_words & set(tokens(EXPANSION.sub(" ", expanded))))

    def on_topic(self, folded: str) -> bool:
        """The question names something the entries are about: a condition, a treatment, a score."""
        words = set(tokens(folded))
        return bool(words & self._topic_words)

    @classmethod
    def from_store(cls, store: Store) -> Catalog:
        collection = store.collection()
        state = store.state(collection)
        return cls(store.all_nodes(collection), state["corpus_hash"])

    def entry(self, trial_id: str) -> Entry:
        return self.trials[trial_id].entry

    def described_by(self, trial_id: str) -> set[str]:
        """Words of a trial's own description (summary, groups, design, key facts): not its criteria or
        sites, where other diseases and places are only mentioned."""
        cache = self._described
        if trial_id not in cache:
            doc = self.trials[trial_id]
            cache[trial_id] = set(tokens(" ".join(n.get_content() for n in doc.nodes
                                                  if n.metadata.get("section") not in LISTS_ELSEWHERE)))
        return cache[trial_id]

    def named_with_all(self, words: list[str]) -> set[str]:
        """Trials whose names, conditions, population or keywords hold every one of these words."""
        if not words:
            return set()
        found = set.intersection(*(set(self._with_term.get(w, ())) for w in words))
        return {t for t in found if set(words) <= self.trials[t].entity_terms | self.trials[t].keyword_terms}

    def link(self, text: str, expansions: list[str], ratio: float = 0.85,
             inclusive: bool = False, said: str = "") -> tuple[list[str], dict[str, float]]:
        """Trials whose names, conditions or population the question mentions, best first.

        ``text`` is the folded question, ``expansions`` the entry words its lay terms stand for.
        A word the patient wrote counts fully; a table row counts once (its best word), at 0.8,
        so "kids" cannot outweigh a condition written out; a keyword or broader subject term counts
        half. Returns the trials scoring within ``ratio`` of the best (ties mean the question is
        ambiguous) and every trial's score. ``inclusive`` (a question about a field: "heart studies")
        also returns every trial that holds all the words the best one was found by, in any field.
        """
        text = NON_ENTITY.sub(" ", text)
        words = set(tokens(text)) | {f"n{m.group(1) or m.group(2)}" for m in SIZE_MENTION.finditer(text)}
        words |= {f"phase{n}" for n in PHASE_NAMING.findall(text)}
        # A row's words the patient wrote that no record holds ("ringing" of "ringing in my ears", taken out
        # of ``text`` as one lay phrase; ``said`` is the whole question) only restate them: the rest of the
        # row are the record words to find ("tinnitus").
        restated = {w for t in tokens(said) for w in (t, t.rstrip("s")) if w not in self._with_term}
        rows = [set(tokens(row)) - words - restated for row in expansions]
        # A trial sharing no term scores 0; the others get exactly the sum they always had.
        scores: dict[str, float] = dict.fromkeys(self.trials, 0)
        found_by: dict[str, set[str]] = {}
        candidates = {t for term in words.union(*rows) for t in self._with_term.get(term, ())}
        for trial_id in candidates:
            doc = self.trials[trial_id]
            score = sum(self.idf[t] for t in doc.entity_terms & words)
            score += 0.5 * sum(self.idf[t] for t in (doc.broader_terms | doc.keyword_terms) & words)
            # A row counts for the share of its words the trial has: an abbreviation expanded to three words
            # fits a trial with all three fully, one that shares a single word only in part.
            # Sharing less than half a row ("blood" of "diabetes mellitus blood glucose") is not being named by it.
            named_rows = [i for i, row in enumerate(rows) if row and 2 * len(doc.entity_terms & row) >= len(row)]
            score += sum(0.8 * sum(self.idf.get(t, 0.0) for t in doc.entity_terms & rows[i]) / len(rows[i])
                         for i in named_rows)
            scores[trial_id] = score
            found_by[trial_id] = doc.link_terms & words  # the words written, not a lay word's row
        best = max(scores.values(), default=0.0)
        if best <= 0:
            return [], scores
        chosen = [t for t in sorted(candidates, key=self._rank.__getitem__) if scores[t] >= ratio * best]
        if inclusive:
            top = found_by[max(candidates, key=lambda t: (scores[t], -self._rank[t]))]
            chosen += [t for t in sorted(candidates, key=self._rank.__getitem__)
                       if t not in chosen and top and top <= found_by[t]]
        return sorted(chosen, key=lambda t: -scores[t]), scores
