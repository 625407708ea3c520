"""The grounded writer: picks entry sentences that answer the question and cites each one.

It never writes a trial fact of its own: every factual sentence is an entry sentence (with the
trial's name put in for "This study"), checked against the passage it cites.
"""

from __future__ import annotations

import re

from ingest.passages import GROUPS

from .catalog import GENERIC, TrialDoc
from .phrases import NOT_STATED
from .text import content_tokens, tokens
from .types import Claim

SUMMARY, WHO, HOW, MEASURES = "Summary", "Who can take part", "How the study works", "What it measures"
DEFINITION = re.compile(
    r"\b(means|stands for|is a (combined|response) score|looks like|is based on|[Dd]octors call|joins several|"
    r"group these|are formal rules|are health problems|is the only)\b"
)
# Design words a question may ask about, and the entry wording that answers each.
DESIGN_WORDS = {
    "placebo": r"[Pp]lacebo", "open": r"open-label", "label": r"open-label", "standard": r"standard of care",
    "usual": r"standard of care", "phototherapy": r"phototherapy|light", "light": r"phototherapy|light",
    "dose": r"\bdose\b", "pilot": r"pilot", "proof": r"proof-of-concept", "group": r"group",
    "combin": r"phototherapy|added to|\bplus\b", "add": r"added to|standard of care",
}
_SUBJECT = re.compile(r"^(This study|The study|It|This)\b")
ORDER = ["size", "phase", "condition", "population", "endpoint", "design", "route", "status", "duration", "timing"]


def _pick(doc: TrialDoc, section: str, pattern: str | None = None, limit: int = 4) -> list[tuple[str, int]]:
    sentences = doc.sentences(section)
    picked = [(section, i) for i, s in enumerate(sentences) if pattern is None or re.search(pattern, s)]
    return picked[:limit]


def _anywhere(doc: TrialDoc, pattern: str) -> list[tuple[str, int]]:
    return [pick for section in (SUMMARY, WHO, HOW, MEASURES) for pick in _pick(doc, section, pattern)]


def picks_for(doc: TrialDoc, attribute: str, question: str, compact: bool) -> list[tuple[str, int]] | str:
    """Sentence positions that answer one attribute, or the not-stated sentence for it."""
    limit = 1 if compact else 4
    if attribute == "size":
        return _pick(doc, SUMMARY, r"\binclud\w* \d+", 1) or "size"
    if attribute == "phase":
        return _pick(doc, SUMMARY, r"Phase \d", 1)
    if attribute == "condition":
        if compact:
            return _pick(doc, SUMMARY, r"^(?!.*(Phase \d|includ\w* \d+))", 1)
        return (_pick(doc, SUMMARY, r"^(?!.*(Phase \d|includ\w* \d+))", 3)
                + _pick(doc, WHO, r"\b(with|have|has)\b", 1))
    if attribute == "population":
        return _pick(doc, WHO, None, 3 if not compact else 1)
    if attribute == "endpoint":
        aims = _pick(doc, HOW, r"\baims?\b", 2)
        return (_pick(doc, MEASURES, None, limit) + ([] if compact else aims)) or aims or "endpoint"
    if attribute == "design":
        asked = [rx for word, rx in DESIGN_WORDS.items() if word in question]
        found = [p for rx in asked for p in _anywhere(doc, rx)]
        found = list(dict.fromkeys(found))
        return found[:limit] if found else _pick(doc, HOW, None, limit)
    if attribute == "route":
        return _anywhere(doc, r"shot|injection|subcutaneous|infusion|pill")[:2] or "route"
    if attribute == "status":
        # Every status sentence ingest writes (ingest/ctgov.py STATUS), not only the common ones.
        return _anywhere(doc, r"\b(completed|finished|recruiting|ongoing|stopped early|paused|withdrawn|"
                              r"status is unknown)\b")[:1] or "status"
    if attribute == "timing":
        return _anywhere(doc, r"Week \d+")[:limit] or "timing"
    if attribute == "duration":
        return "timing"
    return []


def label_first(doc: TrialDoc, sentence: str) -> str:
    name = f"the {doc.entry.short_name} ({doc.entry.id})"
    if _SUBJECT.match(sentence):
        return _SUBJECT.sub(name[0].upper() + name[1:], sentence, count=1)
    first = sentence.split(" ", 1)[0]
    if first[1:].islower():
        sentence = sentence[0].lower() + sentence[1:]
    return f"In {name}, {sentence}"


def _overlap_picks(doc: TrialDoc, question: str, limit: int = 2, naming: set[str] = frozenset(),
                   rare_names: bool = True) -> list[tuple[str, int]]:
    """Sentences sharing the question's own words: 'lung', 'segmental', '5%'.

    Words that named the trial count only where they are rare in its entry: "lung" picks the one
    sentence about lung disease, a condition named in every sentence picks nothing.
    """
    sentences = [(section, i, s) for section in (WHO, HOW, MEASURES, SUMMARY)
                 for i, s in enumerate(doc.sentences(section))]
    found_in = []
    for _, _, sentence in sentences:
        found = set(tokens(sentence)) | set(re.findall(r"\d+%", sentence))
        found_in.append(found | {part for token in found for part in token.split("-")})

    def hits(word: str, found: set[str]) -> bool:
        return word in found or (len(word) >= 5 and any(f.startswith(word[:5]) for f in found))

    words = {w for w in content_tokens(question) if w not in GENERIC and w not in doc.common and len(w) > 2}
    words |= set(re.findall(r"\d+%", question))
    words -= set(tokens(doc.entry.short_name))
    words = {w for w in words if w not in naming or (rare_names and sum(hits(w, f) for f in found_in) <= 2)}
    if not words:
        return []
    scored = []
    for (section, i, _), found in zip(sentences, found_in, strict=True):
        count = sum(1 for w in words if hits(w, found))
        if count:
            scored.append((-count, section, i))
    scored.sort()
    return [(section, i) for _, section, i in scored[:limit]]


