"""Conversations for the concurrency benchmark, from the shipped corpus's question sets.

Real multi-turn conversations come first (blind-shipped.jsonl items whose history makes them at least
``turns`` long); the dev set's single-turn questions, grouped in file order, fill up the rest, so that
32 concurrent chats can each run a conversation of their own (a swapped answer then shows up as a
mismatch against that conversation's reference).
"""

from __future__ import annotations

import json

from ingest.settings import PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "corpus" / "questions"
# Follow-ups in the same style as the set's own, to take its one five-turn conversation to ten turns.
MORE_FOLLOW_UPS = ["is it still recruiting", "how long does it last", "how is the medicine given",
                   "where is it done", "how many people are in it?"]


def _items(name: str) -> list[dict]:
    lines = (QUESTIONS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def real_conversations() -> list[list[str]]:
    """Each multi-turn item's history + question, without the ones that are the start of a longer one."""
    chains = [[*item["history"], item["question"]] for item in _items("blind-shipped.jsonl") if item.get("history")]
    whole = [c for c in chains if not any(len(o) > len(c) and o[:len(c)] == c for o in chains)]
    unique: list[list[str]] = []
    for chain in whole:
        if chain not in unique:
            unique.append(chain)
    return unique


def conversations(turns: int = 4) -> list[list[str]]:
    """Distinct ``turns``-turn conversations: real ones cut to length, then dev questions in groups."""
    out = [c[:turns] for c in real_conversations() if len(c) >= turns]
    single = [item["question"] for item in _items("dev.jsonl") if not item.get("history")]
    out += [single[i:i + turns] for i in range(0, len(single) - turns + 1, turns)]
    return out


def long_conversation(turns: int = 10) -> list[str]:
    """The longest real conversation, extended with follow-ups about the same trial to ``turns`` turns."""
    longest = max(real_conversations(), key=len)
    return (longest + MORE_FOLLOW_UPS)[:turns]
