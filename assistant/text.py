"""Text clean-up shared by the safety gate, the linker and retrieval."""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being both but by can
    could did do does doing done for from get gets got had has have having he her here hers him his how i
    if im in into is it its itself just let me more most my no nor not now of off on once only or other
    our out over own please same she should so some such than that thats the their them then there these
    they this those through to too under until up very was we were what whats when where which while who
    whom why will with would you your yours tell know want wanted wondering hi hello thanks thank ok okay
    maybe really much many mean means one ones like does dont cant isnt arent""".split()
)


def clean(text: str) -> str:
    """Remove invisible and control characters and collapse whitespace; keep the words."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lowercase and strip accents and apostrophes, for matching (Crohn's -> crohns)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"(?<=[a-z])['\u2019`]s\b", "", text)  # Crohn's -> crohn, like "crohn" typed
    return re.sub(r"['\u2019`]", "", text)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(fold(text))


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS]


QUESTION_SENTENCE = re.compile(r"[^.!?]*\?")


def asked_part(folded: str) -> str:
    """In a long message with a story first, the question is in the sentences that end with '?'."""
    if len(folded) < 200:
        return folded
    questions = QUESTION_SENTENCE.findall(folded)
    return " ".join(questions) if questions else folded
