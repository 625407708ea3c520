"""Question sets: JSONL (or YAML) items, validated all at once so one run shows every problem."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import regex
import yaml

from assistant.types import BEHAVIORS
from ingest.entries import TRIAL_ID_RE
from ingest.errors import TrialChatError

FIELDS = ("id", "question", "history", "expect_trials", "expect_facts", "expect_behavior", "category")
REQUIRED = ("id", "question", "expect_behavior")
YAML_SUFFIXES = (".yaml", ".yml")
# Limits that keep one uploaded file from tying up the server: a question set is a few hundred items.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ITEMS = 2000
MAX_PATTERN_CHARS = 500
# YAML aliases are references; a report expands them (a few hundred bytes of nested aliases become
# megabytes). Count the nodes as expanded and refuse a file above this many.
MAX_YAML_NODES = 100_000
# expect_facts patterns run on the `regex` engine with this time limit, so a backtracking pattern
# costs at most this long per answer instead of freezing the server.
FACT_TIMEOUT = 0.25


class DatasetError(TrialChatError):
    """A question set cannot be used; ``problems`` holds one line per problem, each naming its line."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"question set {source} has {count}:\n" + "\n".join(f"  {p}" for p in self.problems))


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    expect_behavior: tuple[str, ...]
    history: tuple[str, ...] = ()
    expect_trials: tuple[str, ...] = ()
    expect_facts: tuple[str, ...] = ()
    line: int | None = None
    category: str = ""  # single_fact, set, comparison, follow_up, no_info, advice, ...: reported apart

    @property
    def primary_behavior(self) -> str:
        """The first acceptable behaviour: the row of the confusion matrix."""
        return self.expect_behavior[0]

    def as_dict(self) -> dict:
        return {
            "id": self.id, "question": self.question, "history": list(self.history),
            "expect_trials": list(self.expect_trials), "expect_facts": list(self.expect_facts),
            "expect_behavior": list(self.expect_behavior), "category": self.category,
        }


@dataclass
class QuestionSet:
    path: Path
    sha256: str
    items: list[EvalItem] = field(default_factory=list)


class _Problems:
    def __init__(self, source: str):
        self.source, self.lines = source, []

    def add(self, line: int | None, name: str | None, problem: str, fix: str) -> None:
        where = f"{self.source} line {line}" if line else self.source
        what = f"field '{name}': {problem}" if name else problem
        self.lines.append(f"{where}: {what}; {fix}")


def _string_list(value, name: str, line: int, problems: _Problems) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(line, name, f"{json.dumps(value)} is not a list of non-empty strings",
                     'write it as ["...", "..."]')
        return None
    return value


def _behaviors(value, line: int, problems: _Problems) -> tuple[str, ...] | None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        problems.add(line, "expect_behavior", f"{json.dumps(value)} is not a behaviour or a list of them",
                     f"use one of {', '.join(BEHAVIORS)}, or a non-empty list of them")
        return None
    unknown = [v for v in values if v not in BEHAVIORS]
    if unknown:
        problems.add(line, "expect_behavior", f"'{unknown[0]}' is not a behaviour",
                     f"use one of {', '.join(BEHAVIORS)}")
        return None
    return tuple(values)


def _item(raw, line: int, problems: _Problems) -> EvalItem | None:
    """Validate one raw item; every problem is recorded, not just the first."""
    if not isinstance(raw, dict):
        problems.add(line, None, "the item is not an object", 'write {"id": ..., "question": ..., ...}')
        return None
    before = len(problems.lines)
    for name in raw:
        if name not in FIELDS:
            problems.add(line, str(name), "is not a known field", f"remove or rename it; known: {', '.join(FIELDS)}")
    for name in REQUIRED:
        if raw.get(name) in (None, "", []):
            problems.add(line, name, "missing", f"add \"{name}\" to the item")
    for name in ("id", "question"):
        if name in raw and raw[name] not in (None, "") and not (isinstance(raw[name], str) and raw[name].strip()):
            problems.add(line, name, f"{json.dumps(raw[name])} is not a non-empty string", "write it in quotes")
    history = _string_list(raw.get("history", []), "history", line, problems)
    trials = _string_list(raw.get("expect_trials", []), "expect_trials", line, problems)
    for trial in trials or []:
        if not TRIAL_ID_RE.match(trial):
            problems.add(line, "expect_trials", f"'{trial}' is not an NCT or EU CT number",
                         "use NCT followed by 8 digits, or YYYY-NNNNNN-NN-NN")
    facts = _string_list(raw.get("expect_facts", []), "expect_facts", line, problems)
    for pattern in facts or []:
        if len(pattern) > MAX_PATTERN_CHARS:
            problems.add(line, "expect_facts", f"a regex of {len(pattern)} characters is too long",
                         f"keep each pattern under {MAX_PATTERN_CHARS} characters")
            continue
        try:
            regex.compile(pattern, regex.IGNORECASE)
        except (regex.error, ValueError) as exc:
            problems.add(line, "expect_facts", f"regex '{pattern}' does not compile: {exc}", "fix the pattern")
    behaviors = _behaviors(raw["expect_behavior"], line, problems) if raw.get("expect_behavior") else None
    category = raw.get("category", "")
    if not isinstance(category, str):
        problems.add(line, "category", f"{json.dumps(category)} is not a string", 'write it as "single_fact"')
    if len(problems.lines) > before:
        return None
    return EvalItem(
        id=raw["id"].strip(), question=raw["question"], expect_behavior=behaviors or (),
        history=tuple(history or ()), expect_trials=tuple(trials or ()), expect_facts=tuple(facts or ()),
        line=line, category=category.strip(),
    )


