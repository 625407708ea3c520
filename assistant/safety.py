"""The safety gate: decided on the question alone, before any retrieval."""

from __future__ import annotations

import re

from .synonyms import correct_spelling
from .text import fold

_EMERGENCY = [
    r"chest (pain|pains|tightness|pressure|hurts?)|(pain|tightness|pressure) in (my|his|her) chest|heart attack",
    r"(can ?not|cant|can ?t|couldn ?t|unable to|hard to|trouble|struggling to|difficulty) ?(breath|breathe|breathing)",
    r"short(ness)? of breath|not breathing|stopped breathing|choking|gasping|catch (my|his|her|a|their) breath",
    r"(breathing|breath) (is|feels|getting) (so |very |really )?(hard|difficult|labou?red|bad)|"
    r"(cant|can ?not|unable to|cannot) swallow",
    r"(leg|calf|arm) (is |got |has )?(suddenly |really |very )*(swollen|swelling|swelled)|sudden(ly)? swollen",
    r"(throat|tongue|lips?|face) (is |are |it s |its )?(swell|swollen|closing|tight)|"
    r"swelling (of|in) (my|the) (throat|tongue)",
    r"anaphyla\w*|severe (allergic|allergy|reaction)|allergic reaction.*(bad|severe|swell|breath)",
    r"suicid\w*|(kill|killing|hurt|hurting|harm|harming|cut|cutting) (myself|me)\b|end(ing)? (my life|it all)|"
    r"want to die|wanna die|better off dead|self[- ]?harm|take my (own )?life|no reason to live|overdos\w*|"
    r"(dont|do not|don t|no longer) want to (live|be alive|be here|go on)|not worth living|end it all",
    r"seizure|convuls\w*|unconscious|passed out|pass(ing)? out|fainted|unresponsive|collapsed",
    r"stroke|droop\w*|slurred speech|can ?t (move|feel|lift) (my|his|her|one) (right |left )?(arm|leg|side)",
    r"(hasnt|has not|hasn t|havent|have not|not) (peed|urinated|passed urine)|no urine|"
    r"\b(hes|shes|is|im|i m|i am|seems|very|really) (so |very )?confused\b",
    r"(legs?|ankles?|feet) (are |is |got )?(hugely |very |really |suddenly |badly )*(swollen|swelling)",
    r"(coughing|vomiting|throwing) up blood|bleeding (a lot|heavily|won ?t stop)|severe bleeding",
    r"call (an )?ambulance|\b(911|999|112)\b|emergency room|\ber\b now",
]
_GENERAL_QUESTION = re.compile(
    r"\b(does|do|can|could|will|would|is|are)\b.{0,40}\b(cause|causes|risk|side effects?|linked)\b"
)
_FIRST_PERSON = re.compile(r"\b(i|im|ive|me|my|mine|we|our|he|she|his|her|hes|shes|right now|now|help)\b")

