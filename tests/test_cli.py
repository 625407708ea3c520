"""The click CLI against a real store."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ui.cli import main


def ask(settings, *args: str) -> dict:
    result = CliRunner().invoke(main, ["--home", str(settings.home), "ask", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cited(payload: dict) -> set[str]:
    return {c["trial_id"] for c in payload["citations"]}


def test_lupus_nephritis_size_is_336_and_cites_the_trial(corpus_settings):
    payload = ask(corpus_settings, "How many people are in the lupus nephritis study?")
    assert payload["behavior"] == "answer"
    assert "336" in payload["answer"]
    assert "NCT05138133" in cited(payload)
    assert set(payload) == {"question", "answer", "behavior", "citations", "retrieved"}
    for citation in payload["citations"]:
        assert set(citation) >= {"n", "trial_id", "title", "section", "text"}
        assert f"[{citation['n']}]" in payload["answer"]
    assert payload["retrieved"][0] == "NCT05138133"


def test_question_by_id_cites_that_trial(corpus_settings):
    payload = ask(corpus_settings, "Tell me about NCT05925803")
    assert cited(payload) == {"NCT05925803"}
    assert "306" in payload["answer"]


def test_follow_up_uses_history(corpus_settings):
    payload = ask(corpus_settings, "how many people are in it?", "--history", "tell me about the vitiligo study")
    assert cited(payload) == {"NCT05917561"} and "48" in payload["answer"]


def test_ingest_json_summary_and_idempotence(tmp_path):
    runner = CliRunner()
    first = runner.invoke(main, ["--home", str(tmp_path / "h"), "ingest", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == 10
    second = runner.invoke(main, ["--home", str(tmp_path / "h"), "ingest"])
    assert second.stdout.strip().startswith("0 added, 0 updated, 10 unchanged, 0 removed (0 chunks embedded)")


def test_ask_without_a_store_tells_the_fix(tmp_path):
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "empty"), "ask", "hello"])
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "trialchat ingest" in result.stderr
