"""One typed trial record that both sources fill: Markdown front matter and ClinicalTrials.gov v2 JSON.

The first block of fields is what the answer engine reads today (short name, population, ...). The
registry block keeps everything patients ask about a registry record: registry codes are stored as
the registry writes them (RECRUITING, PHASE2) and put into words only when passages are written
(ingest/registry_words.yaml); free text keeps its own capitalisation.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .words import age_years, max_age_years

Count = Annotated[int, Field(strict=True, ge=0)]  # strict: `true` is not 1 person, "12" is not a number
# YAML reads an unquoted 2026-01-05 as a date; the record keeps dates as the text the registry uses.
DateText = Annotated[str, BeforeValidator(lambda v: v.isoformat() if isinstance(v, datetime.date) else v)]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DateInfo(Part):
    date: DateText = Field(description="As the registry writes it: YYYY-MM or YYYY-MM-DD.")
    type: str | None = Field(default=None, description="ACTUAL or ESTIMATED.")


class Arm(Part):
    label: str
    type: str | None = Field(default=None, description="EXPERIMENTAL, PLACEBO_COMPARATOR, ...")
    description: str | None = None
    intervention_names: list[str] = Field(default_factory=list)


class Intervention(Part):
    type: str | None = Field(default=None, description="DRUG, DEVICE, BEHAVIORAL, ...")
    name: str
    other_names: list[str] = Field(default_factory=list)
    description: str | None = Field(default=None, description="Doses and routes as written.")
    arm_labels: list[str] = Field(default_factory=list)


class Outcome(Part):
    measure: str
    time_frame: str | None = None
    description: str | None = None


class Location(Part):
    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    status: str | None = Field(default=None, description="The site's recruitment status, e.g. RECRUITING.")


class Contact(Part):
    """A study-wide contact the registry lists for people who want to take part."""
    name: str | None = None
    role: str | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


class Provenance(Part):
    source: str = Field(description="Where the facts come from, e.g. a registry or an overview document.")
    file: str | None = None
    record: str | None = Field(default=None, description="The registry record or the reference in the source.")
    version_date: DateText | None = None
    note: str | None = None


class TrialRecord(BaseModel):
    """The structured fields of one trial; ``sections`` hold written prose by heading."""

    model_config = ConfigDict(extra="forbid")

    # -- fields the answer engine reads --------------------------------------------------------------
    id: str = Field(description="NCT number or EU CT number, exactly as the source writes it.")
    reference: Count | None = Field(default=None, description="Reference number in the source overview.")
    title: str
    short_name: str = Field(description="Plain nickname used in answers, e.g. 'knee surgery study'.")
    conditions: list[str]
    phase: str
    enrollment: Count | None = None
    population: str
    ages: str | None = None
    includes_children: bool | None = None
    design: list[str] = Field(default_factory=list)
    intervention: str | None = None
    route: str | None = None
    comparator: str | None = None
    primary_endpoint: str | None = None
    primary_endpoint_timepoint: str | None = None
    status: str | None = None
    source: str
    # -- the registry's fields -----------------------------------------------------------------------
    nct_id: str | None = None
    other_ids: list[str] = Field(default_factory=list, description="Sponsor and other registry ids.")
    acronym: str | None = None
    brief_title: str | None = None
    official_title: str | None = None
    brief_summary: str | None = None
    keywords: list[str] = Field(default_factory=list)
    mesh_conditions: list[str] = Field(default_factory=list)
    mesh_interventions: list[str] = Field(default_factory=list)
    mesh_ancestors: list[str] = Field(default_factory=list, description="Broader MeSH terms of the conditions.")
    study_type: str | None = None
    phases: list[str] = Field(default_factory=list)
    overall_status: str | None = None
    last_known_status: str | None = None
    why_stopped: str | None = None
    start_date: DateInfo | None = None
    primary_completion_date: DateInfo | None = None
    completion_date: DateInfo | None = None
    enrollment_type: str | None = Field(default=None, description="ACTUAL or ESTIMATED.")
    sex: str | None = Field(default=None, description="ALL, FEMALE or MALE.")
    minimum_age: str | None = Field(default=None, description="As written, e.g. '18 Years'.")
    maximum_age: str | None = None
    minimum_age_years: float | None = None
    maximum_age_years: float | None = None
    std_ages: list[str] = Field(default_factory=list, description="CHILD, ADULT, OLDER_ADULT.")
    healthy_volunteers: bool | None = None
    allocation: str | None = None
    intervention_model: str | None = None
    masking: str | None = None
    who_masked: list[str] = Field(default_factory=list)
    primary_purpose: str | None = None
    observational_model: str | None = None
    time_perspective: str | None = None
    arms: list[Arm] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    primary_outcomes: list[Outcome] = Field(default_factory=list)
    secondary_outcomes: list[Outcome] = Field(default_factory=list)
    other_outcomes: list[Outcome] = Field(default_factory=list)
    inclusion_criteria: list[str] = Field(default_factory=list)
    exclusion_criteria: list[str] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list, description="The registry's central contacts.")
    sponsor: str | None = None
    collaborators: list[str] = Field(default_factory=list)
    provenance: Provenance | None = None
    sections: dict[str, str] = Field(default_factory=dict, description="Body sections by heading.")

    @model_validator(mode="after")
    def _sane_ages(self) -> TrialRecord:
        """Ages as numbers; an age no trial could have is an error in the file, not a fact."""
        oldest = max_age_years()
        for side in ("minimum", "maximum"):
            text = getattr(self, f"{side}_age")
            if text is None:
                continue
            years = age_years(text)
            if years is None:
                raise ValueError(f"{side}_age '{text}' is not a number and a unit like '18 Years'")
            if years > oldest:
                raise ValueError(f"{side}_age '{text}' is over {oldest:g} years")
            given = getattr(self, f"{side}_age_years")
            if given is not None and abs(given - years) > 1e-3:
                raise ValueError(f"{side}_age_years {given} does not match {side}_age '{text}'")
            setattr(self, f"{side}_age_years", years)
        for side in ("minimum", "maximum"):
            years = getattr(self, f"{side}_age_years")
            if years is not None and not 0 <= years <= oldest:
                raise ValueError(f"{side}_age_years {years} is not between 0 and {oldest:g}")
        low, high = self.minimum_age_years, self.maximum_age_years
        if low is not None and high is not None and low > high:
            raise ValueError(f"minimum age ({low:g} years) is above maximum age ({high:g} years)")
        return self

    @property
    def label(self) -> str:
        return f"{self.short_name} ({self.id})"

    @property
    def placebo_controlled(self) -> bool:
        return self.comparator == "placebo" or "placebo-controlled" in self.design

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


ENGINE_FIELDS = tuple(list(TrialRecord.model_fields)[: list(TrialRecord.model_fields).index("nct_id")])
