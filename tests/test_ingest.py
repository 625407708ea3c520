"""Ingest against a real Chroma store and the real embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.errors import StoreError
from ingest.pipeline import run_ingest
from ingest.settings import PROJECT_ROOT, Settings
from ingest.store import Store

CORPUS = PROJECT_ROOT / "corpus" / "trials"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "trials"
    shutil.copytree(CORPUS, target)
    return target


def stored_trials(settings: Settings) -> dict[str, int]:
    store = Store(settings)
    counts: dict[str, int] = {}
    for meta in store.stored_hashes(store.collection()).values():
        counts[meta["trial_id"]] = counts.get(meta["trial_id"], 0) + 1
    return counts


def test_first_ingest_stores_every_entry_with_metadata(corpus_copy: Path, home: Path):
    settings = Settings()
    report = run_ingest(settings, [corpus_copy])
    assert (report.added, report.updated, report.unchanged, report.removed) == (10, 0, 0, 0)
    assert report.chunks_embedded == sum(stored_trials(settings).values())
    assert settings.chroma_dir.is_relative_to(home)
    store = Store(settings)
    nodes = store.all_nodes(store.collection())
    for node in nodes:
        assert {"trial_id", "title", "section", "phase", "conditions"} <= set(node.metadata)
        assert node.embedding is None or len(node.embedding) == 384


def test_reingest_embeds_nothing_edit_reembeds_one_entry_delete_removes(corpus_copy: Path):
    settings = Settings()
    run_ingest(settings, [corpus_copy])
    again = run_ingest(settings, [corpus_copy])
    assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 10, 0)

    entry = corpus_copy / "NCT05138133.md"
    entry.write_text(entry.read_text().replace("Renal means kidney.", "Renal means to do with the kidneys."))
    edited = run_ingest(settings, [corpus_copy])
    assert (edited.added, edited.updated, edited.unchanged) == (0, 1, 9)
    assert edited.chunks_embedded == 1  # only the edited section

    (corpus_copy / "NCT05917561.md").unlink()
    removed = run_ingest(settings, [corpus_copy])
    assert removed.removed == 1 and removed.chunks_embedded == 0
    assert "NCT05917561" not in stored_trials(settings)
    assert len(stored_trials(settings)) == 9


def test_store_built_with_another_model_is_a_clear_error(corpus_copy: Path):
    settings = Settings()
    run_ingest(settings, [corpus_copy])
    with pytest.raises(StoreError, match="re-run `trialchat ingest`"):
        Store(settings, model_id="some-other-model").collection()


def test_missing_store_says_run_ingest():
    with pytest.raises(StoreError, match="run `trialchat ingest`"):
        Store(Settings()).collection()


def test_bad_file_is_reported_and_good_entries_still_ingested(corpus_copy: Path):
    (corpus_copy / "broken.md").write_text("---\nid: [unclosed\n---\n## Summary\ntext\n")
    report = run_ingest(Settings(), [corpus_copy])
    assert report.added == 10
    assert len(report.errors) == 1 and "broken.md" in report.errors[0] and "YAML" in report.errors[0]


def test_ingest_batches_use_every_core_and_serving_keeps_one_thread_per_encode():
    import os

    import torch

    from ingest.embedding import QUERY_THREADS, all_cores, set_encode_threads

    before = torch.get_num_threads()
    try:
        set_encode_threads(QUERY_THREADS)
        with all_cores():
            assert torch.get_num_threads() == os.cpu_count()
        assert torch.get_num_threads() == QUERY_THREADS
    finally:
        torch.set_num_threads(before)
