"""Trial entries: Markdown files with YAML front matter, parsed into the typed record; finding the
entry files in folders (what is not an entry is skipped with a note, never silently)."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import DuplicateIdError, EntryError
from .records import TrialRecord

Entry = TrialRecord  # the name the rest of TrialChat uses

# NCT number (NCT + 8 digits) or EU CT number (YYYY-NNNNNN-NN-NN).
TRIAL_ID_RE = re.compile(r"^(NCT\d{8}|\d{4}-\d{6}-\d{2}-\d{2})$")
MAX_ENTRY_BYTES = 1_000_000
# libyaml's parser when PyYAML has it (about 10x faster on 10,000 entries); the same safe constructor.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


TYPE_FIX = "give it the type shown in corpus/trials/ (README: trial record fields)"
FIXES = {
    "enrollment": "write the number of people as a whole number, 0 or more (enrollment: 120)",
    "reference": "write the reference as a whole number, 0 or more",
    "(front matter)": "write ages as a number and a unit between 0 and 125 years (minimum_age: 18 Years), "
                      "the minimum not above the maximum",
}


def unreadable(path: Path, exc: OSError) -> EntryError:
    return EntryError(path, "(file)", f"cannot be read ({exc.strerror or exc})",
                      f"make it readable (chmod a+r {Path(path).name}) or move it out of the corpus folder")


def too_deep(path: Path) -> EntryError:
    return EntryError(path, "(file)", "is nested too deeply to read",
                      "an entry is a flat record; export or write it again")


def read_bytes(path: Path, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes; an OS error is an EntryError that says how to fix it."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise unreadable(path, exc) from None


def parse_entry(path: Path) -> Entry:
    """Parse one Markdown entry; raise EntryError naming the file, the field and the fix."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise unreadable(path, exc) from None
    if size > MAX_ENTRY_BYTES:
        raise EntryError(
            path, "(file)", f"the file is {size:,} bytes, over the {MAX_ENTRY_BYTES:,}-byte limit",
            "an entry is a short summary; trim it or split it",
        )
    raw = read_bytes(path, MAX_ENTRY_BYTES)  # read before the empty check: some unreadable files stat as empty
    if not raw:
        raise EntryError(path, "(file)", "the file is empty", "add YAML front matter and sections, or delete it")
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
    except RecursionError:
        raise too_deep(path) from None
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
        raise EntryError(path, field, err["msg"].lower(), FIXES.get(field.split(".")[0], TYPE_FIX)) from None
    except RecursionError:
        raise too_deep(path) from None


ENTRY_SUFFIXES = (".md", ".json")  # Markdown entries; ClinicalTrials.gov API v2 study records
# Files that sit beside entries in a folder but are not entries (case-insensitive stem).
NOT_ENTRIES = re.compile(r"^(readme|sources?|license|licence|changelog|contributing|notes?|index|todo)\b", re.I)


@dataclass
class Skipped:
    """A file in a corpus folder that is not an entry: one note line, not an error."""

    path: Path
    reason: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: skipped, {self.reason}. Fix: {self.fix}"


