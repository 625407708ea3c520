"""Hostile inputs outside the web layer (issue 11): question-set bombs, invalid Unicode, staff users."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.types import Answer
from evaluation.dataset import MAX_FILE_BYTES, DatasetError, load_question_set
from ingest.settings import Settings
from ui.cli import main
from ui.log import ConversationLog

TRIALCHAT = Path(sys.executable).parent / "trialchat"
# Backtracks exponentially on any answer without ten digits in a row (Python's re would never end).
BACKTRACKING = r"^(.|..)+\d{10}"
ALIAS_BOMB = "\n".join(
    [f"- id: q\n  question: &a0 [{', '.join(['x'] * 10)}]\n  expect_behavior: answer"]
    + [f"- {{id: q{i}, question: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}], expect_behavior: answer}}"
       for i in range(1, 8)])


def test_backtracking_fact_regex_is_cut_off_in_trialchat_eval(corpus_settings, tmp_path):
    path = tmp_path / "bomb.jsonl"
    path.write_text(json.dumps({"id": "bomb", "question": "How many people are in the lupus nephritis study?",
                                "expect_behavior": "answer", "expect_facts": [BACKTRACKING, r"\b336\b"]}),
                    encoding="utf-8")
    out = tmp_path / "report.json"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["--home", str(corpus_settings.home), "eval", str(path), "--json", str(out)])
    assert time.monotonic() - started < 30
    assert result.exit_code == 0, result.output
    facts = json.loads(out.read_text())["items"][0]["checks"]["facts"]
    assert facts[0] == {"pattern": BACKTRACKING, "ok": False, "timed_out": True}
    assert facts[1]["ok"] is True


def test_yaml_alias_bomb_and_oversized_sets_are_refused(corpus_settings, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    assert len(ALIAS_BOMB) < 1000
    with pytest.raises(DatasetError, match="anchors and aliases"):
        load_question_set(bomb)
    result = CliRunner().invoke(main, ["--home", str(corpus_settings.home), "eval", str(bomb)])
    assert result.exit_code != 0 and "anchors and aliases" in result.output and "Traceback" not in result.output
    big = tmp_path / "big.jsonl"
    big.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(DatasetError, match="larger than 2 MB"):
        load_question_set(big)
    with pytest.raises(DatasetError, match="too long"):
        from evaluation.dataset import parse_items

        parse_items(json.dumps({"id": "a", "question": "q", "expect_behavior": "answer",
                                "expect_facts": ["a" * 600]}))


def test_a_lone_surrogate_never_loses_a_turn(assistant, tmp_path):
    from ui.chat import respond

    log = ConversationLog(tmp_path / "conversations.sqlite3")
    question = "how many people are in the vitiligo study \ud83d? \udcff"
    assert log.record("s1", Answer(question, "answer \udfff text", "answer"), {"corpus_hash": "\ud800"}) is not None
    replies = list(respond(assistant, question, [], session_id="s2", log=log))
    assert replies[-1].final and replies[-1].turn_id is not None and replies[-1].answer.behavior != "error"
    rows = log.turns()
    assert len(rows) == 2 and all("\ufffd" in r["question"] for r in rows)
    assert "48" in rows[0]["answer"]
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600


def test_invalid_utf8_in_ask_argv_and_chat_lines_is_replaced(corpus_settings):
    env = {**os.environ, "TRIALCHAT_HOME": str(corpus_settings.home), "PYTHONIOENCODING": "utf-8"}
    ask = subprocess.run([str(TRIALCHAT), "ask", b"how many people are in the vitiligo study \xff\xfe?"],
                         capture_output=True, env=env, timeout=300)
    assert ask.returncode == 0, ask.stderr.decode(errors="replace")
    assert b"Traceback" not in ask.stderr and b"48" in ask.stdout
    chat = subprocess.run([str(TRIALCHAT), "chat"], input=b"tell me about the vitiligo study \xc3\x28\n",
                          capture_output=True, env=env, timeout=300)
    assert chat.returncode == 0, chat.stderr.decode(errors="replace")
    assert b"Traceback" not in chat.stderr and b"NCT05917561" in chat.stdout


def test_staff_user_add_stores_a_hash_atomically_and_private(tmp_path, monkeypatch):
    from ui.staff_auth import load_credentials, make_checker, verify_password

    for name in ("TRIALCHAT_STAFF_USER", "TRIALCHAT_STAFF_PASSWORD", "TRIALCHAT_STAFF_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    runner = CliRunner()
    result = runner.invoke(main, ["--home", str(home), "staff-user", "add", "alice"],
                           input="a long passphrase\na long passphrase\n")
    assert result.exit_code == 0, result.output
    path = home / "staff-users.txt"
    text = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "a long passphrase" not in text and text.startswith("alice:scrypt$")
    assert runner.invoke(main, ["--home", str(home), "staff-user", "add", "bob"],
                         input="short\nshort\n").exit_code == 1
    assert runner.invoke(main, ["--home", str(home), "staff-user", "add", "alice"],
                         input="another passphrase\nanother passphrase\n").exit_code == 0
    users = load_credentials(Settings(home=home))
    assert list(users) == ["alice"] and verify_password(users["alice"], "another passphrase")
    check = make_checker(users)
    assert asyncio.run(check("alice", "another passphrase")) is True
    assert asyncio.run(check("alice", "a long passphrase")) is False
    assert not list(home.glob(".staff-users.txt.*"))  # no temp file left behind


def test_throttle_locks_a_client_that_tries_many_names():
    from ui.staff_auth import LoginThrottle

    throttle = LoginThrottle(per_user=3, per_client=5, window=60, lockout=30)
    for i in range(5):
        assert throttle.retry_after(f"user{i}", "10.0.0.1") == 0
        throttle.failed(f"user{i}", "10.0.0.1")
    assert 0 < throttle.retry_after("someone-else", "10.0.0.1") <= 30
    assert throttle.retry_after("someone-else", "10.0.0.2") == 0
