"""Make the store match the corpus: embed only what changed, delete what left."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from llama_index.core.schema import MetadataMode, TextNode

from .chunks import chunk_entry
from .embedding import load_embed_model
from .entries import load_entries
from .errors import EntryError
from .settings import Settings
from .store import Store

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    corpus_hash: str | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed "
            f"({self.chunks_embedded} chunks embedded)"
        )
        if self.errors:
            line += f"; {len(self.errors)} file(s) with errors"
        return line

    def as_dict(self) -> dict:
        return asdict(self)


def _embed(nodes: list[TextNode], batch_size: int, progress: Progress | None) -> None:
    model = load_embed_model(batch_size)
    done = 0
    for start in range(0, len(nodes), batch_size):
        batch = nodes[start : start + batch_size]
        vectors = model.get_text_embedding_batch([n.get_content(MetadataMode.EMBED) for n in batch])
        for node, vector in zip(batch, vectors, strict=True):
            node.embedding = vector
        done += len(batch)
        if progress:
            progress(done, len(nodes))


def run_ingest(
    settings: Settings,
    paths: list[Path] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Sync the store with the entries under ``paths`` (default: the corpus folder).

    Bad files are reported and skipped; with ``strict`` nothing is written if any file is bad.
    Trials are only removed from the store when every file parsed, so a typo never deletes data.
    """
    report = IngestReport()
    try:
        entries, errors = load_entries(list(paths or [settings.corpus_dir]))
    except EntryError as exc:
        entries, errors = [], [exc]
    report.errors = [str(e) for e in errors]
    if errors and strict:
        report.notes.append("--strict: nothing was changed because some files are invalid")
        return report

    store = Store(settings)
    collection = store.collection(create=True)
    if collection is None:
        report.notes.append("the store was built with another model or chunker; rebuilt from scratch")
        logger.warning("store built with another model; rebuilding")
        store.drop()
        collection = store.collection(create=True)

    stored = store.stored_hashes(collection)
    nodes = [node for entry in entries for node in chunk_entry(entry)]
    wanted = {node.id_: node for node in nodes}
    changed = [n for n in nodes if stored.get(n.id_, {}).get("content_hash") != n.metadata["content_hash"]]
    stale = [cid for cid in stored if cid not in wanted]
    if errors:
        kept = [cid for cid in stale if stored[cid]["trial_id"] not in {e.id for e in entries}]
        if kept:
            report.notes.append(f"kept {len(kept)} stored chunk(s) of trials not in this run because of errors")
        stale = [cid for cid in stale if cid not in kept]

    stored_trials = {meta["trial_id"] for meta in stored.values()}
    changed_trials = {n.metadata["trial_id"] for n in changed} | {stored[c]["trial_id"] for c in stale}
    for entry in entries:
        if entry.id not in stored_trials:
            report.added += 1
        elif entry.id in changed_trials:
            report.updated += 1
        else:
            report.unchanged += 1
    report.removed = len({stored[c]["trial_id"] for c in stale} - {e.id for e in entries})

    _embed(changed, settings.embed_batch_size, progress)
    replaced = [n.id_ for n in changed if n.id_ in stored]
    vector_store = store.vector_store(collection)
    if replaced or stale:
        collection.delete(ids=replaced + stale)
    for start in range(0, len(changed), 256):
        vector_store.add(changed[start : start + 256])
    report.chunks_embedded = len(changed)
    report.chunks_deleted = len(stale)
    final = store.stored_hashes(collection)
    report.corpus_hash = store.mark_complete(collection, [m["content_hash"] for m in final.values()])
    logger.info("ingest: %s", report.summary())
    return report