_ADVICE = [
    r"\bshould (i|we|my|he|she|they|me)\b",
    r"\b(i|we) should (i )?(sign|join|enrol+|take|start|stop|try|let|put|switch|skip)\b",
    r"\b(should|can|could|may) (i|we|my \w+|he|she) (just |still |really |safely )?(take|start|stop|quit|switch|"
    r"skip|join|enrol+|sign up|try|double|increase|decrease|give|keep|continue|stay on|come off|go off)\b",
    r"\bam i (eligible|a (good )?candidate|able to (join|take part|enrol+)|too old|too young|allowed)\b",
    r"\b(is|would) (it|this|anifrolumab|the (drug|study|trial|medicine)) (be )?(safe|right|good|ok|okay|"
    r"worth it) for (me|my|him|her|us)\b",
    r"\b(safe|right|good|ok|okay|best) (one |trial |study |option |choice )?for (me|my (son|daughter|child|kid))\b",
    r"\bfor me to (pick|choose|join|take)\b|\bwhich .{0,30}should (i|we) (pick|choose|join|go for)\b",
    r"\bwhat (dose|dosage|amount) (should|do|can|would) (i|we|my|he|she)\b",
    r"\b(how much|how many) .{0,20}should (i|we|my|he|she) (take|get|use)\b",
    r"\b(can|could|do|does) (i|my \w+|he|she) (qualify|participate|take part|be in)\b",
    r"\bis (it|this) (a good idea|worth) .{0,30}\b(me|my|join|take)\b",
    r"\b(would|will) (it|this|anifrolumab) (help|work for|cure) (me|my|him|her)\b",
    r"\b(i|im) (thinking|considering|planning) (of|about) (joining|taking|stopping|starting|enrol+ing)\b",
    r"\binstead of my\b|\b(stop|skip|quit|change) (taking )?my (meds|medication|medicine|medicines|pills|treatment)\b",
    r"\b(would|will) (you|u) (sign up|join|take|do|enrol+|try)\b|\bif (you|u) were me\b",
    r"\bsign (him|her|me|them|my \w+) up\b|\bdo you (think|recommend) (i|we|my|he|she)\b",
    r"\b(is (it )?better|better (if|that|to)|is better) .{0,20}\b(i|me|we|he|she)? ?(join|take|start|stop|switch|try)",
    r"\b(join|take|start|use|try) (the (trial|study)|anifrolumab|it) instead\b",
    r"\b(would|will) (you|u) (switch|start|stop|prescribe|recommend|give|change)\b",
]
_INJECTION = [
    r"ignore (all |any |the |your |my )?(previous |prior |above |earlier )?(instructions|rules|prompts?|directions)",
    r"disregard (all |any |the |your )?(previous |prior |above )?(instructions|rules|prompts?)",
    r"(system|hidden|initial|original) (prompt|instructions|message)",
    r"(reveal|show|print|repeat|output|tell me) (me )?(your|the) (prompt|instructions|rules|configuration)",
    r"\byou are (now|no longer)\b|\bpretend\b|\bact as (a|an)\b|\broleplay\b|\bimagine (you|that)\b",
    r"repeat (that|this|after me|back)|say (that|it) (anifrolumab|it) (cures|works)",
    r"\bjailbreak\b|\bdeveloper mode\b|\bdan mode\b|\bdo anything now\b",
    r"forget (everything|all|your) (you|instructions|rules|training)",
    r"new (instructions|rules):",
]
# Requests for another kind of work; they may mention lupus but are not about the trials.
_OFF_TOPIC_TASK = [
    r"\b(meal|diet|workout|exercise) plan\b|\brecipes?\b|\btell me a joke\b|\bjokes?\b",
    r"\b(summari[sz]e|read|open|visit|browse) (this|that|the) (page|link|article|url|website|site)\b",
    r"\bwrite (me )?(a |an )?(poem|story|essay|song|code|program|email|letter|function)\b",
    r"\btranslate (this|that|it)\b|\b(forget|stop talking about) the (trials|studies)\b",
]

EMERGENCY_RE = [re.compile(p) for p in _EMERGENCY]
ADVICE_RE = [re.compile(p) for p in _ADVICE]
INJECTION_RE = [re.compile(p) for p in _INJECTION]
OFF_TOPIC_RE = [re.compile(p) for p in _OFF_TOPIC_TASK]


def _folded(question: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", correct_spelling(fold(question))).replace("'", " ")


def is_emergency(question: str) -> bool:
    text = " ".join(_folded(question).split())
    if not any(p.search(text) for p in EMERGENCY_RE):
        return False
    # "Can anifrolumab cause chest pain?" asks about the drug, not about someone in danger now.
    return not (_GENERAL_QUESTION.search(text) and not _FIRST_PERSON.search(text))


def is_advice(question: str) -> bool:
    text = " ".join(_folded(question).split())
    return any(p.search(text) for p in ADVICE_RE)


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
