"""The staff app's plain helpers: filter parsing, table rows and the export folder clean-up and one-time offers."""

from __future__ import annotations

import os
import stat
import time
from datetime import date

import pytest

from ui.log import LogError
from ui.staff import make_filter, table_rows
from ui.staff_exports import Exports


def test_filter_choices_map_to_log_filters():
    f = make_filter("any", "none", "any-verdict", "2025-01-02", "", "  kidney ")
    assert (f.behavior, f.feedback, f.verdict, f.since, f.until, f.text) == (
        None, "none", "any", date(2025, 1, 2), None, "  kidney ")
    f = make_filter("emergency", "up", "unsafe", "", "2025-02-03", "")
    assert (f.behavior, f.feedback, f.verdict, f.until) == ("emergency", "up", "unsafe", date(2025, 2, 3))
    assert make_filter("any", "any", "none", "", "", "").verdict == "none"


def test_bad_date_says_how_to_write_it():
    with pytest.raises(LogError, match="YYYY-MM-DD"):
        make_filter("any", "any", "any", "24/11/2025", "", "")


def test_table_rows_shorten_long_questions():
    turn = {"id": 3, "created_at": "2025-11-24T14:00:00Z", "session_id": "abcdef1234", "question": "x" * 200,
            "behavior": "answer", "feedback": None, "verdict": "correct"}
    row = table_rows([turn])[0]
    assert row[:3] == [3, "2025-11-24 14:00:00", "abcdef12"] and len(row[3]) == 90 and row[3].endswith("…")
    assert row[5:] == ["", "correct"]


def test_old_exports_are_removed_and_new_ones_are_private(tmp_path):
    exports = Exports(tmp_path / "exports", ttl=60)
    old = exports.folder / "turns-old.csv"
    old.write_text("patient text")
    os.utime(old, (time.time() - 70,) * 2)
    fresh = exports.folder / "turns-fresh.csv"
    fresh.write_text("x")
    path = exports.new_path()
    assert not old.exists() and fresh.exists() and path.parent == exports.folder and path.suffix == ".csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(exports.folder.stat().st_mode) == 0o700


def test_an_export_is_offered_once_and_expires(tmp_path):
    exports = Exports(tmp_path / "exports", ttl=60)
    path = exports.new_path()
    token = exports.offer(path)
    assert exports.take("guessed-token") is None
    assert exports.take(token) == path and exports.take(token) is None
    short = Exports(tmp_path / "short", ttl=0.05)
    late = short.new_path()
    token = short.offer(late)
    time.sleep(0.1)
    short.sweep()
    assert short.take(token) is None and not late.exists()
