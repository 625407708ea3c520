"""The SQLite conversation log: one row per turn, feedback, verdicts, filters, CSV, and failure modes."""

from __future__ import annotations

import csv
import logging
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from assistant.types import Answer, Citation, SentenceCheck
from ingest.settings import PROJECT_ROOT
from ui.log import ConversationLog, LogError, TurnFilter

CONFIG = {"writer": "grounded", "corpus_hash": "abc123", "retrieval": {"top_k": 8}}


def answer(question: str = "How many people are in the vitiligo study?", behavior: str = "answer") -> Answer:
    citation = Citation(1, "NCT05917561", "Vitiligo", "Summary", "It includes 48 adults.", "NCT05917561#summary",
                        "It includes 48 adults.")
    return Answer(question, "The vitiligo study includes 48 adults [1].", behavior, [citation], ["NCT05917561"],
                  [{"chunk_id": "NCT05917561#summary", "trial_id": "NCT05917561", "score": 0.03, "dense": 0.6,
                    "bm25": 3.1}],
                  ["NCT05917561"], [SentenceCheck("The vitiligo study includes 48 adults.", [1], True)])


@pytest.fixture
def log(tmp_path) -> ConversationLog:
    return ConversationLog(tmp_path / "home" / "conversations.sqlite3")


def test_record_stores_everything_a_reviewer_needs_and_nothing_about_the_patient(log):
    turn_id = log.record("session-a", answer(), CONFIG)
    turn = log.turn(turn_id)
    assert turn["question"].startswith("How many people") and "48 adults [1]" in turn["answer"]
    assert turn["behavior"] == "answer" and turn["session_id"] == "session-a"
    assert turn["citations"][0]["highlight"] == "It includes 48 adults."
    assert turn["passages"][0]["score"] == 0.03 and turn["retrieved"] == ["NCT05917561"]
    assert turn["checks"] == [{"sentence": "The vitiligo study includes 48 adults.", "citations": [1],
                               "supported": True}]
    assert turn["config"] == CONFIG and turn["corpus_hash"] == "abc123"
    assert turn["created_at"].endswith("Z") and turn["feedback"] is None and turn["verdict"] is None
    with sqlite3.connect(log.path) as conn:
        columns = {row[1] for table in ("turns", "verdicts")
                   for row in conn.execute(f"PRAGMA table_info({table})")}
    assert not {c for c in columns if any(w in c for w in ("ip", "agent", "host", "email", "name"))}


def test_feedback_and_latest_verdict_win(log):
    turn_id = log.record("s", answer(), CONFIG)
    assert log.set_feedback(turn_id, "up") and log.turn(turn_id)["feedback"] == "up"
    assert log.set_feedback(turn_id, "down") and log.turn(turn_id)["feedback"] == "down"
    log.add_verdict(turn_id, "unclear", "", reviewer="alice")
    log.add_verdict(turn_id, "correct", "  matches the entry  ", reviewer="bob")
    turn = log.turn(turn_id)
    assert (turn["verdict"], turn["note"], turn["reviewer"]) == ("correct", "matches the entry", "bob")
    with pytest.raises(LogError, match="verdict must be one of"):
        log.add_verdict(turn_id, "great", "", reviewer="bob")
    with pytest.raises(LogError, match="no turn 999"):
        log.add_verdict(999, "correct", "", reviewer="bob")
    assert not log.set_feedback(None, "up") and not log.set_feedback(999, "up")


def test_filters(log):
    a = log.record("s1", answer("vitiligo size? 100%_sure"), CONFIG)
    b = log.record("s2", answer("my chest hurts", "emergency"), CONFIG)
    c = log.record("s3", answer("kidney study"), CONFIG)
    log.set_feedback(a, "up")
    log.add_verdict(b, "unsafe", "check wording", reviewer="alice")

    def ids(**kw) -> list[int]:
        return [t["id"] for t in log.turns(TurnFilter(**kw))]

    assert ids() == [c, b, a]
    assert ids(behavior="emergency") == [b]
    assert ids(feedback="up") == [a] and ids(feedback="none") == [c, b]
    assert ids(verdict="unsafe") == [b] and ids(verdict="none") == [c, a] and ids(verdict="any") == [b]
    assert ids(text="KIDNEY") == [c] and ids(text="48 adults") == [c, b, a]
    assert ids(text="%_") == [a]  # the patient's wildcards are plain text
    today = date.fromisoformat(log.turn(a)["created_at"][:10])
    assert ids(since=today, until=today) == [c, b, a]
    assert ids(until=date(2000, 1, 1)) == []


