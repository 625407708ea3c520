"""bench.synthetic: deterministic, parseable entries (the benchmarks themselves never run in tests)."""

from __future__ import annotations

from pathlib import Path

from bench.synthetic import entry_markdown, generate, questions, write_corpus
from ingest.chunks import chunk_entry
from ingest.entries import load_entries, parse_entry

CORPUS_FIELDS = set(parse_entry(Path(__file__).parent.parent / "corpus" / "trials" / "NCT05138133.md")
                    .model_dump(exclude={"sections"}, exclude_unset=True))  # the fields a shipped file writes


def test_same_seed_same_corpus_and_a_larger_corpus_extends_a_smaller_one():
    assert generate(40, seed=3) == generate(40, seed=3)
    assert generate(40, seed=3) != generate(40, seed=4)
    assert generate(60, seed=3, full=40)[:40] == generate(40, seed=3)


def test_entries_parse_with_the_corpus_fields_and_sections(tmp_path: Path):
    made = write_corpus(tmp_path, 30, seed=5, full=20)
    entries, errors = load_entries([tmp_path])
    assert errors == [] and len(entries) == 30
    assert {e.id for e in entries} == {m["front"]["id"] for m in made}
    assert all(e.id.startswith("NCT08") for e in entries)  # never a real trial's id range here
    assert set(made[0]["front"]) | {"sections"} == CORPUS_FIELDS | {"sections"}
    full, compact = entries[:20], entries[20:]
    assert all(len(chunk_entry(e)) == 5 for e in full) and all(len(chunk_entry(e)) == 2 for e in compact)
    assert len({e.conditions[0] for e in entries}) > 5 and len({e.phase for e in entries}) > 2
    assert "It includes" in entry_markdown(made[0])


def test_questions_name_a_trial_of_the_corpus():
    corpus = generate(25, seed=9)
    asked = questions(corpus, 12, seed=1)
    assert asked == questions(corpus, 12, seed=1)
    ids = {e["front"]["id"] for e in corpus}
    assert all(q["trial_id"] in ids and q["question"] for q in asked)
