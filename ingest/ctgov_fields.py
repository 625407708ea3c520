"""The registry block of a TrialRecord from one ClinicalTrials.gov API v2 study, kept as written.

Codes stay codes (RECRUITING, PHASE2); free text keeps its capitalisation; the registry's Markdown
escapes are undone before this runs (ctgov.py). Values of the wrong type are passed on, so the
record's validation names the field instead of the value being dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

BULLET = re.compile(r"^(\s*)(?:[*\-\u2022+]|\d{1,3}[.)]|[a-zA-Z][.)])\s+(.*\S)\s*$")
CRITERIA_HEADING = re.compile(
    r"^\W*(?:key\s+|main\s+|general\s+)?(inclusion|exclusion)\s+criteria\b[^.]{0,40}:?\s*$", re.I)


def _dig(data, *keys):
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _names(items, key: str) -> list:
    return [item.get(key) for item in _list(items) if isinstance(item, dict) and item.get(key) is not None]


def _date(struct):
    if not isinstance(struct, dict) or not struct.get("date"):
        return None
    return {"date": struct.get("date"), "type": struct.get("type")}


def _clean(item: str) -> str:
    return " ".join(item.split()).rstrip(";,").strip()


def criteria(text) -> tuple[list[str], list[str]]:
    """Eligibility text -> (inclusion items, exclusion items), each item as written.

    Lines under an 'Exclusion Criteria' heading are exclusions, the rest inclusions; a bullet indented
    deeper than the list's own bullets belongs to the item above it (its sub-points)."""
    if not isinstance(text, str):
        return [], []
    lists: dict[str, list[list]] = {"inclusion": [], "exclusion": []}
    mode = "inclusion"
    base_indent: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        heading = CRITERIA_HEADING.match(line.strip())
        if heading and len(line.split()) <= 8:
            mode = heading.group(1).lower()
            continue
        bullet = BULLET.match(line)
        items = lists[mode]
        if bullet:
            indent = len(bullet.group(1).expandtabs(4))
            base = base_indent.setdefault(mode, indent)
            if indent > base and items:
                items[-1].append(bullet.group(2))
                continue
            items.append([bullet.group(2)])
        else:
            items.append([line.strip()])
    return tuple(  # type: ignore[return-value]
        [_clean(" ".join(parts)) for parts in lists[kind] if _clean(" ".join(parts))]
        for kind in ("inclusion", "exclusion"))


def registry_fields(study: dict, where: str) -> dict:
    """The TrialRecord fields of the registry block, from the study's protocol and derived sections."""
    protocol = study["protocolSection"]
    ident = protocol.get("identificationModule") or {}
    status = protocol.get("statusModule") or {}
    design = protocol.get("designModule") or {}
    info = design.get("designInfo") or {}
    eligibility = protocol.get("eligibilityModule") or {}
    arms = protocol.get("armsInterventionsModule") or {}
    outcomes = protocol.get("outcomesModule") or {}
    sponsors = protocol.get("sponsorCollaboratorsModule") or {}
    derived = study.get("derivedSection") or {}
    inclusion, exclusion = criteria(eligibility.get("eligibilityCriteria"))
    other_ids = [_dig(ident, "orgStudyIdInfo", "id"), *_names(ident.get("secondaryIdInfos"), "id")]
    version = _dig(derived, "miscInfoModule", "versionHolder") or _dig(status, "lastUpdatePostDateStruct", "date")

    def outcome_list(key: str) -> list[dict]:
        return [{"measure": o.get("measure"), "time_frame": o.get("timeFrame"), "description": o.get("description")}
                for o in _list(outcomes.get(key)) if isinstance(o, dict) and o.get("measure")]

    return {
        "nct_id": ident.get("nctId"),
        "other_ids": list(dict.fromkeys(i for i in other_ids if i)),
        "acronym": ident.get("acronym") or None,
        "brief_title": ident.get("briefTitle"),
        "official_title": ident.get("officialTitle"),
        "brief_summary": _dig(protocol, "descriptionModule", "briefSummary"),
        "keywords": _list(_dig(protocol, "conditionsModule", "keywords")),
        "mesh_conditions": _names(_dig(derived, "conditionBrowseModule", "meshes"), "term"),
        "mesh_interventions": _names(_dig(derived, "interventionBrowseModule", "meshes"), "term"),
        "mesh_ancestors": _names(_dig(derived, "conditionBrowseModule", "ancestors"), "term"),
        "study_type": design.get("studyType"),
        "phases": _list(design.get("phases")),
        "overall_status": status.get("overallStatus"),
        "last_known_status": status.get("lastKnownStatus"),
        "why_stopped": status.get("whyStopped"),
        "start_date": _date(status.get("startDateStruct")),
        "primary_completion_date": _date(status.get("primaryCompletionDateStruct")),
        "completion_date": _date(status.get("completionDateStruct")),
        "enrollment_type": _dig(design, "enrollmentInfo", "type"),
        "sex": eligibility.get("sex"),
        "minimum_age": eligibility.get("minimumAge"),
        "maximum_age": eligibility.get("maximumAge"),
        "std_ages": _list(eligibility.get("stdAges")),
        "healthy_volunteers": eligibility.get("healthyVolunteers"),
        "allocation": info.get("allocation"),
        "intervention_model": info.get("interventionModel"),
        "masking": _dig(info, "maskingInfo", "masking"),
        "who_masked": _list(_dig(info, "maskingInfo", "whoMasked")),
        "primary_purpose": info.get("primaryPurpose"),
        "observational_model": info.get("observationalModel"),
        "time_perspective": info.get("timePerspective"),
        "arms": [{"label": a.get("label"), "type": a.get("type"), "description": a.get("description"),
                  "intervention_names": _list(a.get("interventionNames"))}
                 for a in _list(arms.get("armGroups")) if isinstance(a, dict)],
        "interventions": [{"type": i.get("type"), "name": i.get("name"), "other_names": _list(i.get("otherNames")),
                           "description": i.get("description"), "arm_labels": _list(i.get("armGroupLabels"))}
                          for i in _list(arms.get("interventions")) if isinstance(i, dict)],
        "primary_outcomes": outcome_list("primaryOutcomes"),
        "secondary_outcomes": outcome_list("secondaryOutcomes"),
        "other_outcomes": outcome_list("otherOutcomes"),
        "inclusion_criteria": inclusion,
        "exclusion_criteria": exclusion,
        "locations": [{k: loc.get(k) for k in ("facility", "city", "state", "zip", "country", "status")}
                      for loc in _list(_dig(protocol, "contactsLocationsModule", "locations"))
                      if isinstance(loc, dict)],
        "contacts": [{"name": c.get("name"), "role": c.get("role"), "phone": c.get("phone"),
                      "phone_ext": c.get("phoneExt"), "email": c.get("email")}
                     for c in _list(_dig(protocol, "contactsLocationsModule", "centralContacts"))
                     if isinstance(c, dict) and (c.get("phone") or c.get("email"))],
        "sponsor": _dig(sponsors, "leadSponsor", "name"),
        "collaborators": _names(sponsors.get("collaborators"), "name"),
        "provenance": {"source": "ClinicalTrials.gov API v2", "file": Path(where.split(" [")[0]).name,
                       "record": ident.get("nctId"), "version_date": version},
    }


def unescape_all(value, undo):
    """Every string in a JSON value passed through ``undo``; depth is bounded by the JSON parser."""
    if isinstance(value, str):
        return undo(value)
    if isinstance(value, list):
        return [unescape_all(v, undo) for v in value]
    if isinstance(value, dict):
        return {k: unescape_all(v, undo) for k, v in value.items()}
    return value
