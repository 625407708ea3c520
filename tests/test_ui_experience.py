"""The chat experience without a browser: the shared supporting-sentence picker, emergency and answer
rendering, welcome and follow-ups from the catalog, dislike reasons and the review queue in the log."""

from __future__ import annotations

import csv
import re
import sqlite3

import pytest

from assistant.catalog import Catalog
from assistant.check import best_sentence, supporting_sentences
from assistant.phrases import EMERGENCY
from assistant.types import Answer, Citation, SentenceCheck
from ui import guide
from ui.chat import respond
from ui.log import ConversationLog, TurnFilter
from ui.render import answer_html
from ui.staff_render import turn_html

PASSAGE = ("NCT05138133 is the kidney lupus study. Title: Anifrolumab for kidney lupus. It is a Phase 3 study. "
           "It includes 336 adults. Children are not included. The main goal is measured with BICLA at Week 52.")


# -- the shared picker ---------------------------------------------------------------------------
@pytest.mark.parametrize("claim, expected", [
    # numbers first: the label sentence shares more words but holds no 336
    ("The kidney lupus study (NCT05138133) includes 336 adults.", "It includes 336 adults."),
    ("It is a Phase 3 study.", "It is a Phase 3 study."),
    # negation: "not for children" is shown beside "not included", not beside a sentence about adults
    ("The kidney lupus study does not include children.", "Children are not included."),
    # named terms
    ("The study measures BICLA.", "The main goal is measured with BICLA at Week 52."),
])
def test_picker_marks_the_sentence_with_the_claims_numbers_negation_and_names(claim, expected):
    assert best_sentence(PASSAGE, claim) == expected


def test_picker_passes_over_the_id_label_that_only_repeats_the_trials_name():
    passage = "NCT05138133 is the kidney lupus study. This study is for adults with lupus nephritis."
    claim = "Yes, the kidney lupus study (NCT05138133) is for adults."
    assert best_sentence(passage, claim) == "This study is for adults with lupus nephritis."


def test_every_supported_sentence_of_a_passage_is_marked_once_in_order():
    picked = supporting_sentences(PASSAGE, ["It has 336 adults.", "It is Phase 3.", "336 adults take part."])
    assert picked == ["It is a Phase 3 study.", "It includes 336 adults."]


def citation(n: int, trial: str, text: str = PASSAGE) -> Citation:
    return Citation(n, trial, f"Title {trial}", "Summary", text, f"{trial}#summary", "")


def test_both_apps_mark_the_same_sentences():
    checks = [SentenceCheck("It has 336 adults.", [1], True), SentenceCheck("It is a Phase 3 study.", [1], True)]
    answer = Answer("q", "It has 336 adults [1]. It is a Phase 3 study [1].", "answer", [citation(1, "NCT05138133")],
                    checks=checks)
    patient = answer_html(answer, "k")
    assert "<mark>It is a Phase 3 study.</mark> <mark>It includes 336 adults.</mark>" in patient
    turn = {"id": 1, "created_at": "t", "session_id": "s", "behavior": "answer", "feedback": "down",
            "reason": "wrong_facts", "reason_text": "the number", "verdict": None, "note": None, "reviewer": None,
            "verdict_at": None, "corpus_hash": None, "question": "q", "answer": answer.text, "config": {},
            "citations": [c.as_dict() for c in answer.citations], "passages": [],
            "checks": [{"sentence": c.sentence, "citations": c.citations, "supported": True} for c in checks]}
    staff = turn_html(turn)
    assert "<mark>It includes 336 adults.</mark>" in staff and "<mark>It is a Phase 3 study.</mark>" in staff
    assert "thumbs down: wrong facts “the number”" in staff


# -- rendering -----------------------------------------------------------------------------------
def test_emergency_is_an_alert_with_phone_links_and_nothing_else():
    html = answer_html(Answer("chest pain", EMERGENCY, "emergency"), "k")
    assert 'role="alert"' in html and "tc-emergency" in html
    numbers = re.findall(r"\b\d{3}\b", EMERGENCY)
    assert numbers and all(f'href="tel:{n}"' in html for n in numbers)
    assert "tc-sources" not in html and "tc-copy" not in html and "tc-cite" not in html


def test_emergency_streams_no_typing_steps(assistant):
    steps = list(respond(assistant, "I have crushing chest pain and can't breathe", []))
    assert len(steps) == 1 and steps[0].final and 'role="alert"' in steps[0].html


def test_a_run_citing_every_trial_is_one_chip_and_sources_fold_into_one_line():
    trials = [f"NCT0000000{i}" for i in range(5)]
    answer = Answer("q", "Five trials [1][2][3][4][5]. The first has 336 adults [1].", "answer",
                    [citation(i + 1, t) for i, t in enumerate(trials)])
    html = answer_html(answer, "k", trial_count=5)
    assert html.count("tc-cite-run") == 1 and ">all 5 trials</a>" in html
    assert '<details class="tc-sources" id="tc-sources-k"><summary>5 sources</summary>' in html
    assert html.count('class="tc-cite"') == 1  # the lone [1] stays its own chip
    assert 'class="tc-copy"' in html and html.count('class="tc-trial-link" href="#trial-NCT0000000') == 5
    some = answer_html(answer, "k", trial_count=9)
    assert ">5 trials</a>" in some and "all 5" not in some


