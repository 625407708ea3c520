"""Shared fixtures: every test gets its own TRIALCHAT_HOME; one real store is built per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.update({
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1",
})

from ingest.pipeline import run_ingest  # noqa: E402
from ingest.settings import PROJECT_ROOT, Settings  # noqa: E402

CORPUS = PROJECT_ROOT / "corpus" / "trials"
ARTIFACTS = PROJECT_ROOT / "artifacts"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("TRIALCHAT_HOME", str(path))
    monkeypatch.delenv("TRIALCHAT_CHROMA_URL", raising=False)
    return path


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store with the shipped corpus, ingested once for the whole session (read-only for tests)."""
    settings = Settings(home=tmp_path_factory.mktemp("corpus-home"))
    report = run_ingest(settings)
    assert report.added == 10 and not report.errors
    return settings


@pytest.fixture(scope="session")
def assistant(corpus_settings: Settings):
    from assistant.engine import Assistant

    return Assistant(corpus_settings)


@pytest.fixture(scope="session")
def registry_assistant(tmp_path_factory: pytest.TempPathFactory):
    """An assistant over the synthetic registry corpus only (tests/fixtures/registry), built once."""
    from assistant.engine import Assistant

    settings = Settings(home=tmp_path_factory.mktemp("registry-home"))
    report = run_ingest(settings, [PROJECT_ROOT / "tests" / "fixtures" / "registry"])
    assert report.added == 33 and not report.errors
    return Assistant(settings)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
