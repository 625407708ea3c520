"""The Plan: one turn read into a typed record (behaviour, trials, what is asked of them), which the
answer is composed from and the next turn continues from. Made in assistant/understand.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from .intent import Intent
from .retrieval import Hit


@dataclass
class Plan:
    behavior: str | None = None  # decided by the safety gate: emergency | out_of_scope
    kind: str = "none"  # corpus | trial | none
    focus: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    intent: Intent = field(default_factory=Intent)
    unknown_ids: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    advice: bool = False
    by_retrieval: bool = False
    compare: bool = False
    expanded: str = ""
    asked: str = ""  # the expanded question without the trial's name: what is asked of it
    subset: list[str] | None = None  # corpus questions narrowed to some trials ("asthma trials")
    answerable: list[str] = field(default_factory=list)  # no-info topics this trial's entry does cover
    set_claims: list = field(default_factory=list)  # the answer to a question about the set, built once
    naming: set[str] = field(default_factory=set)  # words that named the trial, not asked about it
    earlier: list[list[str]] = field(default_factory=list)  # the trials of each earlier turn, oldest first
    aspects: list[str] = field(default_factory=list)  # parts of a record asked for (data/aspects.yaml)
    smaller: bool = False  # a comparison asks which is smaller
    person: bool = False  # the message tells facts about someone (an age, "i have", "my son is on")
    folded: str = ""  # the whole message, folded and spelling-fixed, no lay words added
    constraint_kinds: set[str] = field(default_factory=set)  # what the patient narrowed by ("sexes", "places")
