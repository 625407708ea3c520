"""Question-set loading: valid items parse; every problem is reported with its line and field."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from evaluation.dataset import DatasetError, load_question_set, parse_items
from ingest.settings import PROJECT_ROOT


def line(**fields) -> str:
    item = {"id": "q01", "question": "how many people?", "expect_behavior": "answer", **fields}
    return json.dumps({k: v for k, v in item.items() if v is not None})


def problems(text: str) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        parse_items(text, "dev.jsonl")
    return caught.value.problems


def test_valid_items_parse_with_defaults_and_list_behaviours():
    text = "\n".join([
        line(expect_trials=["NCT05138133"], expect_facts=[r"\b336\b"]),
        "",
        line(id="q02", history=["tell me about the kidney study"], expect_behavior=["answer", "advice"],
             expect_trials=["2023-504022-19-01"]),
    ])
    first, second = parse_items(text, "dev.jsonl")
    assert first.expect_behavior == ("answer",) and first.history == () and first.line == 1
    assert first.expect_facts == (r"\b336\b",)
    assert second.primary_behavior == "answer" and second.expect_behavior == ("answer", "advice")
    assert second.history == ("tell me about the kidney study",) and second.line == 3


@pytest.mark.parametrize("bad, expected", [
    ('{"id": "q01", "question": ', "dev.jsonl line 2: invalid JSON"),
    (line(question=None), "dev.jsonl line 2: field 'question': missing"),
    (line(question="   "), "dev.jsonl line 2: field 'question': \"   \" is not a non-empty string"),
    (line(expect_facts=["("]), "dev.jsonl line 2: field 'expect_facts': regex '(' does not compile:"),
    (line(expect_behavior="chat"), "dev.jsonl line 2: field 'expect_behavior': 'chat' is not a behaviour"),
    (line(expect_behavior=["answer", "maybe"]), "field 'expect_behavior': 'maybe' is not a behaviour"),
    (line(expect_behavior=[]), "dev.jsonl line 2: field 'expect_behavior': missing"),
    (line(expect_trials=["NCT123"]), "field 'expect_trials': 'NCT123' is not an NCT or EU CT number"),
    (line(expect_trials="NCT05138133"), "field 'expect_trials': \"NCT05138133\" is not a list"),
    (line(history="earlier"), "field 'history': \"earlier\" is not a list"),
    (line(expect_fact=["x"]), "field 'expect_fact': is not a known field"),
    ('["not", "an", "object"]', "dev.jsonl line 2: the item is not an object"),
])
def test_each_problem_names_line_and_field(bad, expected):
    found = problems(line(id="q00") + "\n" + bad)
    assert len(found) == 1 and found[0].startswith("dev.jsonl line 2: "), found
    assert expected in found[0]


def test_bad_regex_message_tells_the_fix():
    (message,) = problems(line(expect_facts=["ok", "("]))
    assert message.startswith("dev.jsonl line 1: field 'expect_facts': regex '(' does not compile: ")
    assert message.endswith("; fix the pattern")


def test_duplicate_ids_point_at_the_first_use():
    (message,) = problems("\n".join([line(), line(id="q02"), line()]))
    assert message == "dev.jsonl line 3: field 'id': 'q01' is also used on line 1; give each item its own id"


def test_all_problems_are_listed_together():
    text = "\n".join([line(), "{oops", line(id="q02", question=None), line(id="q03", expect_facts=["["]),
                      line(id="q04", expect_behavior="maybe"), line()])
    with pytest.raises(DatasetError) as caught:
        parse_items(text, "dev.jsonl")
    found = caught.value.problems
    assert [p.split(":")[0] for p in found] == [f"dev.jsonl line {n}" for n in (2, 3, 4, 5, 6)]
    assert str(caught.value).startswith("question set dev.jsonl has 5 problems:\n  dev.jsonl line 2:")


def test_empty_file_is_an_error():
    assert problems("\n\n") == ["dev.jsonl: contains no items; add one JSON object per line"]


def test_load_question_set_hashes_the_file_and_reads_yaml(tmp_path: Path):
    path = tmp_path / "set.jsonl"
    path.write_text(line() + "\n", encoding="utf-8")
    question_set = load_question_set(path)
    assert question_set.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [i.id for i in question_set.items] == ["q01"]

    yaml_path = tmp_path / "set.yaml"
    yaml_path.write_text(
        "- id: y1\n  question: what phase is it\n  expect_behavior: answer\n"
        "- id: y2\n  question: cost?\n  expect_behavior: [no_info]\n  expect_facts: ['(']\n",
        encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        load_question_set(yaml_path)
    assert caught.value.problems[0].startswith("set.yaml line 4: field 'expect_facts': regex '('")


def test_missing_file_and_bad_utf8(tmp_path: Path):
    with pytest.raises(DatasetError, match="cannot be read"):
        load_question_set(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "q\xff"}\n')
    with pytest.raises(DatasetError, match="not valid UTF-8"):
        load_question_set(bad)


def test_the_shipped_dev_set_is_valid():
    items = load_question_set(PROJECT_ROOT / "corpus" / "questions" / "dev.jsonl").items
    assert len(items) == len({i.id for i in items}) > 100
