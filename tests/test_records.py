"""Trial records keep everything patients ask about: every registry field is stored and in a passage.

Two registry corpora: the 14 real ClinicalTrials.gov records in ../shared/ctgov-real (read from there,
never copied) and the synthetic registry fixtures in tests/fixtures/registry. The walker below reads the
raw JSON on its own (not through ingest/) and checks each value against the stored record and the
stored passages.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.chunks import chunk_entry
from ingest.entries import load_entries
from ingest.passages import GROUP_ORDER, MAX_PASSAGE_WORDS, NOT_WHO_LEAD
from ingest.records import ENGINE_FIELDS
from ingest.settings import PROJECT_ROOT, Settings
from ingest.store import Store
from ingest.words import age_years, plain, unescape
from ui.cli import main

REAL = (PROJECT_ROOT / ".." / "shared" / "ctgov-real").resolve()
SYNTHETIC = Path(__file__).parent / "fixtures" / "registry"
CORPUS = PROJECT_ROOT / "corpus" / "trials"
LEADS = re.compile(re.escape(NOT_WHO_LEAD) + r"|People can take part if they meet these rules:"
                   r"|The study lists \d+ sites?[^:\n]*:")
CRITERIA_HEADING = re.compile(r"^(key |main )?(inclusion|exclusion) criteria\b", re.I)


def norm(text) -> str:
    return " ".join(unescape(str(text)).split())


def studies(folder: Path) -> list[tuple[str, dict]]:
    out = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for study in data.get("studies", [data]) if isinstance(data, dict) else data:
            out.append((study["protocolSection"]["identificationModule"]["nctId"], study))
    return out


def dig(data, *keys):
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def expected(study: dict) -> list[tuple[str, object, list[str]]]:
    """(record field, value the record must hold, texts a passage must hold) for every field present."""
    p = study["protocolSection"]
    ident, status, design = p.get("identificationModule", {}), p.get("statusModule", {}), p.get("designModule", {})
    info, elig = design.get("designInfo", {}), p.get("eligibilityModule", {})
    arms, outcomes = p.get("armsInterventionsModule", {}), p.get("outcomesModule", {})
    sponsors, derived = p.get("sponsorCollaboratorsModule", {}), study.get("derivedSection", {})
    out: list[tuple[str, object, list[str]]] = []

    def add(field, value, *texts):
        if value not in (None, [], ""):
            out.append((field, value, [norm(t) for t in texts if t not in (None, "")]))

    add("nct_id", ident.get("nctId"), ident.get("nctId"))
    for other in [dig(ident, "orgStudyIdInfo", "id"), *[s.get("id") for s in ident.get("secondaryIdInfos", [])]]:
        add("other_ids", other, other)
    add("acronym", ident.get("acronym"), ident.get("acronym"))
    add("brief_title", norm(ident.get("briefTitle", "")), ident.get("briefTitle"))
    add("official_title", norm(ident.get("officialTitle", "")), ident.get("officialTitle"))
    for key, field in (("conditions", "conditions"), ("keywords", "keywords")):
        for value in dig(p, "conditionsModule", key) or []:
            add(field, norm(value), value)
    for module, field in (("conditionBrowseModule", "mesh_conditions"), ("interventionBrowseModule",
                                                                          "mesh_interventions")):
        for mesh in dig(derived, module, "meshes") or []:
            add(field, mesh["term"], mesh["term"])
    for mesh in dig(derived, "conditionBrowseModule", "ancestors") or []:
        add("mesh_ancestors", mesh["term"], mesh["term"])
    add("study_type", design.get("studyType"), plain("study_type", design.get("studyType")))
    for phase in design.get("phases") or []:
        add("phases", phase, plain("phase", phase))
    for key in ("overallStatus", "lastKnownStatus"):
        field = "overall_status" if key == "overallStatus" else "last_known_status"
        add(field, status.get(key), status.get(key) and plain("overall_status", status[key]))
    add("why_stopped", norm(status.get("whyStopped", "")), status.get("whyStopped"))
    for key, field in (("startDateStruct", "start_date"), ("primaryCompletionDateStruct", "primary_completion_date"),
                       ("completionDateStruct", "completion_date")):
        when = status.get(key) or {}
        add(field + ".date", when.get("date"), when.get("date"))
        kind = when.get("type")
        add(field + ".type", kind, kind and f"{when['date']} ({plain('date_type', kind)})")
    count, kind = dig(design, "enrollmentInfo", "count"), dig(design, "enrollmentInfo", "type")
    add("enrollment", count, f"Number of people: {count}")
    add("enrollment_type", kind, kind and plain("enrollment_type", kind))
    add("sex", elig.get("sex"), elig.get("sex") and plain("sex", elig["sex"]))
    for key, field in (("minimumAge", "minimum_age_years"), ("maximumAge", "maximum_age_years")):
        years = age_years(elig.get(key))
        add(field, years, elig.get(key) and elig[key].lower())
    for age in elig.get("stdAges") or []:
        add("std_ages", age, plain("std_age", age))
    if "healthyVolunteers" in elig:
        add("healthy_volunteers", elig["healthyVolunteers"],
            f"Healthy volunteers: {'accepted' if elig['healthyVolunteers'] else 'not accepted'}")
    for key, field, kind in (("allocation", "allocation", "allocation"), ("interventionModel", "intervention_model",
                             "intervention_model"), ("primaryPurpose", "primary_purpose", "primary_purpose"),
                             ("observationalModel", "observational_model", "observational_model"),
                             ("timePerspective", "time_perspective", "time_perspective")):
        add(field, info.get(key), info.get(key) and plain(kind, info[key]))
    masking = dig(info, "maskingInfo", "masking")
    add("masking", masking, masking and plain("masking", masking))
    for who in dig(info, "maskingInfo", "whoMasked") or []:
        add("who_masked", who, plain("who_masked", who))
    for arm in arms.get("armGroups") or []:
        add("arms.label", norm(arm["label"]), arm["label"], arm.get("type") and plain("arm_type", arm["type"]),
            arm.get("description"))
    for item in arms.get("interventions") or []:
        add("interventions.name", norm(item["name"]), item["name"], item.get("description"),
            *(item.get("otherNames") or []), item.get("type") and plain("intervention_type", item["type"]))
    for key, field in (("primaryOutcomes", "primary_outcomes"), ("secondaryOutcomes", "secondary_outcomes"),
                       ("otherOutcomes", "other_outcomes")):
        for outcome in outcomes.get(key) or []:
            add(field + ".measure", norm(outcome["measure"]), outcome["measure"], outcome.get("timeFrame"),
                outcome.get("description"))
    for line in (elig.get("eligibilityCriteria") or "").splitlines():
        text = re.sub(r"^\s*(?:[*\-\u2022+]|\d{1,3}[.)]|[a-zA-Z][.)])\s+", "", line).strip().rstrip(";,")
        if text and not CRITERIA_HEADING.match(re.sub(r"^\W+", "", text)):
            add("criteria", norm(text), text)
    for site in dig(p, "contactsLocationsModule", "locations") or []:
        add("locations.facility", site.get("facility"), site.get("facility"), site.get("city"), site.get("state"),
            site.get("country"), site.get("status") and plain("site_status", site["status"]))
    for contact in dig(p, "contactsLocationsModule", "centralContacts") or []:
        if contact.get("phone") or contact.get("email"):
            add("contacts.phone", contact.get("phone"), contact.get("name"), contact.get("phone"))
            add("contacts.email", contact.get("email"), contact.get("email"))
    add("sponsor", dig(sponsors, "leadSponsor", "name"), dig(sponsors, "leadSponsor", "name"))
    for collaborator in sponsors.get("collaborators") or []:
        add("collaborators", collaborator["name"], collaborator["name"])
    version = dig(derived, "miscInfoModule", "versionHolder")
    add("provenance.version_date", version, version)
    return out


def record_has(record: dict, field: str, value) -> bool:
    """Whether the stored record (as JSON) holds ``value`` under ``field``."""
    if field == "criteria":
        return value in norm(" ".join(record["inclusion_criteria"] + record["exclusion_criteria"]))
    head, _, rest = field.partition(".")
    got = record.get(head)
    if rest:
        items = got if isinstance(got, list) else [got]
        return any(norm(item.get(rest)) == norm(value) for item in items if item)
    if isinstance(got, list):
        return value in [norm(g) if isinstance(g, str) else g for g in got]
    return (norm(got) == norm(value)) if isinstance(value, str) else got == value


@pytest.fixture(scope="module")
def registry_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store holding the shipped corpus, the real records and the synthetic registry corpus."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} (the real registry records) is not on this machine")
    home = tmp_path_factory.mktemp("registry-home")
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", str(CORPUS), str(REAL), str(SYNTHETIC)])
    assert result.exit_code == 0, result.output
    assert "SOURCES.md: skipped" in result.stderr  # a notes file beside the records: a note, not an error
    return home


def stored(home: Path, trial_id: str) -> tuple[dict, list[dict]]:
    store = Store(Settings(home=home))
    passages = store.trial_passages(store.collection(), trial_id)
    facts = next(p for p in passages if p["metadata"].get("entry_json"))
    return json.loads(facts["metadata"]["entry_json"]), passages


def check_every_field(home: Path, trial_id: str, study: dict) -> int:
    record, passages = stored(home, trial_id)
    text = norm(LEADS.sub(" ", " ".join(p["text"] for p in passages)))
    missing_record = [(f, v) for f, v, _ in expected(study) if not record_has(record, f, v)]
    missing_text = [(f, t) for f, _, texts in expected(study) for t in texts if t not in text]
    assert missing_record == [], f"{trial_id}: not in the stored record: {missing_record[:5]}"
    assert missing_text == [], f"{trial_id}: not in any passage: {missing_text[:5]}"
    assert "\\<" not in text and "\\>" not in text
    return len(expected(study))


@pytest.mark.parametrize(("trial_id", "study"), studies(REAL) if REAL.is_dir() else [],
                         ids=lambda value: value if isinstance(value, str) else "")
def test_real_record_every_field_is_stored_and_in_a_passage(registry_home: Path, trial_id, study):
    assert check_every_field(registry_home, trial_id, study) > 20


@pytest.mark.parametrize(("trial_id", "study"), studies(SYNTHETIC), ids=lambda v: v if isinstance(v, str) else "")
def test_synthetic_record_every_field_is_stored_and_in_a_passage(registry_home: Path, trial_id, study):
    assert check_every_field(registry_home, trial_id, study) > 10


def test_synthetic_corpus_has_every_field_kind():
    corpus = studies(SYNTHETIC)
    assert len(corpus) >= 30
    fields = {field.split(".")[0] for _, study in corpus for field, _, _ in expected(study)}
    assert fields >= {"nct_id", "other_ids", "acronym", "brief_title", "official_title", "conditions", "keywords",
                      "mesh_conditions", "mesh_interventions", "study_type", "phases", "overall_status",
                      "why_stopped", "start_date", "completion_date", "enrollment", "enrollment_type", "sex",
                      "minimum_age_years", "std_ages", "healthy_volunteers", "allocation", "masking", "arms",
                      "interventions", "primary_outcomes", "secondary_outcomes", "criteria", "locations", "sponsor",
                      "collaborators"}


def test_passages_are_grouped_readable_and_keep_their_heading(registry_home: Path):
    record, passages = stored(registry_home, "NCT05147467")
    sections = [p["section"] for p in passages]
    assert set(GROUP_ORDER) <= set(sections)
    assert all(len(p["text"].split()) <= MAX_PASSAGE_WORDS + 10 for p in passages if p["section"] in GROUP_ORDER)
    not_who = [p for p in passages if p["section"] == "Who cannot take part"]
    assert len(not_who) > 1 and all(p["text"].startswith(NOT_WHO_LEAD) for p in not_who)
    assert len({p["id"] for p in passages}) == len(passages)


def test_show_prints_sites_exclusions_and_status_in_plain_words(registry_home: Path):
    result = CliRunner().invoke(main, ["--home", str(registry_home), "show", "nct05147467"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "## Where it takes place" in out and "Sun Yat-sen University Cancer Center, Guangzhou" in out
    assert "## Who cannot take part" in out and "Received Bcl-2 inhibitor treatment." in out
    assert "Status: recruiting." in out and "(not yet recruiting)" in out
    assert "RECRUITING" not in out and "PHASE2" not in out and "Phase: Phase 2." in out
    as_json = json.loads(CliRunner().invoke(main, ["--home", str(registry_home), "show", "--json",
                                                   "NCT05147467"]).stdout)
    assert as_json["record"]["overall_status"] == "RECRUITING" and len(as_json["record"]["locations"]) == 11
    assert as_json["passages"][0]["section"] == "Key facts"


def test_show_unknown_trial_is_one_error_line(registry_home: Path):
    result = CliRunner().invoke(main, ["--home", str(registry_home), "show", "NCT00000000"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: no trial NCT00000000")


def test_status_unknown_withdrawn_terminated_and_why_stopped_are_kept(registry_home: Path):
    show = {t: CliRunner().invoke(main, ["--home", str(registry_home), "show", t]).stdout
            for t in ("NCT04175379", "NCT01511679", "NCT01126879")}
    assert "Status: unknown" in show["NCT04175379"] and "Last known status: enrolling by invitation" in show[
        "NCT04175379"]
    assert "Status: withdrawn before anyone took part." in show["NCT01511679"] and "Why it stopped:" in show[
        "NCT01511679"]
    assert "Status: stopped early (terminated)." in show["NCT01126879"]


def test_registry_words_come_from_the_data_file():
    assert plain("overall_status", "ACTIVE_NOT_RECRUITING") == "running, no longer recruiting"
    assert plain("phase", "PHASE2") == "Phase 2"
    assert plain("masking", "QUADRUPLE").startswith("quadruple-blind (")
    assert plain("overall_status", "SOME_NEW_CODE") == "some new code"  # shown, never dropped
    assert age_years("18 Years") == 18 and age_years("6 Months") == 0.5 and age_years("N/A") is None
    assert unescape(r"creatinine \< 1.5 and age \>= 18") == "creatinine < 1.5 and age >= 18"


def test_original_capitalisation_and_unescaped_text_in_passages(tmp_path: Path):
    study = {"_comment": "synthetic test record", "protocolSection": {
        "identificationModule": {"nctId": "NCT09900077", "briefTitle": "Walking After Hip Surgery"},
        "conditionsModule": {"conditions": ["Parkinson Disease"]},
        "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n* Age \\>= 50\n\nExclusion Criteria:"
                                                       "\n\n* eGFR \\< 30\n  * on dialysis\n* Pregnancy",
                              "minimumAge": "50 Years"}}}
    (tmp_path / "s.json").write_text(json.dumps(study), encoding="utf-8")
    [entry], errors = load_entries([tmp_path])
    assert errors == [] and entry.inclusion_criteria == ["Age >= 50"]
    assert entry.exclusion_criteria == ["eGFR < 30 on dialysis", "Pregnancy"]
    text = "\n".join(n.text for n in chunk_entry(entry))
    assert "Conditions: Parkinson Disease." in text and "- eGFR < 30 on dialysis." in text


def test_shipped_entries_get_no_registry_passages_and_keep_their_chunk_ids():
    entries, errors = load_entries([CORPUS])
    assert errors == [] and len(entries) == 10
    for entry in entries:
        ids = [n.id_ for n in chunk_entry(entry)]
        from ingest.chunks import slug

        assert ids == [f"{entry.id}#key-facts"] + [f"{entry.id}#{slug(s)}" for s in entry.sections], ids
        assert entry.provenance is None and entry.overall_status is None and entry.locations == []
        # They hold the overview's facts only, and say which reference of the overview they came from.
        assert entry.source.startswith(f"trials-overview.txt, reference [{entry.reference}]"), entry.source


def test_a_store_of_the_previous_format_is_migrated_at_the_next_ingest(tmp_path: Path):
    from assistant.catalog import Catalog
    from ingest.errors import StoreError
    from ingest.pipeline import run_ingest

    settings = Settings(home=tmp_path / "home")
    folder = tmp_path / "trials"
    folder.mkdir()
    shutil.copy(CORPUS / "NCT05138133.md", folder)
    shutil.copy(PROJECT_ROOT / "tests" / "fixtures" / "ctgov" / "NCT09900001.json", folder)
    run_ingest(settings, [folder])
    store = Store(settings)
    old = store.collection()
    # What the previous release left: chunker c1, key facts without the registry fields.
    got = old.get(include=["metadatas"])
    for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
        if meta.get("entry_json"):
            record = json.loads(meta["entry_json"])
            meta["entry_json"] = json.dumps({k: v for k, v in record.items() if k in ENGINE_FIELDS})
            old.update(ids=[cid], metadatas=[meta])
    old.modify(metadata={**(old.metadata or {}), "chunker": "c1"})
    with pytest.raises(StoreError, match="re-run `trialchat ingest`"):
        Store(settings).collection()
    report = run_ingest(settings, [folder])
    assert report.errors == [] and any("rebuilt" in note for note in report.notes)
    catalog = Catalog.from_store(Store(settings))
    assert catalog.entry("NCT09900001").overall_status == "RECRUITING"
    assert catalog.entry("NCT05138133").enrollment == 336
    assert any(n.metadata["section"] == "Design" for n in catalog.nodes)


# Words of the shipped entries that any trial record may use (statuses, "under the skin", "standard of care").
GENERIC = set("""active added adult adults and blood care children chronic disease diffuse interstitial light
limited lung moderate-to-severe pilot plus primary safety skin standard study syndrome teens therapy with
for the""".split())


def test_ingest_code_names_nothing_of_the_shipped_corpus():
    entries, _ = load_entries([CORPUS])
    names = {e.id for e in entries}
    for e in entries:
        text = " ".join([*e.conditions, e.intervention or "", e.title, e.short_name])
        names |= {w.lower() for w in re.findall(r"[^\W\d_][\w'-]{2,}", text) if w.lower() not in GENERIC}
        names |= {a.lower() for a in re.findall(r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*\b", e.primary_endpoint or "")}
    assert {"lupus", "anifrolumab", "vitiligo", "nephritis", "NCT05138133"} <= names | {"NCT05138133"}
    for path in sorted((PROJECT_ROOT / "ingest").iterdir()):
        if path.suffix in (".py", ".yaml"):
            text = path.read_text(encoding="utf-8").lower()
            found = sorted(n for n in names if re.search(rf"(?<![\w-]){re.escape(n.lower())}(?![\w-])", text))
            assert found == [], f"ingest/{path.name} names {found}"


MARKDOWN_RECORD = """---
id: NCT09900066
title: Synthetic knee study
short_name: knee study
conditions: [Knee Osteoarthritis]
phase: Not applicable
enrollment: 40
enrollment_type: ESTIMATED
population: adults with knee pain
source: synthetic test entry
overall_status: NOT_YET_RECRUITING
minimum_age: 40 Years
sex: FEMALE
exclusion_criteria: [Knee surgery in the last year, Pregnancy]
locations:
  - {facility: Example Clinic, city: Lyon, country: France, status: NOT_YET_RECRUITING}
