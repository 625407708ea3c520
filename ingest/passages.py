"""A record's registry fields as passages a patient can read, grouped the way patients ask.

Only the registry block of the record is written here; an entry's own written sections and its
key-facts line are chunked as before. Long lists (criteria, sites, outcomes) are cut into passages
under MAX_PASSAGE_WORDS, each starting with its group's lead line, so every passage keeps its heading
and fits the embedder (256 word pieces, with the title and section names embedded beside the text).
"""

from __future__ import annotations

from .records import DateInfo, Outcome, TrialRecord
from .words import plain

SUMMARY = "Summary"
WHO = "Who can take part"
NOT_WHO = "Who cannot take part"
WHERE = "Where it takes place"
CONTACT = "How to contact the study team"
GROUPS = "Groups and treatments"
MEASURED = "What is measured and when"
STATUS = "Status and dates"
DESIGN = "Design"
GROUP_ORDER = (SUMMARY, WHO, NOT_WHO, WHERE, CONTACT, GROUPS, MEASURED, STATUS, DESIGN)
MAX_PASSAGE_WORDS = 150
NOT_WHO_LEAD = "People cannot take part if any of these apply:"


def _end(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def _list(items) -> str:
    return ", ".join(i for i in items if i)


def _date(label: str, when: DateInfo | None) -> str | None:
    if when is None:
        return None
    kind = f" ({plain('date_type', when.type)})" if when.type else ""
    return f"{label}: {when.date}{kind}."


def _age(text: str | None, years: float | None) -> str | None:
    if text is None:
        return None
    shown = " ".join(text.split()).lower()
    return shown if years is None or shown.startswith(f"{years:g} year") else f"{shown} ({years:g} years)"


def _summary(r: TrialRecord) -> list[str]:
    lines = []
    if r.brief_title:
        lines.append(_end(f"Title: {r.brief_title}"))
    if r.official_title and r.official_title != r.brief_title:
        lines.append(_end(f"Official title: {r.official_title}"))
    ids = [i for i in [r.nct_id, *r.other_ids] if i]
    if r.acronym:
        lines.append(_end(f"Short name: {r.acronym}"))
    if ids:
        lines.append(_end(f"Study ids: {_list(ids)}"))
    if r.conditions and (r.brief_title or r.nct_id):  # registry records; written entries say it in prose
        lines.append(_end(f"Conditions: {'; '.join(r.conditions)}"))
    if r.keywords:
        lines.append(_end(f"Keywords: {'; '.join(r.keywords)}"))
    if r.mesh_conditions:
        lines.append(_end(f"Medical subject terms for the conditions: {'; '.join(r.mesh_conditions)}"))
    if r.mesh_ancestors:
        lines.append(_end(f"Broader medical subject terms: {'; '.join(r.mesh_ancestors)}"))
    if r.mesh_interventions:
        lines.append(_end(f"Medical subject terms for the treatments: {'; '.join(r.mesh_interventions)}"))
    if r.sponsor:
        lines.append(_end(f"Sponsor: {r.sponsor}"))
    if r.collaborators:
        lines.append(_end(f"Collaborators: {_list(r.collaborators)}"))
    if r.brief_summary:
        lines.append(_end(f"In brief: {r.brief_summary}"))
    return lines


def _who(r: TrialRecord) -> list[str]:
    lines = []
    low, high = _age(r.minimum_age, r.minimum_age_years), _age(r.maximum_age, r.maximum_age_years)
    if low and high:
        lines.append(f"Ages: {low} to {high}.")
    elif low:
        lines.append(f"Ages: {low} and older.")
    elif high:
        lines.append(f"Ages: up to {high}.")
    if r.std_ages:
        lines.append(_end(f"Age groups: {_list(plain('std_age', a) for a in r.std_ages)}"))
    if r.sex:
        lines.append(_end(f"Sex: {plain('sex', r.sex)}"))
    if r.healthy_volunteers is not None:
        lines.append(f"Healthy volunteers: {'accepted' if r.healthy_volunteers else 'not accepted'}.")
    if r.inclusion_criteria:
        lines.append("People can take part if they meet these rules:")
        lines += [_end(f"- {item}") for item in r.inclusion_criteria]
    return lines


def _contacts(r: TrialRecord) -> list[str]:
    lines = []
    for c in r.contacts:
        role = f" ({plain('contact_role', c.role).lower()})" if c.role and c.role != "CONTACT" else ""
        phone = f"phone {c.phone}" + (f" extension {c.phone_ext}" if c.phone_ext else "") if c.phone else None
        reach = _list([phone, f"email {c.email}" if c.email else None])
        lines.append(_end(f"- {c.name or 'Study contact'}{role}: {reach}"))
    return ["To ask about taking part, the record lists:", *lines] if lines else []


def _where(r: TrialRecord) -> list[str]:
    lines = []
    for site in r.locations:
        place = _list([site.facility, site.city, site.state, site.zip, site.country])
        status = f" ({plain('site_status', site.status)})" if site.status else ""
        lines.append(_end(f"- {place}{status}"))
    if lines:
        countries = list(dict.fromkeys(s.country for s in r.locations if s.country))
        head = f"The study lists {len(r.locations)} site{'s' if len(r.locations) != 1 else ''}"
        lines.insert(0, f"{head}{f' in {_list(countries)}' if countries else ''}:")
    return lines


def treatment_lead(code: str | None) -> str:
    """How a treatment's line starts: "Treatment (device): "."""
    return f"Treatment ({plain('intervention_type', code)}): " if code else "Treatment: "


def _groups(r: TrialRecord) -> list[str]:
    lines = []
    for arm in r.arms:
        kind = f" ({plain('arm_type', arm.type)})" if arm.type else ""
        text = f"Group \"{arm.label}\"{kind}"
        if arm.description:
            text += f": {arm.description}"
        if arm.intervention_names:
            text = _end(text) + f" Treatments: {'; '.join(arm.intervention_names)}"
        lines.append(_end(text))
    for item in r.interventions:
        text = treatment_lead(item.type) + item.name
        if item.other_names:
            text += f" (also called {_list(item.other_names)})"
        if item.description:
            text += f". {item.description}"
        if item.arm_labels:
            text = _end(text) + f" Given in: {'; '.join(item.arm_labels)}"
        lines.append(_end(text))
    return lines


def _outcomes(label: str, outcomes: list[Outcome]) -> list[str]:
    lines = []
    for outcome in outcomes:
        text = f"{label}: {outcome.measure}"
        if outcome.time_frame:
            text = _end(text) + f" When: {outcome.time_frame}"
        if outcome.description:
            text = _end(text) + f" {outcome.description}"
        lines.append(_end(text))
    return lines


def _status(r: TrialRecord) -> list[str]:
    lines = []
    if r.overall_status:
        lines.append(_end(f"Status: {plain('overall_status', r.overall_status)}"))
    if r.last_known_status:
        lines.append(_end(f"Last known status: {plain('overall_status', r.last_known_status)}"))
    if r.why_stopped:
        lines.append(_end(f"Why it stopped: {r.why_stopped}"))
    if r.enrollment is not None and (r.enrollment_type or r.overall_status):
        kind = f" ({plain('enrollment_type', r.enrollment_type)})" if r.enrollment_type else ""
        lines.append(f"Number of people: {r.enrollment}{kind}.")
    for label, when in (("Start", r.start_date), ("Main results expected (primary completion)",
                                                  r.primary_completion_date), ("End", r.completion_date)):
        line = _date(label, when)
        if line:
            lines.append(line)
    if lines and r.provenance:
        p = r.provenance
        where = _list([p.record, f"version of {p.version_date}" if p.version_date else None])
        lines.append(_end(f"Source: {p.source}{f', {where}' if where else ''}"))
    return lines


def _design(r: TrialRecord) -> list[str]:
    lines = []
    if r.study_type:
        lines.append(_end(f"Study type: {plain('study_type', r.study_type)}"))
    if r.phases:
        lines.append(_end(f"Phase: {' and '.join(plain('phase', p) for p in r.phases)}"))
    if r.allocation:
        lines.append(_end(f"Allocation: {plain('allocation', r.allocation)}"))
    if r.intervention_model:
        lines.append(_end(f"Groups: {plain('intervention_model', r.intervention_model)}"))
    if r.masking:
        who = f"; not told: {_list(plain('who_masked', w) for w in r.who_masked)}" if r.who_masked else ""
        lines.append(_end(f"Masking: {plain('masking', r.masking)}{who}"))
    if r.primary_purpose:
        lines.append(_end(f"Main purpose: {plain('primary_purpose', r.primary_purpose)}"))
    if r.observational_model:
        lines.append(_end(f"Observational model: {plain('observational_model', r.observational_model)}"))
    if r.time_perspective:
        lines.append(_end(f"Time perspective: {plain('time_perspective', r.time_perspective)}"))
    return lines


def _pack(lead: str | None, lines: list[str], limit: int = MAX_PASSAGE_WORDS) -> list[str]:
    """Lines into passages under ``limit`` words; passages after the first start with ``lead`` again.

    A single line longer than the limit is cut at word boundaries (each part keeps the lead)."""
    words_of = lambda text: len(text.split())  # noqa: E731
    pieces: list[str] = []
    for line in lines:
        if words_of(line) <= limit - words_of(lead or ""):
            pieces.append(line)
            continue
        tokens, size = line.split(), max(limit - words_of(lead or "") - 5, 20)
        pieces += [" ".join(tokens[i:i + size]) for i in range(0, len(tokens), size)]
    passages: list[list[str]] = []
    for piece in pieces:
        if passages and words_of(" ".join(passages[-1] + [piece])) <= limit:
            passages[-1].append(piece)
        else:
            passages.append(([lead] if lead and passages else []) + [piece])
    return ["\n".join(p) for p in passages]


def record_passages(r: TrialRecord) -> list[tuple[str, str]]:
    """(heading, text) for each passage of the record's registry fields, in GROUP_ORDER."""
    groups = {
        SUMMARY: _summary(r),
        WHO: _who(r),
        NOT_WHO: [NOT_WHO_LEAD, *(_end(f"- {i}") for i in r.exclusion_criteria)] if r.exclusion_criteria else [],
        WHERE: _where(r),
        CONTACT: _contacts(r),
        GROUPS: _groups(r),
        MEASURED: (_outcomes("Main outcome", r.primary_outcomes) + _outcomes("Other outcome", r.secondary_outcomes)
                   + _outcomes("Further outcome", r.other_outcomes)),
        STATUS: _status(r),
        DESIGN: _design(r),
    }
    out = []
    for heading in GROUP_ORDER:
        lines = groups[heading]
        if not lines:
            continue
        # Continuation passages repeat the list's lead line ("People can take part if ...:").
        lead = next((line for line in lines if line.endswith(":") and not line.startswith("- ")), None) \
            if heading in (WHO, NOT_WHO, WHERE) else None
        out += [(heading, text) for text in _pack(lead, lines)]
    return out
