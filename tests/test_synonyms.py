"""The lay-term table: every row is exercised, and lay questions reach the right trial."""

import re

import pytest

from assistant.synonyms import SYNONYMS, correct_spelling, expand, lexicon

ROWS = [(row["example"], (row["lay"], row["means"])) for row in lexicon()["terms"]]


def test_the_table_is_the_data_file():
    assert [row for _, row in ROWS] == SYNONYMS


@pytest.mark.parametrize(("example", "row"), ROWS)
def test_row_adds_its_entry_words(example, row):
    pattern, words = row
    assert re.search(pattern, correct_spelling(example.lower())), example
    assert words in expand(example)


LAY_QUESTIONS = [
    ("how many people in the kidney lupus study", "NCT05138133"),
    ("is there a scleroderma trial", "NCT05925803"),
    ("what's the kids lupus study about", "NCT05835310"),
    ("muscle inflammation study size", "2023-504022-19-01"),
    ("anything for white patches on the skin?", "NCT05917561"),
    ("the sticky blood syndrome study", "2025-520918-64-00"),
    ("dry eyes and dry mouth study", "NCT05383677"),
    ("does the light therapy study have a placebo", "NCT05917561"),
    ("lung scarring trial?", "NCT05925803"),
]


@pytest.mark.parametrize(("question", "trial_id"), LAY_QUESTIONS)
def test_lay_words_reach_the_trial(assistant, question, trial_id):
    answer = assistant.answer(question)
    assert trial_id in {c.trial_id for c in answer.citations}, answer.text


MISSPELLINGS = [
    ("how many ppl in the lupis nefritis study", "NCT05138133", "336"),
    ("vitligo trial phase", "NCT05917561", "Phase 2"),
    ("dermatomyosits study how many", "2023-504022-19-01", "204"),
    ("is the sjorgens study done", "NCT05383677", "completed"),
    ("scleraderma trail size", "NCT05925803", "306"),
    ("antiphospholipd syndrom study", "2025-520918-64-00", "20"),
]


@pytest.mark.parametrize(("question", "trial_id", "fact"), MISSPELLINGS)
def test_misspellings(assistant, question, trial_id, fact):
    answer = assistant.answer(question)
    assert trial_id in {c.trial_id for c in answer.citations}, answer.text
    assert fact in answer.text


def test_real_english_words_are_not_corrected():
    assert correct_spelling("what diseases are studied", frozenset({"disease", "studies"})) == (
        "what diseases are studied"
    )
