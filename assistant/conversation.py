"""What a chat remembers between turns, updated once per turn: earlier turns are never planned again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .plan import Plan

# Earlier turns a follow-up may reach back to ("the other one" of a list three answers ago).
REMEMBERED_TURNS = 6


def user_turns(history: Iterable) -> list[str]:
    """Earlier user questions from plain strings or chat messages (Gradio sends parts lists)."""
    turns = []
    for item in history or []:
        if isinstance(item, str):
            turns.append(item)
        elif isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            if isinstance(content, str):
                turns.append(content)
    return turns


@dataclass
class Conversation:
    """One chat's state: the plan a follow-up continues from, and the questions it was built from.

    Only what the next plan reads is kept (the trials in focus, the aspects asked, the trials of the
    turns before), so a long chat costs the same per turn as a short one. The questions are kept so
    the state can be rebuilt when an ingest changes the trials it points at.
    """

    previous: Plan | None = None
    questions: list[str] = field(default_factory=list)
    corpus_hash: str | None = None

    @property
    def focus(self) -> list[str]:
        return list(self.previous.focus) if self.previous else []

    def remember(self, question: str, plan: Plan, corpus_hash: str | None) -> None:
        """Take a planned turn into the state (gated turns keep the earlier focus)."""
        self.questions = [*self.questions, question][-REMEMBERED_TURNS:]
        self.corpus_hash = corpus_hash
        if plan.behavior is not None:
            return  # an emergency or an out-of-scope message does not change what the chat is about
        if plan.focus:
            self.previous = _carried(plan)
        elif self.previous is not None and plan.kind == "corpus":
            self.previous = _carried(plan)


def _carried(plan: Plan) -> Plan:
    # A copy, so writing the answer cannot change what the next turn continues from.
    return Plan(kind=plan.kind, focus=list(plan.focus), attributes=list(plan.attributes),
                earlier=[list(g) for g in plan.earlier[-REMEMBERED_TURNS:]],
                constraint_kinds=set(plan.constraint_kinds), aspects=list(plan.aspects))
