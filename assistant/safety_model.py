"""The safety gate's knowledge: labelled example messages, embedded once, and a few strong cues.

A message is an emergency when its nearest labelled examples are emergencies rather than near-misses,
moved by cues that the bundled sentence model does not see well: the danger is over ("years ago"),
general ("what are the signs of"), a count ("112 people") or a word inside a trial's name ("the
suicide-prevention study"), or it is happening now ("right now", "won't stop"). Advice is a personal
decision: the nearest advice examples beat the nearest fact questions, for a message about a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.yamldata import read_yaml

from .text import fold
from .vectors import cache_key, example_vectors, unit

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = DATA / "safety_examples.yaml"
CUES = DATA / "safety_cues.yaml"
LABELS = ("emergency", "near_miss", "advice", "fact", "out_of_scope", "small_talk")
OTHER = ("near_miss", "advice", "fact", "out_of_scope", "small_talk")
NOT_ADVICE = ("fact", "out_of_scope", "small_talk")
NEIGHBOURS = 3

# How much each cue moves the neighbour margin (cosine units, mean of the 3 nearest per side). Fitted
# by hand-checked hinge loss on the examples' leave-one-out margins, then rounded; refit when cues change.
EMERGENCY_WEIGHTS = {"certain": 1.0, "danger": 0.07, "acute": 0.09, "now": 0.09, "past": -0.12, "hypothetical": -0.14,
                     "future": -0.12, "mild": -0.03, "study_question": -0.06, "figurative": -0.12, "count": -0.1,
                     "named_only": -0.1}
EMERGENCY_BIAS = -0.045
NO_DANGER_WORD = 0.09
ADVICE_WEIGHTS = {"decision": 0.16, "for_person": 0.03, "fact_ask": -0.11}
ADVICE_BIAS = -0.08
LISTS = ("certain", "danger", "acute", "past", "hypothetical", "future", "mild", "study_question", "figurative",
         "count")
SINGLE = ("now", "trial_name", "person", "decision", "for_person", "fact_ask")


def folded(text: str) -> str:
    """Lower case, no accents or apostrophes, punctuation as spaces: the form the cues are written for."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", fold(text).replace("-", " ")).split())


@dataclass
class Cues:
    lists: dict[str, list[re.Pattern]]
    single: dict[str, re.Pattern]

    @classmethod
    def load(cls, path: Path = CUES) -> Cues:
        raw = read_yaml(path)
        return cls({k: [re.compile(p) for p in raw[k]] for k in LISTS}, {k: re.compile(raw[k]) for k in SINGLE})

    def hit(self, name: str, text: str) -> bool:
        return any(p.search(text) for p in self.lists[name])

    def emergency_features(self, text: str) -> dict[str, bool]:
        danger = self.hit("danger", text)
        # Something happening right now outweighs a past event, a general question or a mild symptom
        # in the same message ("had a stroke years ago and right now her face is drooping").
        now = bool(self.single["now"].search(text))
        features = {name: self.hit(name, text) and not now
                    for name in ("past", "hypothetical", "future", "mild", "study_question")}
        return {
            **features,
            "now": danger and now,
            "danger": danger,
            # Present tense or "right now" only counts together with a danger word ("watch tonight" does not).
            "acute": danger and self.hit("acute", text),
            "figurative": self.hit("figurative", text),
            # Said plainly enough that neighbours need not agree: unless it is over, or a figure of speech.
            "certain": self.hit("certain", text) and not features["past"] and not self.hit("figurative", text),
            "count": self.hit("count", text),
            "named_only": danger and not self.hit("danger", self.single["trial_name"].sub(" ", text)),
        }

    def advice_features(self, text: str) -> dict[str, bool]:
        return {name: bool(self.single[name].search(text)) for name in ("person", "decision", "for_person", "fact_ask")}


def load_examples(path: Path = EXAMPLES) -> tuple[list[str], list[str]]:
    raw = read_yaml(path)
    texts, labels = [], []
    for label in LABELS:
        for text in raw.get(label) or []:
            texts.append(str(text))
            labels.append(label)
    return texts, labels


class SafetyModel:
    """Nearest neighbours over the labelled examples plus the cues; vectors cached under cache_dir."""

    def __init__(self, embed_model, cache_dir: Path | None = None, examples: Path = EXAMPLES, cues: Path = CUES):
        self.embed_model = embed_model
        self.cache_dir = cache_dir
        self.examples_path = examples
        self.texts, self.labels = load_examples(examples)
        self.cues = Cues.load(cues)
        self._label = np.array(self.labels)

    @cached_property
    def vectors(self) -> np.ndarray:
        """The examples' unit vectors: read from the cache when the file and model are unchanged."""
        from ingest.embedding import MODEL_ID

        key = cache_key(self.examples_path.read_bytes(), MODEL_ID)
        cached = self.cache_dir / f"safety-examples-{key}.npy" if self.cache_dir else None
        return example_vectors(self.texts, self.embed_model, cached)

    def warm(self) -> SafetyModel:
        """Embed (or read) the examples now, not during the first patient's question."""
        _ = self.vectors
        return self

    def embed(self, text: str) -> np.ndarray:
        return _unit(np.asarray(self.embed_model.get_query_embedding(text), dtype=np.float32))

    def _margin(self, vector, positive: tuple[str, ...], negative: tuple[str, ...], exclude: int | None) -> float:
        sims = self.vectors @ _unit(np.asarray(vector, dtype=np.float32))
        if exclude is not None:
            sims = sims.copy()
            sims[exclude] = -np.inf
        pos = np.sort(sims[np.isin(self._label, positive)])[-NEIGHBOURS:]
        neg = np.sort(sims[np.isin(self._label, negative)])[-NEIGHBOURS:]
        return float(np.mean(pos[np.isfinite(pos)]) - np.mean(neg[np.isfinite(neg)]))

    def emergency_score(self, text: str, vector, exclude: int | None = None) -> float:
        features = self.cues.emergency_features(folded(text))
        margin = self._margin(vector, ("emergency",), OTHER, exclude)
        score = margin + EMERGENCY_BIAS + sum(w for name, w in EMERGENCY_WEIGHTS.items() if features[name])
        # Neighbours alone make an emergency only when they agree strongly: "how long do you take the
        # pills for" sits near overdose messages but names no danger.
        return score if features["danger"] or features["certain"] else score - NO_DANGER_WORD

    def off_topic_score(self, vector, exclude: int | None = None) -> float:
        return self._margin(vector, ("out_of_scope",), ("fact", "advice"), exclude)

    def advice_score(self, text: str, vector, exclude: int | None = None) -> float:
        """Below zero for fact questions; about a person is required, so 'can children join?' never is."""
        features = self.cues.advice_features(folded(text))
        if not features["person"]:
            return -1.0
        margin = self._margin(vector, ("advice",), NOT_ADVICE, exclude)
        return margin + ADVICE_BIAS + sum(w for name, w in ADVICE_WEIGHTS.items() if features[name])


_unit = unit
