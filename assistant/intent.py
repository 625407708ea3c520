"""What a question asks: which facts of a trial, a question about the whole set, or a topic the
entries don't cover. Works on the expanded question (folded, spelling fixed, lay terms added)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ATTRIBUTES: dict[str, str] = {
    "size": r"\bn ?=|(^|\s)n\s*(\?|$|\+|and\b)|how (much|many) (persons|people|patients|participants|adults)\b|"
            r"how many\b(?! (trials|studies|of (the|these) (trials|studies)|shots|doses|injections|jabs|pills|tablets|"
            r"capsules|puffs|sessions|visits|times|days|weeks|months|years|hours))|how (big|large|small)\b|"
            r"number of (people|patients|participants)|enrol|enroll|sample size|\bsize\b|participants|"
            r"\bpeople (are )?(in|taking part)",
    "phase": r"\bphases?\b|what stage|further along|farther along|more advanced|how far along",
    "population": r"\bwho\b|for whom|eligib|\bages?\b|how old|\bold\b|young|children|adults?\b|criteria|"
                  r"qualify|take part|\bjoin|participat|inclusion|requirements?|\bfor (adults|children)|"
                  r"(decide|determine|confirm|know) (if|whether|that)|diagnos|classif|really ha(s|ve)|"
                  r"needs? to (have|be)|how much .{0,30}(affected|covered|involved)|\baffected\b|minimum|maximum|"
                  r"\bmild\b|severe|worse|how (sick|bad)|get (in|into)\b|ha(s|ve) to be|"
                  r"\bmust\b|\b(take|takes|accept|accepts|allow|allows|let in|lets in|include|includes|open to)\b"
                  r" (\w+ ){0,2}(people|patients|kids|children|adults|anyone|men|women|teens|those|someone|with)\b|"
                  r"involvement|\bsubsets?\b|\btypes? of (people|patients)|"
                  r"\b(can|could|may|would) (i|he|she|we|they|my \w+)( still)? (do|be in|get in|get into|try) "
                  r"(it|this|that|the)\b",
    "endpoint": r"measur|endpoint|outcome|\bgoals?\b|\baims?\b|purpose|looking (at|for)|main (result|thing)|"
                r"primary (endpoint|outcome|goal|result|aim|measure)|(test|check)(ing)? (for|whether)|\bscore|"
                r"renal response|what .{0,40}(testing|studying|trying)|"
                r"success|\bpoint of\b|counts? as|find out|trying to (learn|show|find|see)|judge|"
                r"what (are|is) (they|it|the study) (checking|tracking|looking)|\btrack|"
                r"(tell|know|decide|judge|see|measure|check) (if|whether|that) .{0,40}(better|improv|work|help)",
    "design": r"placebo|compar|control|open[- ]label|blind|design|standard of care|"
              r"how does (the|this|it|that) (study|trial)? ?work|randomi|proof[- ]of[- ]concept|pilot|"
              r"\bgroups?\b|\barms?\b|what (\w+ ){0,2}do (they|people|participants|patients|you|u)( \([^)]*\))? "
              r"(get|receive)|"
              r"receive|"
              r"(kind|type|sort) of (study|trial)|add-on|standard of care|light|combin|together with|"
              r"along with|\bplus\b|paired with",
    "route": r"subcutaneous|inject|pill|tablet|infusion|\biv\b|\bdrip\b|how (is|are|was|were|do|does|did) .{0,25}"
             r"(given|give|taken|take|administered|delivered)|\boral\b|by mouth",
    "status": r"finish|complete|\bdone\b|\bover\b|recruit|still (going|open|running|on|happening)|ongoing|"
              r"status|open for|\bclosed\b|\bended\b|accepting|enrolling now|currently",
    "duration": r"how long (is|does|will|are)|duration|length of|total length",
    "timing": r"how long|\bwhen\b|\bweeks?\b|duration|\blast\b|months|years long|timeline|follow[- ]?up period",
    "condition": r"what (disease|condition|illness)|which (disease|condition|illness)|"
                 r"(what|which) (pill|drug|medicine|medication|treatment|vaccine|cream|device|inhaler|injection|"
                 r"shot)s?( \([^)]*\))* (is|are|was|were) (it|that|this|they|being (tested|used|given))|"
                 r"what is (it|this|that|the (study|trial)) (for|about)|about what|"
                 r"(what|which) (kind|type|sort|form)s? of (?!(study|trial))",
}
_ATTRIBUTE_RE = {name: re.compile(p) for name, p in ATTRIBUTES.items()}

NO_INFO_PATTERNS: dict[str, str] = {
    "cost": r"\bcost|\bpay\b|paid|payment|price|money|insurance|compensat|reimburs|\bfree\b|expens|\bfee",
    "location": r"\bwhere\b|location|\bsites?\b|hospital|clinic|city|country|near me|nearby|\bstates?\b|travel",
    "results": r"(what|any|see|get|know|share|were|are|the|final|published) (the )?(final |study |trial )?results|"
               r"results (of|from|were|show|came|published|so far)|did (it|the \w+( \w+)?) work|"
               r"does (it|the drug) (really |actually )?work|effective|efficacy|success rate|findings|"
               r"what did .{0,30}find|how well|proven|approved|approval|\bfda\b|\bema\b",
    "side_effects": r"side[- ]?effects?|adverse (reactions?)|risks?\b|dangerous|harmful|toxic|hair loss|"
                    r"\b(get|got|gets|getting|cause[sd]?|causing|risk of|rate of|chance of|had) (\w+ ){0,2}"
                    r"(infections?|shingles|cancer)\b",
    "mechanism": r"how does (it|the (drug|medicine))( \w+)? work|mechanism|what does "
                 r"the drug do|how .{0,20}works? in the body|what kind of (drug|medicine)",
    "dosing": r"how often|how frequent|how many (doses|injections|shots)|"
              r"\b(take|taking|taken|given|give|get|use|using|inject\w*|shots?|pills?|doses?|apply|put)\b.{0,25}"
              r"every (day|week|month|other)|"
              r"\bdose\b|dosage|\bmg\b|milligram|how much (drug|medicine)",
    "contact": r"contact|phone|email|sign (me )?up|how (do|can) (i|we) (join|enrol+|apply|register|get in)|"
               r"who (do|should) i (call|ask|talk)|website|apply",
    "dates": r"start date|end date|when (will|does|did) .{0,30}(start|end|finish|begin|results)|"
             r"what year|which year",
    "other_drugs": r"benlysta|belimumab|hydroxychloroquine|plaquenil|rituximab|prednison|steroids?|"
                   r"methotrexate|mycophenolate|cellcept|voclosporin|lupkynis|other (drugs|medicines|treatments)",
}
_NO_INFO_RE = {name: re.compile(p) for name, p in NO_INFO_PATTERNS.items()}

_TRIALS = r"(trials|studies|research studies|clinical trials)"
CORPUS_KINDS: dict[str, str] = {
    "largest": r"\b(biggest|largest|most (people|participants|patients|volunteers))\b|(most|highest) enrol",
    "smallest": r"\b(smallest|fewest|least (people|participants|patients))\b|lowest enrol",
    "phase": rf"(which|what|list|how many|any)\b.{{0,40}}(phase (2|3|4|ii|iii|iv|two|three|four))|"
             rf"phase (2|3|4|ii|iii|iv|two|three|four) {_TRIALS}",
    "count": rf"how many (?!people|patients|participants|adults|kids|children|persons)(\w+ ){{0,3}}{_TRIALS}|"
             rf"number of {_TRIALS}|how many (are there|in total)\b",
    "drug": r"^(so |and |ok )?(what|who) (is|s) (this (drug|medicine)|"
            r"the (study )?(drug|medicine))\b|tell me about (the (study )?(drug|medicine))\b",
    "children": rf"(which|what|any|are there|list)\b.{{0,40}}{_TRIALS}?.{{0,30}}\b(children|pediatric)|"
                rf"\b(children|pediatric)\b.{{0,30}}(which|any) {_TRIALS}",
    "placebo": rf"(which|what|any|list|how many)\b.{{0,40}}placebo|placebo[- ]controlled {_TRIALS}",
    "completed": rf"(which|what|any|how many)\b.{{0,30}}{_TRIALS}.{{0,30}}(completed|finished|done|over)",
    "injection": rf"(which|what|any|how many)\b.{{0,40}}{_TRIALS}.{{0,40}}subcutaneous|"
                 r"^(how|is|are|can) .{0,20}(it|the (drug|medicine)) (given|taken|administered|delivered)",
    "phases": r"^(what|which) (are the |are )?phases\b|which phases|what phases",
    "open_label": r"(which|what|any|how many)\b.{0,40}open[- ]label",
    "add_on": r"(which|what|any|how many)\b.{0,40}(standard of care|add[- ]on)",
    "adults_only": rf"(which|what|how many)\b.{{0,40}}{_TRIALS}.{{0,30}}(only )?adults( only)?\b",
    "conditions": r"(what|which) (conditions?|diseases?|illness(es)?|autoimmune diseases?)|"
                  r"(conditions|diseases|illnesses) (are|is) (being )?(studied|covered|tested|included)|"
                  r"what (is|are) (it|the drug) (being )?(studied|tested|trialed) (for|in)",
    "list": rf"(list|name|show|what are|which are|give me)( me)?( all)? (the )?{_TRIALS}|"
            rf"what {_TRIALS} (are there|exist|do you (have|know))|all (the )?{_TRIALS}|"
            rf"(which|what) (\w+ ){{0,2}}{_TRIALS} (are|is) (there|available|included|in)",
    "week": r"(which|what)\b.{0,40}week (\d+)",
    "rank": r"\b(rank|sort|order|list)\b.{0,30}\b(by |from )?(size|biggest|largest|smallest|enrol\w*|number of)",
    "size_range": r"\b(more|greater|fewer|less|larger|smaller|bigger) than \d+|\b(over|above|under|below|at least)"
                  r" \d+ (people|participants|patients|adults|persons)|\bbetween \d+ and \d+|[<>] ?\d+",
}
_CORPUS_RE = {name: re.compile(p) for name, p in CORPUS_KINDS.items()}

FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|and what about|same for|what of|ok and|then)\b|"
    r"\b(it|its|this one|that one|that study|this study|that trial|this trial|the study|the trial|"
    r"they|them|those|these|the same)\b|"
    r"\b(any|all|some|none|each|either|both|one) of (that|this|those|these|them)\b|"
    r"^(was|is|did|does|were|are) (that|this)\b"
)
ON_TOPIC = re.compile(
    r"\b(trials?|stud(y|ies)|research|placebos?|phases?|enrol\w*|participa\w*|"
    r"renal|proof[- ]of[- ]concept|open[- ]label|pilot|"
    r"drugs?|medicines?|medications?|treatments?|"
    r"dos(e|es|age)|injections?|shots?|nct\d*|endpoints?|volunteers?|patients?|diseases?|syndrome|"
    r"conditions?|side effects?|eligib\w*)\b"
)
PHASE_WORDS = {"2": "Phase 2", "ii": "Phase 2", "two": "Phase 2", "3": "Phase 3", "iii": "Phase 3",
               "three": "Phase 3", "4": "Phase 4", "iv": "Phase 4", "four": "Phase 4"}


NEGATION = re.compile(r"\b(not|nt|n t|arent|isnt|dont|doesnt|without|excluding|except|other than|non)\b")


def size_bounds(text: str) -> tuple[int | None, int | None]:
    """'more than 200', 'fewer than 50', 'between 100 and 350' -> (exclusive min, exclusive max)."""
    between = re.search(r"between (\d+) and (\d+)", text)
    if between:
        low, high = sorted(int(n) for n in between.groups())
        return low - 1, high + 1
    low = re.search(r"(?:more|greater|larger|bigger) than (\d+)|\b(?:over|above) (\d+)|> ?(\d+)", text)
    high = re.search(r"(?:fewer|less|smaller) than (\d+)|\b(?:under|below) (\d+)|< ?(\d+)", text)
    least = re.search(r"at least (\d+)", text)
    size_min = int(next(g for g in low.groups() if g)) if low else None
    if least and size_min is None:
        size_min = int(least.group(1)) - 1  # "at least 100" is "more than 99"
    size_max = int(next(g for g in high.groups() if g)) if high else None
    return size_min, size_max


@dataclass
class Intent:
    attributes: list[str] = field(default_factory=list)
    no_info: list[str] = field(default_factory=list)
    corpus_kinds: list[str] = field(default_factory=list)
    negate: bool = False
    size_min: int | None = None
    size_max: int | None = None
    phase: str | None = None
    week: str | None = None
    follow_up: bool = False
    on_topic: bool = False


def read_intent(expanded: str) -> Intent:
    intent = Intent()
    intent.attributes = [name for name, rx in _ATTRIBUTE_RE.items() if rx.search(expanded)]
    intent.no_info = [name for name, rx in _NO_INFO_RE.items() if rx.search(expanded)]
    kinds = [name for name, rx in _CORPUS_RE.items() if rx.search(expanded)]
    # "how many phase 3 trials" is a phase question; count/list only when nothing more specific matched.
    specific = [k for k in kinds if k not in ("count", "list")]
    intent.corpus_kinds = specific[:3] or kinds[:1]
    intent.negate = bool(NEGATION.search(expanded))
    intent.size_min, intent.size_max = size_bounds(expanded)
    phase = re.search(r"phase (2|3|4|ii|iii|iv|two|three|four)\b", expanded)
    intent.phase = PHASE_WORDS[phase.group(1)] if phase else None
    week = re.search(r"week (\d+)", expanded)
    intent.week = week.group(1) if week else None
    intent.follow_up = bool(FOLLOW_UP.search(expanded.split("?")[0]))
    intent.on_topic = bool(ON_TOPIC.search(expanded))
    return intent
