"""An answer is data: text, behaviour and citations, rendered late by each client."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BEHAVIORS = ("answer", "no_info", "advice", "emergency", "out_of_scope")


@dataclass
class Citation:
    n: int
    trial_id: str
    title: str
    section: str
    text: str
    chunk_id: str
    highlight: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Claim:
    """One sentence of a draft answer and the chunks that must support it."""

    text: str
    sources: list[str] = field(default_factory=list)
    basis: str | None = None  # the entry wording the support check compares against
    aggregate: bool = False  # counts over several entries: no single passage holds the number


@dataclass
class SentenceCheck:
    sentence: str
    citations: list[int]
    supported: bool


@dataclass
class Answer:
    question: str
    text: str
    behavior: str
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    passages: list[dict] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    checks: list[SentenceCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "behavior": self.behavior,
            "citations": [c.as_dict() for c in self.citations],
            "retrieved": list(self.retrieved),
        }