# -- welcome and suggestions from the catalog ----------------------------------------------------
def test_welcome_and_examples_come_from_the_catalog(assistant):
    catalog = assistant.catalog
    text = guide.welcome_text(catalog)
    assert f"{len(catalog.trials)} clinical trial entries" in text
    assert all(catalog.trials[t].entry.short_name in text for t in catalog.order)
    # A smaller catalog gets a different welcome: nothing is fixed in the UI code.
    first = catalog.order[0]
    small = Catalog([n for n in catalog.nodes if n.metadata["trial_id"] == first], "h")
    small_text = guide.welcome_text(small)
    assert "1 clinical trial entry" in small_text
    assert all(catalog.trials[t].entry.short_name not in small_text for t in catalog.order[1:]
               if catalog.trials[t].entry.short_name not in catalog.trials[first].entry.short_name)
    assert guide.example_questions(catalog) and not any("children" in q for q in guide.example_questions(small)
                                                         if not small.trials[first].entry.includes_children)


def test_follow_ups_are_about_the_answers_trial_and_skip_aspects_already_asked(assistant):
    question = "How many people are in the lupus nephritis study?"
    answer = assistant.answer(question, [])
    name = guide.trial_name(assistant.catalog.trials[answer.citations[0].trial_id].entry)
    ups = guide.follow_ups(assistant.catalog, answer, [question])
    assert 2 <= len(ups) <= 3 and all(name in q for q in ups)
    assert not any(q.startswith("How many people") for q in ups)
    assert guide.follow_ups(assistant.catalog, Answer("x", EMERGENCY, "emergency"), ["x"]) == []


# -- the log: dislike reasons, migration, the review queue ---------------------------------------
def logged(question: str, behavior: str = "answer") -> Answer:
    return Answer(question, f"Answer to {question} [1].", behavior, [citation(1, "NCT05138133")],
                  checks=[SentenceCheck(f"Answer to {question}.", [1], True)])


def test_dislike_reason_is_stored_cleared_and_exported(tmp_path):
    log = ConversationLog(tmp_path / "log.sqlite3")
    turn_id = log.record("s", logged("q1"), {})
    assert not log.set_reason(turn_id, "wrong_trial", "")  # only a disliked turn takes a reason
    log.set_feedback(turn_id, "down")
    assert log.set_reason(turn_id, "wrong_trial", "  it was about   another study ")
    turn = log.turn(turn_id)
    assert (turn["reason"], turn["reason_text"]) == ("wrong_trial", "it was about another study")
    log.add_verdict(turn_id, "incorrect", "cites the wrong trial", reviewer="nurse")
    out = tmp_path / "out.csv"
    log.export_csv(out)
    row = next(csv.DictReader(open(out, encoding="utf-8")))
    assert (row["verdict"], row["reviewer"], row["note"]) == ("incorrect", "nurse", "cites the wrong trial")
    assert (row["reason"], row["reason_text"]) == ("wrong_trial", "it was about another study")
    log.set_feedback(turn_id, "up")
    assert log.turn(turn_id)["reason"] is None
    with pytest.raises(ValueError):
        log.set_reason(turn_id, "boring", "")


def test_a_log_written_before_reasons_existed_is_migrated_and_keeps_its_turns(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # the version-1 table, as an older TrialChat wrote it
        conn.executescript("""
            CREATE TABLE turns (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
              session_id TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, behavior TEXT NOT NULL,
              citations TEXT NOT NULL, retrieved TEXT NOT NULL, passages TEXT NOT NULL, checks TEXT NOT NULL,
              config TEXT NOT NULL, corpus_hash TEXT, feedback TEXT, feedback_at TEXT);
            INSERT INTO turns (created_at, session_id, question, answer, behavior, citations, retrieved, passages,
              checks, config, feedback) VALUES ('2025-01-01T00:00:00Z', 'old', 'old question', 'old answer',
              'answer', '[]', '[]', '[]', '[]', '{}', 'down');
            PRAGMA user_version = 1;""")
    log = ConversationLog(path)
    old = log.turns()[0]
    assert old["question"] == "old question" and old["reason"] is None
    assert log.set_reason(old["id"], "hard_to_read", "")
    assert log.record("new", logged("q"), {}) is not None
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_queue_serves_disliked_then_oldest_and_shows_the_conversation(tmp_path):
    log = ConversationLog(tmp_path / "log.sqlite3")
    a1 = log.record("aaaa1111", logged("first"), {})
    a2 = log.record("aaaa1111", logged("second"), {})
    b1 = log.record("bbbb2222", logged("other"), {})
    log.set_feedback(b1, "down")
    assert log.next_unreviewed()["id"] == b1
    assert log.next_unreviewed(exclude=(b1,))["id"] == a1
    assert log.next_unreviewed(TurnFilter(session="aaaa"))["id"] == a1
    log.add_verdict(a1, "correct", "", reviewer="r")
    assert log.next_unreviewed(TurnFilter(session="aaaa"))["id"] == a2
    assert log.unreviewed_count() == 2 and log.unreviewed_count(TurnFilter(session="bbbb")) == 1
    assert [t["question"] for t in log.conversation(a2)] == ["first", "second"]
    html = turn_html(log.turn(a2), log.conversation(a2)[:-1])
    assert "Earlier in this conversation (1 turn)" in html and "first" in html
    assert [t["id"] for t in log.turns(TurnFilter(session="bbbb"))] == [b1]
