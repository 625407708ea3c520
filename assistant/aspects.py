"""Understand: which parts of a trial's record a question asks for, by example and by cue.

The knowledge is data (data/aspects.yaml): for each aspect, the record passages that answer it,
strong cues and example phrasings. The examples are embedded once with the bundled model (cached
under the home directory by the file's hash); a question asks for an aspect when one of its cues
matches or when its nearest example of that aspect is close enough. A new phrasing is handled by
adding an example line, not a rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.yamldata import read_yaml

from .vectors import cache_key, example_vectors

ASPECTS_FILE = Path(__file__).resolve().parent / "data" / "aspects.yaml"
GENERAL = "general"


@dataclass(frozen=True)
class Aspect:
    name: str
    sections: tuple[str, ...]  # empty: the "general" examples, which only hold other aspects back
    topic: str | None  # the "entries don't say" topic this aspect answers when the record has it
    cues: tuple[re.Pattern, ...]
    examples: tuple[str, ...]
    lines: re.Pattern | None = None  # which lines of the passages answer it
    limit: int = 12
    replaces: tuple[str, ...] = ()
    only_matching: bool = False  # quote only lines that share the question's words
    min_score: float = 0.0  # with only_matching: how rare in the record the shared words must be

    @property
    def section(self) -> str | None:
        return self.sections[0] if self.sections else None


def _sections(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class AspectReader:
    """Reads the aspects a question asks for; one instance per process, examples embedded once."""

    def __init__(self, embed_model=None, cache_dir: Path | None = None, path: Path = ASPECTS_FILE):
        raw = read_yaml(path)
        self.threshold = float(raw["threshold"])
        self.margin = float(raw["margin"])
        self.strong = float(raw["strong"])
        self.aspects = [
            Aspect(name, _sections(spec.get("section")), spec.get("topic"),
                   tuple(re.compile(c) for c in spec.get("cues", [])), tuple(spec.get("examples", [])),
                   re.compile(spec["lines"]) if spec.get("lines") else None, int(spec.get("limit", 12)),
                   tuple(spec.get("replaces", [])), bool(spec.get("only_matching", False)),
                   float(spec.get("min_score", 0.0)))
            for name, spec in raw["aspects"].items()
        ]
        self.by_name = {a.name: a for a in self.aspects}
        self.fallback = self.by_name.get(raw.get("fallback") or "")
        self.embed_model = embed_model
        self.cache_dir = cache_dir
        # The cache is named for the file and the model: either changing embeds the examples again.
        self._digest = cache_key(path.read_bytes(), getattr(embed_model, "model_name", "") or "")

    @cached_property
    def _examples(self) -> tuple[np.ndarray, list[str]]:
        texts = [e for a in self.aspects for e in a.examples]
        labels = [a.name for a in self.aspects for _ in a.examples]
        cached = self.cache_dir / f"aspects-{self._digest}.npy" if self.cache_dir else None
        vectors = example_vectors(texts, self.embed_model, cached)
        return (vectors, labels) if len(vectors) == len(texts) else (vectors, [])

    def warm(self) -> None:
        """Embed the examples now, not during the first patient's question."""
        _ = self._examples

    def nearest(self, vector) -> dict[str, float]:
        """Each aspect's best cosine similarity to the question."""
        vectors, labels = self._examples
        if vector is None or not labels:
            return {}
        q = np.asarray(vector, dtype=np.float32)
        sims = vectors @ (q / (np.linalg.norm(q) + 1e-12))
        best: dict[str, float] = {}
        for label, sim in zip(labels, sims, strict=True):
            best[label] = max(best.get(label, -1.0), float(sim))
        return best

    def without_cues(self, folded: str, names: list[str]) -> str:
        """The question less the words that asked for these aspects ("men" in "can men join?")."""
        for name in names:
            for cue in self.by_name[name].cues:
                folded = cue.sub(" ", folded)
        return " ".join(folded.split())

    def read(self, folded: str, vector=None, cued: Iterable[str] = ()) -> list[str]:
        """Aspects the question asks for: every cue that matches, and the examples' best if close.

        ``cued``: the key facts and uncovered topics the question's own words already ask for. Then a
        near example only adds an aspect that answers one of those, or one it is very near to: the
        examples are near in topic as much as in what is asked ("vaccine trial, what are they
        checking" is near "is the trial still open"), and a word that asks is the stronger evidence.
        """
        asked = [a.name for a in self.aspects if a.section and any(c.search(folded) for c in a.cues)]
        scores = self.nearest(vector)
        if scores:
            top = max(scores.values())
            if top >= self.threshold and scores.get(GENERAL, -1.0) < top:
                near = [name for name, s in scores.items()
                        if s >= top - self.margin and name not in asked and self.by_name[name].section]
                cued = set(cued)
                if cued:
                    near = [n for n in near if cued & set(self.by_name[n].replaces) or self.by_name[n].topic in cued
                            or scores[n] >= self.strong]
                asked += near
        return asked