def _loop(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 raises this for a symlink loop
        return True
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _walk(folder: Path, out: list, visited: set[Path]) -> None:
    real = folder.resolve()
    if real in visited:
        out.append(Skipped(folder, "a link back to a folder already read (a symlink loop)",
                           "remove the link if it is a mistake"))
        return
    visited.add(real)
    try:
        children = sorted(folder.iterdir())
    except OSError as exc:
        out.append(EntryError(folder, "(folder)", f"cannot be read ({exc.strerror or exc})",
                              "make it readable (chmod a+rx) or leave it out"))
        return
    for child in children:
        named_like_entry = child.suffix.lower() in ENTRY_SUFFIXES
        if child.name.startswith("."):
            continue  # hidden files: editor and system files
        if child.is_symlink() and _loop(child):
            if named_like_entry:
                out.append(EntryError(child, "(file)", "is a symlink loop",
                                      "point the link at the entry file or remove it"))
            else:
                out.append(Skipped(child, "a symlink loop", "remove the link"))
            continue
        if child.is_symlink() and not child.exists():
            item = EntryError(child, "(file)", "is a link to a file that does not exist",
                              "point the link at the entry file or remove it")
            out.append(item if named_like_entry else Skipped(child, "a broken link", "remove the link"))
            continue
        if child.is_dir():
            if named_like_entry:
                out.append(EntryError(child, "(file)", "is a folder named like an entry; its files were not read",
                                      "rename the folder (entries are files) or move the entry files out of it"))
            else:
                _walk(child, out, visited)
        elif not named_like_entry:
            out.append(Skipped(child, "not a trial entry (only .md and .json files are read)",
                               "move it out of the corpus folder to silence this note"))
        elif NOT_ENTRIES.match(child.stem):
            out.append(Skipped(child, "a notes file, not a trial entry",
                               "move it out of the corpus folder to silence this note"))
        elif not child.is_file():
            out.append(EntryError(child, "(file)", "is not a regular file", "replace it with the entry file"))
        else:
            out.append(child)


def scan(paths: list[Path]) -> list[Path | EntryError | Skipped]:
    """The entry files under ``paths`` in order, with an error or note for everything else."""
    out: list[Path | EntryError | Skipped] = []
    visited: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_symlink() and _loop(path):
            out.append(EntryError(path, "(path)", "is a symlink loop", "pass the real file or folder"))
        elif path.is_dir():
            _walk(path, out, visited)
        elif path.is_file():
            out.append(path)
        elif path.exists():  # a pipe or a device: reading it could block
            out.append(EntryError(path, "(path)", "is not a regular file", "pass the entry file or its folder"))
        else:
            raise EntryError(path, "(path)", "does not exist", "pass an existing file or folder")
    return out


def find_entry_files(paths: list[Path]) -> list[Path]:
    """Entry files under ``paths``: *.md entries and *.json ClinicalTrials.gov records, folders searched."""
    return [item for item in scan(paths) if isinstance(item, Path)]


def read_file(path: Path) -> tuple[list[Entry], list[EntryError]]:
    """The entries in one file: one per Markdown file, any number in a ClinicalTrials.gov JSON file."""
    try:
        if Path(path).suffix.lower() == ".json":
            from .ctgov import load_file  # ctgov imports this module

            return load_file(path)
        return [parse_entry(path)], []
    except EntryError as exc:
        return [], [exc]
    except RecursionError:
        return [], [too_deep(path)]


def iter_entries(paths: list[Path], notes: list | None = None) -> Iterator[tuple[Path, Entry | EntryError]]:
    """Stream (file, entry or error) from disk, one file at a time.

    A repeated id is a DuplicateIdError naming both files; the first file's entry has already been
    yielded, so a caller that stores entries must drop that id (the pipeline does: neither file's
    version replaces what is stored). Files that are not entries go to ``notes`` as Skipped.
    """
    first_file: dict[str, Path] = {}
    for path in scan(paths):
        if isinstance(path, Skipped):
            if notes is not None:
                notes.append(path)
            continue
        if isinstance(path, EntryError):
            yield Path(path.path), path
            continue
        entries, errors = read_file(path)
        for error in errors:
            yield path, error
        for entry in entries:
            if entry.id in first_file:
                yield path, DuplicateIdError(path, first_file[entry.id], entry.id)
                continue
            first_file[entry.id] = path
            yield path, entry


def load_entries(paths: list[Path]) -> tuple[list[Entry], list[EntryError]]:
    """Parse every entry; collect errors instead of stopping, and report duplicate ids."""
    entries: list[Entry] = []
    errors: list[EntryError] = []
    for _, item in iter_entries(paths):
        (errors if isinstance(item, EntryError) else entries).append(item)
    return entries, errors
