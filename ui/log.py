"""The conversation log: every chat turn, its feedback and staff verdicts in one SQLite file.

Patient-facing writes (``record``, ``set_feedback``) never raise: a locked or read-only log must not
stop an answer, so failures are logged and the caller gets ``None``/``False``. Staff-facing calls
raise ``LogError`` so the reviewer sees that a verdict was not saved.

Nothing about the patient is stored beyond what they typed: no IP address, no user agent; the
session id is a random token made by the chat page.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from assistant.types import Answer
from ingest.errors import TrialChatError

logger = logging.getLogger(__name__)

VERDICTS = ("correct", "incorrect", "unsafe", "unclear")
FEEDBACK = ("up", "down")
# Why a patient disliked an answer (optional): stored key -> the words the patient picked from.
REASONS = {"wrong_facts": "wrong facts", "wrong_trial": "wrong trial", "hard_to_read": "hard to read",
           "other": "other"}
REASON_TEXT_MAX = 1000
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    behavior    TEXT NOT NULL,
    citations   TEXT NOT NULL,
    retrieved   TEXT NOT NULL,
    passages    TEXT NOT NULL,
    checks      TEXT NOT NULL,
    config      TEXT NOT NULL,
    corpus_hash TEXT,
    feedback    TEXT CHECK (feedback IN ('up', 'down')),
    feedback_at TEXT,
    reason      TEXT,
    reason_text TEXT
);
CREATE INDEX IF NOT EXISTS turns_session ON turns (session_id, id);
CREATE INDEX IF NOT EXISTS turns_created ON turns (created_at);
-- Append-only, so a changed verdict keeps its history; the newest row per turn is the verdict.
CREATE TABLE IF NOT EXISTS verdicts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    turn_id    INTEGER NOT NULL REFERENCES turns (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'unsafe', 'unclear')),
    note       TEXT NOT NULL DEFAULT '',
    reviewer   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_turn ON verdicts (turn_id, id);
"""
LATEST_VERDICT = """
LEFT JOIN verdicts v ON v.id = (SELECT MAX(id) FROM verdicts WHERE turn_id = t.id)
"""
# Columns added after version 1, with their types: an older log gains them when first opened.
ADDED_COLUMNS = {"reason": "TEXT", "reason_text": "TEXT"}
CSV_COLUMNS = ("turn_id", "created_at", "session_id", "question", "answer", "behavior", "citations",
               "feedback", "reason", "reason_text", "verdict", "note", "reviewer", "verdict_at", "corpus_hash")


class LogError(TrialChatError):
    """The conversation log could not be read or written."""


