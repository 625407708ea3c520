"""ClinicalTrials.gov API v2 study records -> the same Entry model and sections as the Markdown entries.

A file may hold one study (``{"protocolSection": ...}``), a JSON array of studies, or a page as the
API returns it (``{"studies": [...], "nextPageToken": ...}``). Fields come from the protocolSection
modules; the body sections are written here as short plain sentences in the style of
corpus/trials/*.md, so the assistant answers an imported study the same way as a written entry.
Unknown keys (``derivedSection``, ``_comment``, ...) are ignored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from .ctgov_fields import registry_fields, unescape_all
from .entries import TRIAL_ID_RE, Entry, read_bytes, too_deep, unreadable
from .errors import EntryError
from .words import at_time, unescape

MAX_JSON_BYTES = 200_000_000  # a page of 1,000 full records is about 50 MB
EXPORT_FIX = "export the study from the ClinicalTrials.gov API v2 (/api/v2/studies/NCT...) with its protocolSection"
SUMMARY, WHO, HOW, MEASURES = "Summary", "Who can take part", "How the study works", "What it measures"

PHASES = {"EARLY_PHASE1": "Early Phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2", "PHASE3": "Phase 3",
          "PHASE4": "Phase 4"}
# overallStatus -> (status field, sentence, past tense?)
STATUS = {
    "COMPLETED": ("completed", "The study is completed.", True),
    "RECRUITING": ("recruiting", "The study is recruiting.", False),
    "NOT_YET_RECRUITING": ("not yet recruiting", "The study is not yet recruiting.", False),
    "ACTIVE_NOT_RECRUITING": ("active, not recruiting", "The study is ongoing but no longer recruiting.", False),
    "ENROLLING_BY_INVITATION": ("enrolling by invitation", "The study is recruiting by invitation only.", False),
    "SUSPENDED": ("suspended", "The study is paused.", False),
    "TERMINATED": ("terminated", "The study was stopped early.", True),
    "WITHDRAWN": ("withdrawn", "The study was withdrawn before anyone took part.", True),
    "UNKNOWN": ("unknown", "The study's status is unknown: its record has not been updated in over two years.",
                False),
}
MASKING = {"NONE": "open-label", "SINGLE": "single-blind", "DOUBLE": "double-blind", "TRIPLE": "double-blind",
           "QUADRUPLE": "double-blind"}
ROUTES = [  # (pattern over intervention and arm descriptions, route field, sentences)
    (r"subcutaneous|\bSC\b|under the skin", "subcutaneous injection",
     "The drug is given as a shot under the skin. Doctors call this a subcutaneous injection."),
    (r"intravenous|\bIV\b|infusion", "intravenous infusion",
     "The drug is given as an infusion, through a drip into a vein. Doctors call this an intravenous infusion."),
    (r"\boral(ly)?\b|tablet|capsule|by mouth", "by mouth", "The drug is a pill or liquid taken by mouth."),
]
ADD_ON = re.compile(r"(in addition to|added to|add-on to|on top of|plus|\+)\s+(the\s+|their\s+)?"
                    r"(standard of care|standard therapy|standard treatment|background therap)", re.I)
TIMEPOINT = re.compile(r"\b(Week|Day|Month|Year)s?\s*(\d+)\b", re.I)
PLAIN_WORD = re.compile(r"(?<!['\u2019-])\b[A-Z][a-z]+\b(?!['\u2019-])")
BULLET = re.compile(r"^\s*(?:[*\-\u2022]|\d+[.)])\s+(.*\S)\s*$")
MAX_RULE_WORDS = 25


def _dig(data: dict, *keys: str):
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _plain_case(name: str) -> str:
    """'Aspirin' -> 'aspirin'; acronyms and mixed case (ABC-123, IgG4) stay as written."""
    if re.fullmatch(r"[A-Z][a-z0-9-]+(?: (?:[A-Z][a-z0-9-]+|[a-z0-9-]+))*", name.strip()):
        return name.strip().lower()
    return name.strip()


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _first_sentence(text: str | None, max_words: int = 35) -> str | None:
    if not text:
        return None
    sentence = re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text.strip()), maxsplit=1)[0]
    if len(sentence.split()) > max_words:
        return None
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def _years(age: str | None) -> float | None:
    found = re.match(r"\s*(\d+(?:\.\d+)?)\s*(year|month|week|day)", age or "", re.I)
    if not found:
        return None
    per_year = {"year": 1, "month": 12, "week": 52, "day": 365}[found.group(2).lower()]
    return float(found.group(1)) / per_year


def _ages(eligibility: dict) -> tuple[str | None, bool | None, str]:
    """(ages field, includes children, the word for the people: adults / children and teens / people)."""
    low, high = eligibility.get("minimumAge"), eligibility.get("maximumAge")
    std = set(eligibility.get("stdAges") or [])
    low_y, high_y = _years(low), _years(high)
    if std:
        children = "CHILD" in std
    elif low_y is not None or high_y is not None:
        children = (low_y or 0) < 18
    else:
        children = None
    if children is False:
        who = "adults"
    elif children and (std == {"CHILD"} or (high_y is not None and high_y < 18)):
        who = "children and teens"
    else:
        who = "people"
    if low and high:
        ages = f"{low} to {high}".lower()
        if low.split()[-1:] == high.split()[-1:]:
            ages = f"{low.split()[0]} to {high}".lower()
    elif low:
        ages = "adults" if who == "adults" and low_y == 18 else f"{low} and older".lower()
    elif high:
        ages = f"up to {high}".lower()
    else:
        ages = "adults" if who == "adults" else None
    return ages, children, who


def _rules(criteria: str | None, limit: int = 3) -> list[str]:
    """The first short inclusion criteria, as plain phrases."""
    if not criteria:
        return []
    inclusion = re.split(r"exclusion criteria", criteria, flags=re.I)[0]
    rules = []
    for line in inclusion.splitlines():
        found = BULLET.match(line)
        if found and len(found.group(1).split()) <= MAX_RULE_WORDS:
            rules.append(_sentence_case(found.group(1)).rstrip(";,"))
        if len(rules) == limit:
            break
    return rules


CONTROL_ARMS = ("PLACEBO_COMPARATOR", "ACTIVE_COMPARATOR", "SHAM_COMPARATOR", "NO_INTERVENTION")


def _arms(arms_module: dict) -> tuple[list[str], str | None, list[str], bool, list[str]]:
    """(tested drugs, comparator, texts about the tested drug, added to standard of care, given to all)."""
    interventions = arms_module.get("interventions") or []
    arms = arms_module.get("armGroups") or []
    control_labels = {a.get("label") for a in arms if a.get("type") in CONTROL_ARMS}
    tested, active, texts, background = [], [], [], []
    for item in interventions:
        name = _plain_case(item.get("name") or "")
        if not name or "placebo" in name.lower():
            continue
        labels = set(item.get("armGroupLabels") or [])
        if labels and labels <= control_labels:
            active.append(name)
        elif labels & control_labels and any(i is not item and not set(i.get("armGroupLabels") or []) & control_labels
                                             for i in interventions):
            background.append(name)  # given in every group: not what is tested
        else:
            tested += [] if name in tested else [name]
            texts.append(item.get("description") or "")
    texts += [a.get("description") or "" for a in arms if a.get("type") not in CONTROL_ARMS]
    # With another drug in the control arm, a placebo only matches it (double-dummy): the drug is the comparator.
    placebo = any(a.get("type") == "PLACEBO_COMPARATOR" for a in arms) or not active and any(
        "placebo" in (i.get("name") or "").lower() for i in interventions)
    comparator = "placebo" if placebo else (_join(active) or None)
    add_on = any(ADD_ON.search(t) for t in texts) or any("standard of care" in t.lower() for t in tested)
    return [t for t in tested if "standard of care" not in t.lower()], comparator, texts, add_on, background


def _sentence_case(text: str) -> str:
    """Title Case record text -> plain case: 'Change in Itch Score' -> 'change in itch score'.

    Only plain capitalised words are lowered; acronyms (ECOG), names with accents, apostrophes
    or hyphens (Crohn's, Guillain-Barré) stay as written.
    """
    return PLAIN_WORD.sub(lambda m: m.group(0).lower(), text.strip()).rstrip(".")


def study_to_entry(study, where: str) -> Entry:
    """One API v2 study record -> Entry; EntryError names ``where``, the field and the fix."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise EntryError(where, "protocolSection", "missing", EXPORT_FIX)
    protocol = study["protocolSection"]
    ident = protocol.get("identificationModule") or {}
    nct_id = str(ident.get("nctId") or "").strip()
    if not nct_id:
        raise EntryError(where, "protocolSection.identificationModule.nctId", "missing",
                         'add the study\'s NCT number, e.g. "nctId": "NCT12345678"')
    if not TRIAL_ID_RE.match(nct_id) or not nct_id.startswith("NCT"):
        raise EntryError(where, "protocolSection.identificationModule.nctId", f"'{nct_id}' is not an NCT number",
                         "use NCT followed by 8 digits")
    status_mod = protocol.get("statusModule") or {}
    design_mod = protocol.get("designModule") or {}
    conditions = [c.strip() for c in _dig(protocol, "conditionsModule", "conditions") or [] if str(c).strip()]
    arms_mod = protocol.get("armsInterventionsModule") or {}
    outcomes = protocol.get("outcomesModule") or {}
    eligibility = protocol.get("eligibilityModule") or {}
    description = protocol.get("descriptionModule") or {}

    status, status_sentence, past = STATUS.get(status_mod.get("overallStatus") or "", (None, None, False))
    phases = [PHASES[p] for p in design_mod.get("phases") or [] if p in PHASES]
    if len(phases) > 1:
        phase = phases[0] + "/" + "/".join(p.split()[-1] for p in phases[1:])
    else:
        phase = phases[0] if phases else "Not applicable"
    observational = design_mod.get("studyType") == "OBSERVATIONAL"
    count = _dig(design_mod, "enrollmentInfo", "count")
    if isinstance(count, float) and count.is_integer() and count >= 0:
        count = int(count)
    elif isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    # Anything else that is set (true, -5, 2.5) is passed on, so validation names the field.
    enrollment = count if count is not None and not isinstance(count, str | dict | list) else None
    planned = _dig(design_mod, "enrollmentInfo", "type") == "ESTIMATED"
    ages, children, who = _ages(eligibility)
    condition_text = _join([_sentence_case(c) for c in conditions[:3]]) or "the condition named in the title"
    # A study open to healthy volunteers (a vaccine, a device test) is not for people who have the condition.
    healthy = eligibility.get("healthyVolunteers") is True
    population = f"{who}, healthy volunteers included ({condition_text})" if healthy else f"{who} with {condition_text}"
    tested, comparator, arm_texts, add_on, background = _arms(arms_mod)
    drug = _join(tested) or None
    info = design_mod.get("designInfo") or {}
    design = []
    if info.get("allocation") == "RANDOMIZED":
        design.append("randomized")
    masking = MASKING.get(_dig(info, "maskingInfo", "masking") or "")
    if masking:
        design.append(masking)
    if comparator == "placebo":
        design.append("placebo-controlled")
    if info.get("interventionModel") == "CROSSOVER":
        design.append("crossover")
    if add_on:
        design.append("add-on to standard of care")
    if observational:
        design.append("observational")
    route_hits = [(field, sentence) for pattern, field, sentence in ROUTES
                  if any(re.search(pattern, t, re.I) for t in arm_texts)]
    primary = [o for o in outcomes.get("primaryOutcomes") or [] if o.get("measure")]
    endpoint = _sentence_case(primary[0]["measure"]) if primary else None
    frame = primary[0].get("timeFrame") if primary else None
    times = TIMEPOINT.findall(frame or "")
    timepoint = f"{times[-1][0].capitalize()} {times[-1][1]}" if times else (
        frame.strip() if frame and len(frame) <= 40 else None)

    # -- the four sections, in the corpus's short sentences ----------------------------------------
    verb = "tested" if past else "tests"
    people = f"{who}, healthy volunteers included. The condition studied is {condition_text}" if healthy else (
        f"{who} with {condition_text}")
    summary = [f"This study {'followed' if past else 'follows'} {people}." if observational
               or not drug else f"This study {verb} {drug} in {people}."]
    summary.append(f"It is a {phase} study." if phases else
                   "It is an observational study, so it has no phase." if observational else
                   "The record does not give a phase.")
    if enrollment is not None:
        summary.append(f"It {'plans to include' if planned else 'included' if past else 'includes'} "
                       f"{enrollment} {who}.")
    if status_sentence:
        summary.append(status_sentence)

    join = [f"This study is for {population}."]
    if ages and ages != "adults":
        join.append(f"People aged {ages} can take part.")
    elif ages is None:
        join.append("The record does not give an age range.")
    sex = eligibility.get("sex")
    if sex in ("FEMALE", "MALE"):
        join.append(f"Only {'women' if sex == 'FEMALE' else 'men'} can take part.")
    if eligibility.get("healthyVolunteers") is True:
        join.append("Healthy volunteers can take part.")
    rules = _rules(eligibility.get("eligibilityCriteria"))
    if rules:
        join.append(f"Rules to join include: {'; '.join(rules)}.")

    how = []
    kind = [d for d in design if d in ("randomized", "double-blind", "single-blind", "crossover")]
    if kind:
        how.append(f"It is a {', '.join(kind)} study.")
    if comparator == "placebo":
        how += [f"It compares {drug or 'the study drug'} with placebo.",
                "A placebo looks like the study drug but has no active drug in it."]
    elif comparator:
        how.append(f"It compares {drug or 'the study drug'} with {comparator}.")
    if "open-label" in design:
        how.append("It is an open-label study. Everyone knows which treatment they get.")
    if add_on:
        how += [f"{(drug or 'The study drug')[0].upper() + (drug or 'The study drug')[1:]} is added to standard "
                "of care.", "Standard of care means the usual treatment already given for the disease."]
    if background and comparator:
        how.append(f"Every group also gets {_join(background)}.")
    groups = arms_mod.get("armGroups") or []
    if len(groups) > 1:
        how.append(f"People are put into one of {len(groups)} groups.")
    how += [sentence for _, sentence in route_hits]
    brief = _first_sentence(description.get("briefSummary"))
    if brief:
        how.append(brief)
    if not how:
        how.append("The record does not describe how the study works.")

    measures = []
    if endpoint:
        measures.append(f"The main result is {endpoint}{at_time(timepoint)}.")
        explain = _first_sentence(primary[0].get("description"), 30)
        if explain:
            measures.append(explain)
        if len(primary) > 1:
            measures.append(f"Other main results are {_join([_sentence_case(o['measure']) for o in primary[1:3]])}.")
    else:
        measures.append("The record does not name a main result.")
    secondary = [o["measure"] for o in outcomes.get("secondaryOutcomes") or [] if o.get("measure")]
    if secondary:
        measures.append(f"Other results include {_join([_sentence_case(m) for m in secondary[:3]])}.")

    acronym = (ident.get("acronym") or "").strip()
    title = (ident.get("briefTitle") or ident.get("officialTitle") or f"Study {nct_id}").strip()
    fields = {
        "id": nct_id,
        "title": title,
        "short_name": f"{acronym or (_sentence_case(conditions[0]) if conditions else nct_id)} study",
        "conditions": conditions,
        "phase": phase,
        "enrollment": enrollment,
        "population": population,
        "ages": ages,
        "includes_children": children,
        "design": design,
        "intervention": drug,
        "route": " and ".join(f for f, _ in route_hits) or None,
        "comparator": comparator,
        "primary_endpoint": endpoint,
        "primary_endpoint_timepoint": timepoint,
        "status": status,
        "source": f"ClinicalTrials.gov API v2 record {nct_id} ({Path(where.split(' [')[0]).name}); modules: "
                  "identification, status, design, conditions, arms and interventions, outcomes, eligibility, "
                  "description, sponsors, locations and central contacts, derived MeSH terms.",
        "sections": {SUMMARY: " ".join(summary), WHO: " ".join(join), HOW: " ".join(how),
                     MEASURES: " ".join(measures)},
        **registry_fields(study, where),
    }
    try:
        return Entry.model_validate(fields)
    except ValidationError as exc:  # a field of an unexpected type in the record
        err = exc.errors()[0]
        field = ".".join(map(str, err["loc"])) or "eligibilityModule"
        fix = {"enrollment": "enrollmentInfo.count must be a whole number of people, 0 or more",
               "eligibilityModule": "give minimumAge/maximumAge as a number and a unit ('18 Years'), "
                                    "the minimum not above the maximum"}.get(field, EXPORT_FIX)
        raise EntryError(where, field, err["msg"].lower(), fix) from None


def load_file(path: Path) -> tuple[list[Entry], list[EntryError]]:
    """Every study in one JSON file; a bad study is an error naming the file and its position."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise unreadable(path, exc) from None
    if size > MAX_JSON_BYTES:
        raise EntryError(path, "(file)", f"the file is {size:,} bytes, over the {MAX_JSON_BYTES:,}-byte limit",
                         "split the export into pages")
    try:
        data = unescape_all(json.loads(read_bytes(path, MAX_JSON_BYTES)), unescape)
    except RecursionError:
        raise too_deep(path) from None
    except UnicodeDecodeError:
        raise EntryError(path, "(file)", "is not UTF-8 JSON", "re-save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise EntryError(path, "(file)", f"invalid JSON at line {exc.lineno} column {exc.colno}",
                         "fix the JSON syntax or export the study again") from None
    if isinstance(data, dict) and "studies" in data and "protocolSection" not in data:
        studies, many = data["studies"], True
        if not isinstance(studies, list):
            raise EntryError(path, "studies", "is not a list", 'write a page as {"studies": [study, ...]}')
    elif isinstance(data, list):
        studies, many = data, True
    else:
        studies, many = [data], False
    entries, errors = [], []
    for i, study in enumerate(studies):
        where = f"{path} [study {i + 1}]" if many else str(path)
        try:
            entries.append(study_to_entry(study, where))
        except EntryError as exc:
            errors.append(exc)
        except RecursionError:
            errors.append(too_deep(where))
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:  # a module of another shape
            errors.append(EntryError(where, "protocolSection", f"has a field of an unexpected type ({exc})",
                                     EXPORT_FIX))
    return entries, errors