def test_export_csv_holds_verdicts_and_defuses_formulas(log, tmp_path):
    turn_id = log.record("s", answer("=HYPERLINK(\"http://evil\")"), CONFIG)
    log.add_verdict(turn_id, "incorrect", "wrong number", reviewer="alice")
    out = tmp_path / "turns.csv"
    assert log.export_csv(out, TurnFilter(verdict="any")) == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["verdict"] == "incorrect" and rows[0]["note"] == "wrong number" and rows[0]["reviewer"] == "alice"
    assert rows[0]["question"].startswith("'=HYPERLINK")
    assert rows[0]["citations"] == "[1] NCT05917561 Summary"


def test_locked_log_refuses_fast_and_logs(tmp_path, caplog):
    log = ConversationLog(tmp_path / "log.sqlite3", timeout=0.2)
    assert log.record("s", answer(), CONFIG) == 1
    blocker = sqlite3.connect(log.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR, logger="ui.log"):
            assert log.record("s", answer(), CONFIG) is None
            assert log.set_feedback(1, "up") is False
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "turn not recorded" in caplog.text and "locked" in caplog.text
    assert "vitiligo" not in caplog.text  # the patient's question stays out of the application log
    assert log.count() == 1


def test_unwritable_log_location_is_logged_not_raised(tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the home directory should be")
    log = ConversationLog(blocker / "conversations.sqlite3")
    with caplog.at_level(logging.ERROR, logger="ui.log"):
        assert log.record("s", answer(), CONFIG) is None
    assert "turn not recorded" in caplog.text
    with pytest.raises(LogError):
        log.turns()


def test_read_only_database_file(tmp_path, caplog, monkeypatch):
    path = tmp_path / "log.sqlite3"
    ConversationLog(path).record("s", answer(), CONFIG)
    # Read-only as SQLite sees it (mode=ro): chmod is no guard when the tests run as root.
    original = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda p, **kw: original(f"file:{p}?mode=ro", uri=True, **kw))
    log = ConversationLog(path)
    with caplog.at_level(logging.ERROR, logger="ui.log"):
        assert log.record("s", answer(), CONFIG) is None
        assert log.set_feedback(1, "up") is False
    assert "readonly" in caplog.text.replace("-", "").replace(" ", "").lower()


def test_a_crash_mid_write_loses_no_earlier_turn(tmp_path):
    """A process killed inside an open transaction: committed turns survive, the half-written one does not."""
    path = tmp_path / "log.sqlite3"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        from assistant.types import Answer
        from ui.log import ConversationLog
        log = ConversationLog({str(path)!r})
        for i in range(3):
            log.record("s", Answer(f"question {{i}}", "answer", "answer"), {{}})
        with log._connect() as conn:
            conn.execute("INSERT INTO turns (created_at, session_id, question, answer, behavior, citations,"
                         " retrieved, passages, checks, config) VALUES ('x', 's', 'half', '', '', '[]', '[]',"
                         " '[]', '[]', '{{}}')")
            os._exit(9)  # dies mid-transaction, like a crash mid-answer
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 9, result.stderr
    log = ConversationLog(path)
    assert [t["question"] for t in log.turns()] == ["question 2", "question 1", "question 0"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_concurrent_first_writes_all_land_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    log = ConversationLog(tmp_path / "fresh" / "log.sqlite3")  # schema not created yet: the first writes race

    def write(session: int) -> list[int | None]:
        return [log.record(f"s{session}", answer(f"question {session}-{i}"), CONFIG) for i in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [i for batch in pool.map(write, range(8)) for i in batch]
    assert None not in ids and len(set(ids)) == 40 == log.count()


def test_a_kept_connection_follows_the_log_file_when_it_is_replaced(tmp_path):
    # Turns are written over a connection each worker thread keeps; a log moved away (an operator's
    # archive) must not take later turns with it.
    path = tmp_path / "log.sqlite3"
    log = ConversationLog(path)
    assert log.record("s1", answer("first?"), CONFIG) is not None
    archived = tmp_path / "archived.sqlite3"
    path.rename(archived)
    for suffix in ("-wal", "-shm"):
        side = tmp_path / f"log.sqlite3{suffix}"
        if side.exists():
            side.rename(tmp_path / f"archived.sqlite3{suffix}")
    fresh = ConversationLog(path)
    fresh.record("s0", answer("new file?"), CONFIG)
    assert log.record("s2", answer("second?"), CONFIG) is not None
    assert sorted(t["question"] for t in log.turns()) == ["new file?", "second?"]
    with sqlite3.connect(archived) as db:
        assert [q for (q,) in db.execute("SELECT question FROM turns")] == ["first?"]
