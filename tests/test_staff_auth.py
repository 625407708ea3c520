"""Staff credentials: where they come from, what happens without them, and the login check itself."""

from __future__ import annotations

import asyncio
import logging

import pytest
from click.testing import CliRunner

from ingest.settings import Settings
from ui import staff_auth
from ui.cli import main
from ui.staff_auth import StaffCredentialsError, load_credentials, make_checker

STAFF_ENV = ("TRIALCHAT_STAFF_USER", "TRIALCHAT_STAFF_PASSWORD", "TRIALCHAT_STAFF_CREDENTIALS_FILE")


@pytest.fixture(autouse=True)
def no_staff_env(monkeypatch):
    for name in STAFF_ENV:
        monkeypatch.delenv(name, raising=False)


def test_credentials_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALCHAT_STAFF_USER", "alice")
    monkeypatch.setenv("TRIALCHAT_STAFF_PASSWORD", "pa:ss word")
    assert load_credentials(Settings(home=tmp_path)) == {"alice": "pa:ss word"}


def test_credentials_from_file(monkeypatch, tmp_path):
    path = tmp_path / "staff.txt"
    path.write_text("# reviewers\nalice:one\n\nbob:two:with colon\n", encoding="utf-8")
    monkeypatch.setenv("TRIALCHAT_STAFF_CREDENTIALS_FILE", str(path))
    assert load_credentials(Settings(home=tmp_path)) == {"alice": "one", "bob": "two:with colon"}


def test_bad_credentials_file_names_the_line_not_the_secret(tmp_path):
    path = tmp_path / "staff.txt"
    path.write_text("alice:one\nhunter2-no-colon\n", encoding="utf-8")
    with pytest.raises(StaffCredentialsError, match="line 2") as exc:
        load_credentials(Settings(home=tmp_path, staff_credentials_file=path))
    assert "hunter2" not in str(exc.value)
    with pytest.raises(StaffCredentialsError, match="cannot read"):
        load_credentials(Settings(home=tmp_path, staff_credentials_file=tmp_path / "missing.txt"))


def test_half_a_pair_or_nothing_is_an_error(tmp_path):
    with pytest.raises(StaffCredentialsError, match="together"):
        load_credentials(Settings(home=tmp_path, staff_user="alice"))
    with pytest.raises(StaffCredentialsError, match="TRIALCHAT_STAFF_USER"):
        load_credentials(Settings(home=tmp_path))


def test_staff_command_without_credentials_says_how_to_set_them(tmp_path):
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "staff"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "TRIALCHAT_STAFF_USER" in lines[0] and "TRIALCHAT_STAFF_CREDENTIALS_FILE" in lines[0]


def test_checker_refuses_wrong_password_and_never_logs_it(monkeypatch, caplog):
    monkeypatch.setattr(staff_auth, "FAILED_LOGIN_DELAY", 0)
    check = make_checker({"alice": "correct horse"})
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(check("alice", "correct horse")) is True
        assert asyncio.run(check("alice", "wrong battery")) is False
        assert asyncio.run(check("mallory", "correct horse")) is False
        assert asyncio.run(check("alice", "")) is False
    assert "login refused" in caplog.text
    assert "correct horse" not in caplog.text and "wrong battery" not in caplog.text
