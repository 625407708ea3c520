"""Trial entries: Markdown files with YAML front matter, parsed into a typed model."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import EntryError

# NCT number (NCT + 8 digits) or EU CT number (YYYY-NNNNNN-NN-NN).
TRIAL_ID_RE = re.compile(r"^(NCT\d{8}|\d{4}-\d{6}-\d{2}-\d{2})$")
MAX_ENTRY_BYTES = 1_000_000
# libyaml's parser when PyYAML has it (about 10x faster on 10,000 entries); the same safe constructor.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Entry(BaseModel):
    """The structured fields of one trial entry; body sections hold the prose."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="NCT number or EU CT number, exactly as the source writes it.")
    reference: int | None = Field(default=None, description="Reference number in the source overview.")
    title: str
    short_name: str = Field(description="Plain nickname used in answers, e.g. 'kidney lupus study'.")
    conditions: list[str]
    phase: str
    enrollment: int | None = None
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
    sections: dict[str, str] = Field(default_factory=dict, description="Body sections by heading.")

    @property
    def label(self) -> str:
        return f"{self.short_name} ({self.id})"

    @property
    def placebo_controlled(self) -> bool:
        return self.comparator == "placebo" or "placebo-controlled" in self.design

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def split_front_matter(text: str) -> tuple[str, str] | None:
    match = re.match(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", text, re.S)
    return (match.group(1), match.group(2)) if match else None


def split_sections(body: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    heading = None
    for line in body.splitlines():
        found = re.match(r"^##\s+(.+?)\s*$", line)
        if found:
            heading = found.group(1)
            sections[heading] = ""
        elif heading is not None:
            sections[heading] = (sections[heading] + "\n" + line).strip()
    return {name: text for name, text in sections.items() if text}


def parse_entry(path: Path) -> Entry:
    """Parse one Markdown entry; raise EntryError naming the file, the field and the fix."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise EntryError(path, "(file)", "the file is empty", "add YAML front matter and sections, or delete it")
    if size > MAX_ENTRY_BYTES:
        raise EntryError(
            path, "(file)", f"the file is {size:,} bytes, over the {MAX_ENTRY_BYTES:,}-byte limit",
            "an entry is a short summary; trim it or split it",
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise EntryError(path, "(file)", "the file is binary", "entries are UTF-8 Markdown; remove this file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EntryError(
            path, "(file)", f"byte {exc.start} is not valid UTF-8", "re-save the file as UTF-8"
        ) from None
    parts = split_front_matter(text.lstrip("\ufeff"))
    if parts is None:
        raise EntryError(
            path, "(front matter)", "no YAML front matter found",
            "start the file with a '---' line, the fields, and another '---' line",
        )
    try:
        fields = yaml.load(parts[0], Loader=_YAML_LOADER)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise EntryError(path, "(front matter)", f"invalid YAML{where}", "fix the YAML syntax") from None
    if not isinstance(fields, dict):
        raise EntryError(path, "(front matter)", "front matter is not a mapping", "write 'field: value' lines")
    if "id" not in fields or fields["id"] in (None, ""):
        raise EntryError(path, "id", "missing", "add 'id: NCT12345678' (or an EU CT number)")
    trial_id = str(fields["id"]).strip()
    if not TRIAL_ID_RE.match(trial_id):
        raise EntryError(
            path, "id", f"'{trial_id}' is not an NCT or EU CT number",
            "use NCT followed by 8 digits, or YYYY-NNNNNN-NN-NN",
        )
    fields["id"] = trial_id
    if "sections" in fields:
        raise EntryError(path, "sections", "is not a front-matter field", "write sections as '## Heading' text")
    fields["sections"] = split_sections(parts[1])
    if not fields["sections"]:
        raise EntryError(path, "(body)", "no '## ' sections", "add at least one '## Summary' section")
    try:
        return Entry.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(front matter)"
        if err["type"] == "extra_forbidden":
            raise EntryError(path, field, "is not a known field", f"remove it or rename it; known fields: "
                             f"{', '.join(f for f in Entry.model_fields if f != 'sections')}") from None
        if err["type"] == "missing":
            raise EntryError(path, field, "missing", f"add '{field}:' to the front matter") from None
        raise EntryError(path, field, err["msg"].lower(), "give it the type shown in corpus/trials/") from None


ENTRY_SUFFIXES = (".md", ".json")  # Markdown entries; ClinicalTrials.gov API v2 study records


def find_entry_files(paths: list[Path]) -> list[Path]:
    """Entry files under ``paths``: *.md entries and *.json ClinicalTrials.gov records, folders searched."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in ENTRY_SUFFIXES and p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise EntryError(path, "(path)", "does not exist", "pass an existing file or folder")
    return files


def read_file(path: Path) -> tuple[list[Entry], list[EntryError]]:
    """The entries in one file: one per Markdown file, any number in a ClinicalTrials.gov JSON file."""
    try:
        if Path(path).suffix.lower() == ".json":
            from .ctgov import load_file  # ctgov imports this module

            return load_file(path)
        return [parse_entry(path)], []
    except EntryError as exc:
        return [], [exc]


def iter_entries(paths: list[Path]) -> Iterator[tuple[Path, Entry | EntryError]]:
    """Stream (file, entry or error) from disk, one file at a time; a repeated id is an error."""
    first_file: dict[str, Path] = {}
    for path in find_entry_files(paths):
        entries, errors = read_file(path)
        for error in errors:
            yield path, error
        for entry in entries:
            if entry.id in first_file:
                yield path, EntryError(path, "id", f"'{entry.id}' is also used by {first_file[entry.id]}",
                                       "give each trial one file; remove or rename the duplicate")
                continue
            first_file[entry.id] = path
            yield path, entry


def load_entries(paths: list[Path]) -> tuple[list[Entry], list[EntryError]]:
    """Parse every entry; collect errors instead of stopping, and reject duplicate ids."""
    entries: list[Entry] = []
    errors: list[EntryError] = []
    for _, item in iter_entries(paths):
        (errors if isinstance(item, EntryError) else entries).append(item)
    return entries, errors