provenance: {source: clinic trial sheet, file: knee.pdf, version_date: 2026-01-05}
---
## Summary
This synthetic study follows women with knee pain.
"""


def test_markdown_entries_use_the_same_record_fields(tmp_path: Path):
    (tmp_path / "knee.md").write_text(MARKDOWN_RECORD, encoding="utf-8")
    [entry], errors = load_entries([tmp_path])
    assert errors == [] and entry.minimum_age_years == 40 and entry.locations[0].city == "Lyon"
    passages = {n.metadata["section"]: n.text for n in chunk_entry(entry)}
    assert passages["Summary"] == "This synthetic study follows women with knee pain."
    assert "Sex: women only." in passages["Who can take part"] and "Ages: 40 years and older." in passages[
        "Who can take part"]
    assert "- Knee surgery in the last year." in passages["Who cannot take part"]
    assert "Example Clinic, Lyon, France (not yet recruiting)" in passages["Where it takes place"]
    assert "Status: not yet recruiting." in passages["Status and dates"]
    assert "Source: clinic trial sheet, version of 2026-01-05." in passages["Status and dates"]
    bad = MARKDOWN_RECORD.replace("city: Lyon", "city: Lyon, colour: blue")
    (tmp_path / "knee.md").write_text(bad, encoding="utf-8")
    _, [error] = load_entries([tmp_path])
    assert "field 'locations.0.colour'" in str(error) and "Fix:" in str(error)


def test_reingest_of_the_registry_corpora_embeds_nothing(registry_home: Path):
    before = Store(Settings(home=registry_home))
    ids_before = set(before.stored_hashes(before.collection()))
    result = CliRunner().invoke(main, ["--home", str(registry_home), "ingest", str(CORPUS), str(REAL), str(SYNTHETIC)])
    assert result.exit_code == 0 and "0 added, 0 updated" in result.stdout and "(0 chunks embedded)" in result.stdout
    after = Store(Settings(home=registry_home))
    assert set(after.stored_hashes(after.collection())) == ids_before


def test_double_dummy_and_shared_drugs_keep_the_real_comparator(tmp_path: Path):
    def study(nct, arms, interventions):
        return {"_comment": "synthetic test record", "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": "Synthetic arms study"},
            "armsInterventionsModule": {"armGroups": arms, "interventions": interventions}}}

    double_dummy = study("NCT09900081", [{"label": "A", "type": "EXPERIMENTAL"},
                                         {"label": "B", "type": "ACTIVE_COMPARATOR"}],
                         [{"type": "DRUG", "name": "Newdrug", "armGroupLabels": ["A"]},
                          {"type": "DRUG", "name": "Olddrug", "armGroupLabels": ["B"]},
                          {"type": "DRUG", "name": "Placebo matching Olddrug", "armGroupLabels": ["A"]},
                          {"type": "DRUG", "name": "Placebo matching Newdrug", "armGroupLabels": ["B"]}])
    shared = study("NCT09900082", [{"label": "A", "type": "EXPERIMENTAL"},
                                   {"label": "B", "type": "PLACEBO_COMPARATOR"}],
                   [{"type": "DRUG", "name": "Newdrug", "armGroupLabels": ["A"]},
                    {"type": "DRUG", "name": "Placebo", "armGroupLabels": ["B"]},
                    {"type": "DRUG", "name": "Carboplatin", "armGroupLabels": ["A", "B"]}])
    (tmp_path / "studies.json").write_text(json.dumps([double_dummy, shared]), encoding="utf-8")
    entries, errors = load_entries([tmp_path])
    by_id = {e.id: e for e in entries}
    assert errors == [] and by_id["NCT09900081"].comparator == "olddrug"
    assert "placebo-controlled" not in by_id["NCT09900081"].design
    assert by_id["NCT09900082"].comparator == "placebo" and by_id["NCT09900082"].intervention == "newdrug"
    assert "Every group also gets carboplatin." in by_id["NCT09900082"].sections["How the study works"]


def test_site_postcodes_and_the_source_line_name_no_trial(registry_home: Path):
    from assistant.engine import Assistant

    catalog = Assistant(Settings(home=registry_home)).catalog
    # "Source: ClinicalTrials.gov API v2" is in every record; postcodes are in site lines.
    assert not any("api" in doc.entity_terms for doc in catalog.trials.values())
    assert not any({"years", "old"} & doc.entity_terms for doc in catalog.trials.values())