PRETEND_ARMS = {"PLACEBO_COMPARATOR", "SHAM_COMPARATOR"}  # registry group kinds that get no active treatment
YES_NO = re.compile(r"^(is|are|does|do|can|will|has|have|was|were|did)\b")


def yes_no_lead(doc: TrialDoc, attributes: list[str], question: str) -> Claim | None:
    """A direct 'Yes.'/'No.' for yes/no questions the entry's fields settle; None when they don't."""
    if not YES_NO.match(question):
        return None
    e, facts = doc.entry, doc.chunks.get("Key facts")
    if facts is None:
        return None
    asks_children = re.search(r"\b(children|pediatric)\b", question)
    if "population" in attributes and asks_children and e.includes_children is not None:
        if e.includes_children:
            return Claim("Yes, this study includes children.", [facts.id_], basis="children")
        if (e.ages or "") == "adults":
            return Claim("No, this study is for adults only.", [facts.id_], basis="adults")
    done = re.search(r"finish|complete|done|over", question)
    if "status" in attributes and (e.status or "").lower() == "completed" and done:
        return Claim("Yes, the entry says this study is completed.", [facts.id_], basis="completed")
    if "design" in attributes and "placebo" in question:
        if e.comparator == "placebo":
            return Claim(f"Yes, this study compares {doc.treatment} with a placebo.", [facts.id_], basis="placebo")
        return _no_placebo(doc)
    return None


def _no_placebo(doc: TrialDoc) -> Claim | None:
    """'No, the entry lists no placebo group: its groups are "A" and "B".' A registry record names the
    kind of each group, so a record none of whose groups or treatments is a placebo or sham settles it."""
    arms, groups = doc.entry.arms, doc.sections_named(GROUPS)
    if not arms or not groups or any(a.type in PRETEND_ARMS for a in arms):
        return None
    said = " ".join([*(f"{a.label} {a.description or ''}" for a in arms),
                     *(f"{i.name} {i.description or ''}" for i in doc.entry.interventions)]).lower()
    if re.search(r"placebo|sham|dummy|vehicle|inactive|salt water|saline", said):
        return None
    labels = [a.label for a in arms]
    named = labels[0] if len(labels) == 1 else ", ".join(f'"{x}"' for x in labels[:-1]) + f' and "{labels[-1]}"'
    lead = f'its only group is "{named}"' if len(labels) == 1 else f"its groups are {named}"
    return Claim(f"No, the entry lists no placebo group: {lead}.", [groups[0].id_], basis=" ".join(labels))


def trial_claims(doc: TrialDoc, attributes: list[str], question: str, compact: bool = False,
                 naming: set[str] = frozenset()) -> list[Claim]:
    """Claims about one trial: the asked facts first, each jargon term followed by its explanation."""
    wanted = [a for a in ORDER if a in attributes] or ["default"]
    positions: list[tuple[str, int]] = []
    if not compact and wanted == ["default"]:
        extra = _overlap_picks(doc, question, naming=naming)
        if extra:
            wanted = ["lead"]
            positions = _pick(doc, SUMMARY, None, 1) + [p for p in extra if p != (SUMMARY, 0)]
    not_stated: list[str] = []
    for attribute in wanted:
        if attribute == "lead":
            continue
        if attribute == "default":
            found = _pick(doc, SUMMARY, None, 2 if compact else 5)
            found += [] if compact else _pick(doc, MEASURES, None, 1)
        else:
            found = picks_for(doc, attribute, question, compact)
        if isinstance(found, str):
            not_stated.append(found)
            continue
        for pick in found:
            if pick not in positions:
                positions.append(pick)
    if wanted not in (["default"], ["lead"]) and positions:
        # One more sentence if it holds the question's own word (BICLA, ILD) the asked facts missed.
        extra = [p for p in _overlap_picks(doc, question, 1, naming) if p not in positions]
        positions += with_definitions(doc, extra) if compact else extra
    if not compact:
        positions = with_definitions(doc, positions)
    claims: list[Claim] = []
    lead = None if compact else yes_no_lead(doc, attributes, question)
    if lead:
        claims.append(lead)
    chunk_for = {section: node.id_ for section, node in doc.chunks.items()}
    for key in not_stated:
        claims.append(Claim(NOT_STATED[key].format(name=f"{doc.entry.short_name} ({doc.entry.id})")))
    labelled = False
    for section, index in positions:
        sentence = doc.sentences(section)[index]
        text = sentence if labelled else label_first(doc, sentence)
        labelled = True
        claims.append(Claim(text=text, sources=[chunk_for[section]], basis=sentence))
    return claims


def with_definitions(doc: TrialDoc, positions: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """After a sentence that uses a term, add the entry's own explanation when it follows."""
    out: list[tuple[str, int]] = []
    for section, index in positions:
        if (section, index) not in out:
            out.append((section, index))
        sentences = doc.sentences(section)
        nxt = index + 1
        while nxt < len(sentences) and DEFINITION.search(sentences[nxt]):
            if (section, nxt) not in out:
                out.append((section, nxt))
            nxt += 1
    return out
