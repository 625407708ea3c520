"""What the chat offers a patient before and after each answer, built from the catalog and the answer.

Nothing here names a trial, a condition or a count of its own: the words come from the ingested
entries, so a different corpus gets a welcome and suggestions that fit it.
"""

from __future__ import annotations

import functools
import re

from assistant.catalog import Catalog
from assistant.intent import read_intent
from assistant.text import fold
from assistant.types import Answer
from ingest.entries import Entry

# Aspect -> the question asked about one trial; in the order a new patient usually wants them.
ASPECT_QUESTIONS = {
    "population": "Who can take part in the {name}?",
    "size": "How many people are in the {name}?",
    "endpoint": "What does the {name} measure?",
    "design": "How does the {name} work?",
    "phase": "What phase is the {name}?",
}
# ClinicalTrials.gov statuses in plain words; anything else is shown as written.
STATUS_WORDS = {
    "recruiting": "looking for volunteers",
    "not yet recruiting": "not yet looking for volunteers",
    "active, not recruiting": "running, not taking new volunteers",
    "enrolling by invitation": "taking volunteers by invitation only",
    "completed": "finished",
    "terminated": "stopped early",
    "suspended": "paused",
    "withdrawn": "stopped before anyone joined",
}
NO_BEHAVIOURS_WITH_SUGGESTIONS = ("emergency", "error")


def trial_name(entry: Entry) -> str:
    """How the answers name a trial ("the kidney study"); the title when there is no short name."""
    name = (entry.short_name or entry.title or entry.id).strip()
    if not re.search(r"\b(study|trial)\b", name, re.I):
        name = f"{name} study"
    return name


def status_words(status: str | None) -> str:
    """The status in plain words with the registry's term after it."""
    if not status:
        return "not stated in the entry"
    plain = STATUS_WORDS.get(status.strip().lower())
    return f"{plain} ({status})" if plain else status


def condition_words(entry: Entry) -> tuple[str, str]:
    """(plain name, medical term): the title's own wording of the condition, then the entry's term."""
    medical = "; ".join(entry.conditions)
    plain = entry.title or ""
    # Titles read "<drug> for <condition>" or "... in <condition>": the condition is what follows.
    match = re.search(r"\b(?:for|in|with)\s+(?!(?:adults|children|people|teens)\b)(.+)$", plain)
    plain = match.group(1) if match else (entry.short_name or medical)
    plain = re.sub(r"\s+(?:study|trial)$", "", plain.strip(), flags=re.I)
    if fold(medical) and fold(medical) in fold(plain):
        medical = ""
    return plain, medical


def welcome_text(catalog: Catalog) -> str:
    """One short paragraph: how many trials, which ones, what TrialChat can and cannot do."""
    entries = [catalog.trials[t].entry for t in catalog.order]
    if not entries:
        return ("TrialChat has no trial entries yet, so it can't answer. "
                "The people running it need to run `trialchat ingest`.")
    names = [trial_name(e) for e in entries]
    listed = ", ".join(names[:-1]) + (f" and {names[-1]}" if len(names) > 1 else names[0])
    count = len(entries)
    return (f"TrialChat answers questions about {count} clinical trial {'entry' if count == 1 else 'entries'}: "
            f"the {listed}. It can tell you who a study is for, how many people it includes, its phase, "
            "how it works and what it measures, with a numbered source for every fact. "
            "It can't give medical advice or say whether you should join, and the entries don't say "
            "where studies run, what they cost or what they found.")


def example_questions(catalog: Catalog, limit: int = 4) -> list[str]:
    """Questions a new patient can send with one click, each about something the entries hold."""
    entries = [catalog.trials[t].entry for t in catalog.order]
    if not entries:
        return []
    questions = []
    sized = [e for e in entries if e.enrollment]
    if len(sized) > 1:
        questions.append("Which study is the biggest?")
    if any(e.includes_children for e in entries):
        questions.append("Is there a study for children?")
    if sized:
        questions.append(ASPECT_QUESTIONS["size"].format(name=trial_name(sized[0])))
    measured = [e for e in entries if e.primary_endpoint and e is not (sized[0] if sized else None)]
    if measured:
        questions.append(ASPECT_QUESTIONS["endpoint"].format(name=trial_name(measured[0])))
    return questions[:limit]


def asked_aspects(questions: list[str]) -> set[str]:
    return {a for q in questions for a in _aspects(q)}


@functools.lru_cache(maxsize=4096)
def _aspects(question: str) -> frozenset[str]:
    # Every turn looks at all the chat's earlier questions: each is read once, not once per turn.
    return frozenset(read_intent(fold(question)).attributes)


def follow_ups(catalog: Catalog, answer: Answer | None, questions: list[str], limit: int = 3) -> list[str]:
    """2-3 next questions: about the answer's trials, on aspects the patient has not asked yet."""
    if answer is None or answer.behavior in NO_BEHAVIOURS_WITH_SUGGESTIONS:
        return []
    trials = list(dict.fromkeys([*answer.focus, *(c.trial_id for c in answer.citations)]))
    trials = [t for t in trials if t in catalog.trials]
    if not trials:
        return [q for q in example_questions(catalog) if q not in questions][:limit]
    asked = asked_aspects(questions)
    open_aspects = [a for a in ASPECT_QUESTIONS if a not in asked] or list(ASPECT_QUESTIONS)
    suggestions: list[str] = []
    # Round-robin over the answer's trials, so a list answer suggests more than one of them.
    for i, aspect in enumerate(open_aspects):
        entry = catalog.trials[trials[i % len(trials)]].entry
        question = ASPECT_QUESTIONS[aspect].format(name=trial_name(entry))
        if question not in questions:
            suggestions.append(question)
        if len(suggestions) == limit:
            break
    return suggestions
