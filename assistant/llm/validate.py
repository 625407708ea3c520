"""Check an LLM reply sentence by sentence against the numbered sources it was given.

A sentence is kept only if it cites a source that supports it; [n] outside the sources are removed;
kept citations are renumbered by first use, so every [n] in the text resolves to one Citation and
every Citation is used. The reply may arrive in pieces: `feed` judges each sentence once, when it is
complete, so the text shown while streaming is already validated and never changes afterwards.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence

from llama_index.core.schema import TextNode

from assistant import phrases
from assistant.catalog import GENERIC, find_trial_ids
from assistant.check import (
    MARKER,
    TRIAL_ID_IN_TEXT,
    _with_markers,
    best_sentence,
    cited_numbers,
    split_sentences,
    strip_invalid_markers,
    supports,
)
from assistant.safety import is_injection
from assistant.text import STOPWORDS, clean, tokens
from assistant.types import Answer, Citation, SentenceCheck

logger = logging.getLogger(__name__)

# Sentences a writer may say without a citation: they state no trial fact.
UNCITED_OK = frozenset({phrases.NO_INFO, phrases.NO_INFO_WHO_KNOWS, phrases.NOT_ADVICE_NOTE})
# Telling the reader what to do is advice, whatever a source says; the entries never address "you".
DIRECTIVE = re.compile(r"\byou (should|must|need to|ought to|have to)\b|\b(stop|start|quit|skip) taking\b", re.I)
# supports() checks only numbers and acronyms, so "The drug cures asthma [1]" would pass it alone: also
# require this share of a sentence's content words (not stop words, not generic trial words) in its sources.
MIN_WORD_SHARE = 0.6
GLUE = frozenset("well also get gets given take taking part called known each every both either whether".split())
MIN_KEPT_SHARE = 0.5  # of the reply's sentences; below this the grounded answer is shown instead

_MARKER_LIST = re.compile(r"\[(\d+(?:\s*[,;\-–]\s*\d+)+)\]")
_AFTER_STOP = re.compile(r"([.!?])((?:[ \t]*\[\d+\])+)")
_LIST_ITEM = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.S)  # reasoning models' notes are not the answer


def _expand_list(match: re.Match) -> str:
    """'1, 2' -> [1][2]; '1-3' -> [1][2][3]."""
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", match.group(1)):
        bounds = [int(b) for b in re.split(r"\s*[-–]\s*", part)]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] < 10:
            numbers += range(bounds[0], bounds[1] + 1)
        else:
            numbers += bounds
    return "".join(f"[{n}]" for n in numbers)


def _marker_first(match: re.Match) -> str:
    return f" {match.group(2).strip()}{match.group(1)}"


def _end(line: str) -> str:
    return line if line[-1] in ".!?" else line + "."


def normalize(raw: str) -> str:
    """One line of prose: list items and cited lines become sentences, headings and <think> go, [1, 2] becomes
    [1][2], and 'end. [1]' becomes 'end [1].' so the marker stays with its sentence."""
    raw = _THINKING.sub("", raw)
    out: list[str] = []
    for line in raw.replace("**", "").splitlines():
        line = line.strip()
        if not line:
            if out:
                out[-1] = _end(out[-1])
            continue
        if line.startswith("#"):
            continue
        item = _LIST_ITEM.match(line)
        if item:
            line = line[item.end():].strip()
        line = _AFTER_STOP.sub(_marker_first, line)
        if line:
            out.append(_end(line) if item or line.endswith("]") else line)
    text = _MARKER_LIST.sub(_expand_list, clean(" ".join(out)))
    return _AFTER_STOP.sub(_marker_first, text)


def _stems(words) -> tuple[set[str], set[str]]:
    words = set(words)
    return words, {w[:5] for w in words if len(w) >= 5}


def word_share(vocabulary: tuple[set[str], set[str]], sentence: str, naming: frozenset[str] = frozenset()) -> float:
    """Share of the sentence's content words (numbers included) that the cited passages contain.

    Words that only name the trial (its title, nickname, conditions, the drug every trial tests) are
    left out: they are in every passage of the trial, so they cannot show that a claim is supported."""
    skip = STOPWORDS | GENERIC | GLUE | naming
    words = [w for w in tokens(TRIAL_ID_IN_TEXT.sub(" ", sentence)) if w not in skip and (len(w) > 2 or w.isdigit())]
    if not words:
        return 1.0
    exact, prefixes = vocabulary
    found = [w for w in words if w in exact or (len(w) >= 5 and w[:5] in prefixes)]
    return len(found) / len(words)


class Validator:
    """Judges an LLM reply against `sources` (the prompt's [1]..[k]) and keeps what is supported."""

    def __init__(self, sources: Sequence[TextNode]):
        self.sources = list(sources)
        self.valid = set(range(1, len(self.sources) + 1))
        self.numbering: dict[int, int] = {}  # prompt number -> final number
        self.citations: list[Citation] = []
        self.kept: list[str] = []
        self.checks: list[SentenceCheck] = []
        self.dropped: Counter[str] = Counter()
        self.invented = 0  # [n] markers removed because no source n was given
        self.total = 0
        self._judged = 0
        self._vocab: dict[int, tuple[set[str], set[str]]] = {}
        self._naming: dict[int, frozenset[str]] = {}

    # -- feeding ----------------------------------------------------------------------------------
    def feed(self, raw: str, final: bool = False) -> bool:
        """Judge each complete sentence of the reply so far (all of them when final); True if text grew."""
        sentences = split_sentences(normalize(raw))
        upto = len(sentences) if final else len(sentences) - 1
        grew = False
        for sentence in sentences[self._judged:upto]:
            grew = self._judge(sentence) or grew
        self._judged = max(self._judged, upto)
        return grew

    @property
    def text(self) -> str:
        return " ".join(self.kept)

    # -- judging one sentence ---------------------------------------------------------------------
    def _drop(self, sentence: str, reason: str) -> bool:
        self.dropped[reason] += 1
        self.checks.append(SentenceCheck(sentence, [], False))
        logger.info("llm sentence dropped (%s): %s", reason, sentence)
        return False

    def _judge(self, sentence: str) -> bool:
        cleaned = strip_invalid_markers(sentence, self.valid)
        self.invented += len(cited_numbers(sentence)) - len(cited_numbers(cleaned))
        bare = " ".join(MARKER.sub("", cleaned).split())
        if not re.search(r"[A-Za-z0-9]", bare):
            return False  # stray markers or punctuation: nothing to judge
        self.total += 1
        if DIRECTIVE.search(bare) or is_injection(bare):
            return self._drop(bare, "instruction or advice")
        cited = list(dict.fromkeys(cited_numbers(cleaned)))
        if not cited:
            if bare in UNCITED_OK:
                self.kept.append(bare)
                self.checks.append(SentenceCheck(bare, [], True))
                return True
            return self._drop(bare, "no citation")
        good = [n for n in cited if self._supported(n, bare)]
        if not good:
            return self._drop(bare, "citation does not support it")
        trials = {self.sources[n - 1].metadata.get("trial_id") for n in good}
        if any(trial_id not in trials for trial_id in find_trial_ids(bare)):
            return self._drop(bare, "names a trial its sources are not about")
        numbers = [self._number(n, bare) for n in good]
        self.kept.append(_with_markers(bare, numbers))
        self.checks.append(SentenceCheck(bare, numbers, True))
        return True

    def _supported(self, n: int, sentence: str) -> bool:
        node = self.sources[n - 1]
        if n not in self._vocab:
            meta = node.metadata
            naming = " ".join(str(meta.get(k, "")) for k in ("title", "short_name", "conditions"))
            self._vocab[n] = _stems(tokens(f"{node.get_content()} {naming}"))
            self._naming[n] = frozenset(tokens(naming))
        return (supports(node.get_content(), sentence)
                and word_share(self._vocab[n], sentence, self._naming[n]) >= MIN_WORD_SHARE)

    def _number(self, n: int, sentence: str) -> int:
        if n not in self.numbering:
            self.numbering[n] = len(self.numbering) + 1
            node = self.sources[n - 1]
            self.citations.append(Citation(
                n=self.numbering[n], trial_id=node.metadata.get("trial_id", ""),
                title=node.metadata.get("title", ""), section=node.metadata.get("section", ""),
                text=node.get_content(), chunk_id=node.node_id,
                highlight=best_sentence(node.get_content(), sentence),
            ))
        return self.numbering[n]

    # -- verdict ----------------------------------------------------------------------------------
    def reasons(self) -> str:
        parts = [f"{reason}: {count}" for reason, count in self.dropped.items()]
        if self.invented:
            parts.append(f"invented [n] removed: {self.invented}")
        return ", ".join(parts)

    def failure(self) -> str | None:
        """Why the reply must not be shown (the grounded answer is), or None if it may."""
        if self.total == 0:
            return "empty reply"
        cited = sum(1 for check in self.checks if check.supported and check.citations)
        why = f" ({self.reasons()})" if self.reasons() else ""
        if cited == 0:
            return f"no sentence with a supported citation{why}"
        if len(self.kept) < MIN_KEPT_SHARE * self.total:
            return f"only {len(self.kept)} of {self.total} sentences passed validation{why}"
        return None

    def answer(self, grounded: Answer, note: str) -> Answer:
        text = self.text
        used = set(cited_numbers(text))
        assert used == {c.n for c in self.citations}, "every [n] resolves and every citation is used"
        return Answer(question=grounded.question, text=text, behavior=grounded.behavior,
                      citations=list(self.citations), retrieved=list(grounded.retrieved),
                      passages=list(grounded.passages), focus=list(grounded.focus), checks=list(self.checks),
                      notes=[*grounded.notes, note])
