"""The safety gate: decided on the question alone, before any answer is planned.

Emergencies and advice are decided by the labelled examples and cues in assistant/data (see
safety_model.py); attempts to change the instructions, other kinds of work and small talk by the
patterns below.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from .safety_model import SafetyModel, folded
from .text import fold

_INJECTION = [
    r"ignore (all |any |the |your |my )?(previous |prior |above |earlier )?(instructions|rules|prompts?|directions)",
    r"disregard (all |any |the |your )?(previous |prior |above )?(instructions|rules|prompts?)",
    r"(system|hidden|initial|original) (prompt|instructions|message)",
    r"(reveal|show|print|repeat|output|tell me) (me )?(your|the) (prompt|instructions|rules|configuration)",
    r"\byou are (now|no longer)\b|\bpretend\b|\bact as (a|an)\b|\broleplay\b|\bimagine (you|that)\b",
    r"repeat (that|this|after me|back)|say (that|it) (the drug|it) (cures|works)",
    r"\bjailbreak\b|\bdeveloper mode\b|\bdan mode\b|\bdo anything now\b",
    r"forget (everything|all|your) (you|instructions|rules|training)",
    r"new (instructions|rules):",
]
# Requests for another kind of work; they may mention a disease but are not about the trials.
_OFF_TOPIC_TASK = [
    r"\b(meal|diet|workout|exercise) plan\b|\brecipes?\b|\btell me a joke\b|\bjokes?\b",
    r"\b(summari[sz]e|read|open|visit|browse) (this|that|the) (page|link|article|url|website|site)\b",
    r"\bwrite (me )?(a |an )?(poem|story|essay|song|code|program|email|letter|function)\b",
    r"\btranslate (this|that|it)\b|\b(forget|stop talking about) the (trials|studies)\b",
]

INJECTION_RE = [re.compile(p) for p in _INJECTION]
OFF_TOPIC_RE = [re.compile(p) for p in _OFF_TOPIC_TASK]

_model: SafetyModel | None = None
_model_lock = threading.Lock()


def configure(embed_model, cache_dir: Path | None = None) -> SafetyModel:
    """Use this embedding model (the one the engine retrieves with) and cache the examples' vectors
    under cache_dir. Called by the Assistant; a second call with the same model keeps the vectors."""
    global _model
    with _model_lock:
        if _model is None or _model.embed_model is not embed_model:
            _model = SafetyModel(embed_model, cache_dir)
        return _model


def model() -> SafetyModel:
    if _model is None:
        from ingest.embedding import load_embed_model

        return configure(load_embed_model())
    return _model


def is_emergency(question: str, vector=None) -> bool:
    """An acute situation now, to the writer or someone with them. `vector` is the question's
    embedding when the caller already has it (the planner shares the one retrieval uses)."""
    gate = model()
    return gate.emergency_score(question, gate.embed(question) if vector is None else vector) > 0


def is_off_topic(question: str, vector=None) -> bool:
    """Nearer the labelled off-topic messages (weather, jokes, recipes) than the questions about trials."""
    gate = model()
    return gate.off_topic_score(gate.embed(question) if vector is None else vector) > 0


def is_advice(question: str, vector=None) -> bool:
    """A personal decision about the writer or someone they care for ("would my son be eligible?")."""
    gate = model()
    if not gate.cues.advice_features(folded(question))["person"]:
        return False  # decided without embedding: nothing personal is asked
    return gate.advice_score(question, gate.embed(question) if vector is None else vector) > 0


SMALL_TALK = re.compile(
    r"^(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks?( you)?( so much| a lot)?|thank u|thx|ty|"
    r"ok(ay)?|cool|great|bye|goodbye|cheers)[ !.,]*(trialchat|bot)?[ !.]*$"
)


def is_small_talk(question: str) -> bool:
    return bool(SMALL_TALK.match(" ".join(fold(question).split())))


def is_injection(question: str) -> bool:
    """Attempts to change the assistant's instructions, or requests for other kinds of work."""
    text = " ".join(fold(question).split())
    return any(p.search(text) for p in INJECTION_RE) or any(p.search(text) for p in OFF_TOPIC_RE)