def valid_text(value: str) -> str:
    """``value`` as text that can be stored and printed: lone surrogates (from a browser, JSON or
    undecodable argv bytes) become U+FFFD instead of raising when encoded."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class TurnFilter:
    behavior: str | None = None
    feedback: str | None = None  # "up", "down" or "none"
    verdict: str | None = None  # one of VERDICTS, "none" (unreviewed) or "any" (reviewed)
    since: date | None = None
    until: date | None = None  # inclusive
    text: str = ""
    session: str = ""  # a session id or its first characters, as the staff table shows them
    limit: int = 500

    def where(self) -> tuple[str, list]:
        clauses, args = [], []
        if self.behavior:
            clauses.append("t.behavior = ?")
            args.append(self.behavior)
        if self.feedback == "none":
            clauses.append("t.feedback IS NULL")
        elif self.feedback:
            clauses.append("t.feedback = ?")
            args.append(self.feedback)
        if self.verdict == "none":
            clauses.append("v.verdict IS NULL")
        elif self.verdict == "any":
            clauses.append("v.verdict IS NOT NULL")
        elif self.verdict:
            clauses.append("v.verdict = ?")
            args.append(self.verdict)
        if self.since:
            clauses.append("t.created_at >= ?")
            args.append(self.since.isoformat())
        if self.until:
            clauses.append("t.created_at < ?")
            args.append((self.until + timedelta(days=1)).isoformat())
        if self.session.strip():
            clauses.append("substr(t.session_id, 1, ?) = ?")
            args += [len(self.session.strip()), self.session.strip().lower()]
        if self.text.strip():
            # instr, not LIKE: the patient's % and _ must not act as wildcards.
            clauses.append("(instr(lower(t.question), ?) > 0 OR instr(lower(t.answer), ?) > 0)")
            args += [self.text.strip().lower()] * 2
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class ConversationLog:
    def __init__(self, path: Path | str, timeout: float = 2.0):
        self.path = Path(path)
        # Short busy timeout: a patient waits at most this long for a locked log before the answer goes out.
        self.timeout = timeout
        self._ready = False
        self._lock = threading.Lock()  # the first turns of several sessions may arrive at once
        self._local = threading.local()  # each worker thread's kept connection for recording turns

    # -- plumbing ---------------------------------------------------------------------------------
    @contextmanager
    def _connect(self, write: bool = True, keep: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction per block. A connection per call (safe across Gradio's worker threads), or
        with ``keep`` one per thread, kept while the file is the same: opening one costs a patient's
        turn more than writing it."""
        conn = self._kept() if keep else None
        fresh = conn is None
        if fresh:
            conn = self._open()
        ok = False
        try:
            # IMMEDIATE takes the write lock up front, so a busy log fails fast instead of mid-write.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            ok = True
        finally:
            if keep and ok and fresh:
                self._local.conn, self._local.inode = conn, _inode(self.path)
            elif keep and not ok:
                self._forget()
                if fresh:
                    conn.close()
            elif not keep:
                conn.close()

    def _open(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # created private, never readable by others even for a moment
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                with self._lock:
                    if not self._ready:
                        self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _kept(self) -> sqlite3.Connection | None:
        """This thread's connection, unless the file was replaced or removed since it was opened."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.inode != _inode(self.path):
            self._forget()
            return None
        return conn

    def _forget(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                logger.debug("closing a kept log connection failed", exc_info=True)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        # Patient text: only this account may read the log (SQLite gives its -wal/-shm files the same mode).
        try:
            self.path.chmod(0o600)
        except OSError as exc:
            logger.warning("conversation log %s: could not make it private (0600): %s", self.path, exc)
        # WAL lets the staff app read while the chat writes; each committed turn survives a crash.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        # Additive only: a log written by an older version keeps every row and stays readable.
        have = {row[1] for row in conn.execute("PRAGMA table_info(turns)")}
        for name, kind in ADDED_COLUMNS.items():
            if name not in have:
                conn.execute(f"ALTER TABLE turns ADD COLUMN {name} {kind}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._ready = True

    # -- patient side: never raises ---------------------------------------------------------------
    def record(self, session_id: str, answer: Answer, config: dict) -> int | None:
        """Store one turn in its own transaction; return its id, or None if the log is unusable."""
        # Every text column through valid_text: one invalid character must not lose the turn.
        row = tuple(valid_text(v) if isinstance(v, str) else v for v in (
            now(), session_id, answer.question, answer.text, answer.behavior,
            json.dumps([c.as_dict() for c in answer.citations], ensure_ascii=False),
            json.dumps(list(answer.retrieved)), json.dumps(list(answer.passages)),
            json.dumps([{"sentence": c.sentence, "citations": list(c.citations), "supported": c.supported}
                        for c in answer.checks], ensure_ascii=False),
            json.dumps(config, sort_keys=True, default=str), config.get("corpus_hash"),
        ))
        try:
            with self._connect(keep=True) as conn:
                cursor = conn.execute(
                    "INSERT INTO turns (created_at, session_id, question, answer, behavior, citations, retrieved,"
                    " passages, checks, config, corpus_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                return cursor.lastrowid
        except (sqlite3.Error, OSError) as exc:
            # The question itself is not repeated here: application logs are not the place for it.
            logger.error("conversation log %s: turn not recorded: %s", self.path, exc)
            return None

    def set_feedback(self, turn_id: int | None, value: str | None) -> bool:
        """Thumbs up/down ("up"/"down"), or None to clear it; False if it could not be stored."""
        if turn_id is None:
            logger.warning("feedback for a turn that was not logged; ignored")
            return False
        if value not in (*FEEDBACK, None):
            raise ValueError(f"feedback must be one of {FEEDBACK} or None, not {value!r}")
        try:
            with self._connect() as conn:
                # A new thumb replaces the old one and the reason given with it.
                cursor = conn.execute(
                    "UPDATE turns SET feedback = ?, feedback_at = ?, reason = NULL, reason_text = NULL WHERE id = ?",
                    (value, now() if value else None, turn_id))
                return cursor.rowcount == 1
        except (sqlite3.Error, OSError) as exc:
            logger.error("conversation log %s: feedback for turn %s not recorded: %s", self.path, turn_id, exc)
            return False

    def set_reason(self, turn_id: int | None, reason: str | None, detail: str = "") -> bool:
        """What was wrong with a disliked answer: a REASONS key and/or the patient's words; False if not stored."""
        if turn_id is None:
            logger.warning("a reason for a turn that was not logged; ignored")
            return False
        if reason is not None and reason not in REASONS:
            raise ValueError(f"reason must be one of {tuple(REASONS)} or None, not {reason!r}")
        detail = " ".join((detail or "").split())[:REASON_TEXT_MAX] or None
        try:
            with self._connect() as conn:
                # Only a disliked turn takes a reason: the patient may have changed the thumb meanwhile.
                cursor = conn.execute(
                    "UPDATE turns SET reason = ?, reason_text = ? WHERE id = ? AND feedback = 'down'",
                    (reason, detail, turn_id))
                return cursor.rowcount == 1
        except (sqlite3.Error, OSError) as exc:
            logger.error("conversation log %s: reason for turn %s not recorded: %s", self.path, turn_id, exc)
            return False

    # -- staff side: raises LogError --------------------------------------------------------------
    @contextmanager
    def _staff(self, what: str, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            with self._connect(write) as conn:
                yield conn
        except (sqlite3.Error, OSError) as exc:
            logger.error("conversation log %s: %s failed: %s", self.path, what, exc)
            raise LogError(f"the conversation log {self.path} could not be read or written ({exc})") from exc

    def add_verdict(self, turn_id: int, verdict: str, note: str, reviewer: str) -> None:
        if verdict not in VERDICTS:
            raise LogError(f"verdict must be one of {', '.join(VERDICTS)}")
        with self._staff("saving a verdict", write=True) as conn:
            if conn.execute("SELECT 1 FROM turns WHERE id = ?", (turn_id,)).fetchone() is None:
                raise LogError(f"there is no turn {turn_id}")
            conn.execute("INSERT INTO verdicts (turn_id, verdict, note, reviewer, created_at) VALUES (?, ?, ?, ?, ?)",
                         (turn_id, verdict, note.strip(), reviewer, now()))

    def turns(self, filters: TurnFilter | None = None) -> list[dict]:
        """Turns (newest first) with their latest verdict, as plain dicts with decoded JSON fields."""
        where, args = (filters or TurnFilter()).where()
        limit = (filters or TurnFilter()).limit
        with self._staff("listing turns") as conn:
            rows = conn.execute(
                "SELECT t.*, v.verdict, v.note, v.reviewer, v.created_at AS verdict_at FROM turns t"
                f" {LATEST_VERDICT}{where} ORDER BY t.id DESC LIMIT ?", [*args, limit]).fetchall()
        return [_decode(r) for r in rows]

    def turn(self, turn_id: int) -> dict | None:
        with self._staff("reading a turn") as conn:
            row = conn.execute(
                "SELECT t.*, v.verdict, v.note, v.reviewer, v.created_at AS verdict_at FROM turns t"
                f" {LATEST_VERDICT} WHERE t.id = ?", (turn_id,)).fetchone()
        return _decode(row) if row else None

    def next_unreviewed(self, filters: TurnFilter | None = None, exclude: tuple[int, ...] = ()) -> dict | None:
        """The turn a reviewer should look at next: unreviewed, disliked ones first, then the oldest."""
        filters = filters or TurnFilter()
        where, args = TurnFilter(**{**filters.__dict__, "verdict": "none"}).where()
        skip = "".join(" AND t.id != ?" for _ in exclude)
        with self._staff("finding the next turn") as conn:
            row = conn.execute(
                "SELECT t.*, v.verdict, v.note, v.reviewer, v.created_at AS verdict_at FROM turns t"
                f" {LATEST_VERDICT}{where}{skip} ORDER BY (t.feedback = 'down') DESC, t.id ASC LIMIT 1",
                [*args, *exclude]).fetchone()
        return _decode(row) if row else None

    def unreviewed_count(self, filters: TurnFilter | None = None) -> int:
        where, args = TurnFilter(**{**(filters or TurnFilter()).__dict__, "verdict": "none"}).where()
        with self._staff("counting turns") as conn:
            return conn.execute(f"SELECT COUNT(*) FROM turns t {LATEST_VERDICT}{where}", args).fetchone()[0]

    def conversation(self, turn_id: int) -> list[dict]:
        """The turn and the earlier turns of its session, oldest first: what the patient had seen."""
        with self._staff("reading a conversation") as conn:
            rows = conn.execute(
                "SELECT t.*, v.verdict, v.note, v.reviewer, v.created_at AS verdict_at FROM turns t"
                f" {LATEST_VERDICT} WHERE t.session_id = (SELECT session_id FROM turns WHERE id = ?) AND t.id <= ?"
                " ORDER BY t.id", (turn_id, turn_id)).fetchall()
        return [_decode(r) for r in rows]

    def count(self) -> int:
        with self._staff("counting turns") as conn:
            return conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]

    def export_csv(self, path: Path | str, filters: TurnFilter | None = None) -> int:
        """Write the filtered turns with their verdicts as CSV; return the number of rows."""
        rows = self.turns(filters)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for r in rows:
                cited = "; ".join(f"[{c['n']}] {c['trial_id']} {c['section']}" for c in r["citations"])
                writer.writerow([_cell(v) for v in (
                    r["id"], r["created_at"], r["session_id"], r["question"], r["answer"], r["behavior"], cited,
                    r["feedback"], r["reason"], r["reason_text"], r["verdict"], r["note"], r["reviewer"],
                    r["verdict_at"], r["corpus_hash"])])
        return len(rows)


def _decode(row: sqlite3.Row) -> dict:
    data = dict(row)
    for name in ("citations", "retrieved", "passages", "checks", "config"):
        data[name] = json.loads(data[name]) if data.get(name) else ([] if name != "config" else {})
    return data


def _cell(value) -> str:
    """CSV cell; text a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