def _jsonl_records(text: str, problems: _Problems) -> list[tuple[int, object]]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.add(number, None, f"invalid JSON ({exc.msg} at column {exc.colno})",
                         "write one JSON object per line")
    return records


def fact_matches(pattern: str, text: str) -> bool | None:
    """Whether an expect_facts regex matches; None when it ran out of time (counted as not found)."""
    try:
        return regex.search(pattern, text, regex.IGNORECASE, timeout=FACT_TIMEOUT, concurrent=True) is not None
    except TimeoutError:
        return None


def expanded_size(node, limit: int = MAX_YAML_NODES) -> int:
    """Nodes in a composed YAML document with every alias expanded; stops counting past ``limit``."""
    memo: dict[int, int] = {}

    def size(n) -> int:
        if id(n) in memo:
            return memo[id(n)]
        memo[id(n)] = limit + 1  # a node that contains itself expands forever
        total = 1
        if isinstance(n, yaml.SequenceNode):
            children = n.value
        elif isinstance(n, yaml.MappingNode):
            children = [part for pair in n.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        memo[id(n)] = min(total, limit + 1)
        return memo[id(n)]

    return size(node) if node is not None else 0


def _yaml_records(text: str, problems: _Problems) -> list[tuple[int, object]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if expanded_size(node) > MAX_YAML_NODES:
            problems.add(None, None, f"the YAML expands (through anchors and aliases) to more than "
                         f"{MAX_YAML_NODES:,} values", "write the items out without nested aliases")
            return []
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(mark.line + 1 if mark else None, None, "invalid YAML", "fix the YAML syntax")
        return []
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        problems.add(1, None, "the file is not a list of items", "write each item as a '- id: ...' entry")
        return []
    return [(child.start_mark.line + 1, raw) for child, raw in zip(node.value, data, strict=True)]


def parse_items(text: str, source: str = "<question set>", yaml_format: bool = False) -> list[EvalItem]:
    """Parse and validate a whole question set; raise DatasetError listing every problem."""
    problems = _Problems(source)
    records = _yaml_records(text, problems) if yaml_format else _jsonl_records(text, problems)
    items: list[EvalItem] = []
    first_line: dict[str, int] = {}
    for line, raw in records:
        item = _item(raw, line, problems)
        # Invalid items still claim their id, so a duplicate is reported in the same run.
        item_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(item_id, str) and item_id.strip():
            item_id = item_id.strip()
            if item_id in first_line:
                problems.add(line, "id", f"'{item_id}' is also used on line {first_line[item_id]}",
                             "give each item its own id")
                continue
            first_line[item_id] = line
        if item is not None:
            items.append(item)
    if not records and not problems.lines:
        problems.add(None, None, "contains no items", "add one JSON object per line")
    if len(records) > MAX_ITEMS:
        problems.add(None, None, f"has {len(records)} items, more than {MAX_ITEMS}", "split it into smaller sets")
    if problems.lines:
        raise DatasetError(source, problems.lines)
    return items


def load_question_set(path: Path | str) -> QuestionSet:
    """Read a .jsonl (or .yaml/.yml) question set; the sha256 pins which version a report scored."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DatasetError(str(path), [f"{path}: cannot be read ({exc.strerror}); pass an existing file"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise DatasetError(path.name, [f"{path.name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                                       "split it into smaller question sets"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(path.name, [f"{path.name}: byte {exc.start} is not valid UTF-8; re-save as UTF-8"]) from None
    items = parse_items(text, path.name, yaml_format=path.suffix.lower() in YAML_SUFFIXES)
    return QuestionSet(path=path, sha256=hashlib.sha256(raw).hexdigest(), items=items)


def load_items(path: Path | str) -> list[EvalItem]:
    return load_question_set(path).items
