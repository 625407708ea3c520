"""Make the store match the corpus: embed only what changed, delete what left."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from llama_index.core.schema import MetadataMode, TextNode

from .chunks import chunk_entry
from .embedding import all_cores, load_embed_model
from .entries import iter_entries, read_file
from .errors import DuplicateIdError, EntryError, StoreError
from .lock import Note, ingest_lock
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


# Chunks embedded and written together. Within a group they are embedded shortest first, so each
# model batch holds texts of similar length (little padding); then the group is written to Chroma
# and dropped, so memory stays flat however large the corpus is.
EMBED_GROUP = 512
WRITE_BATCH = 256


def _embed(nodes: list[TextNode], batch_size: int) -> None:
    model = load_embed_model(batch_size)
    texts = [n.get_content(MetadataMode.EMBED) for n in nodes]
    order = sorted(range(len(nodes)), key=lambda i: len(texts[i]))
    with all_cores():
        vectors = model.get_text_embedding_batch([texts[i] for i in order])
    for i, vector in zip(order, vectors, strict=True):
        nodes[i].embedding = vector


def _changed(nodes: list[TextNode], stored: dict[str, dict]) -> list[TextNode]:
    return [n for n in nodes if stored.get(n.id_, {}).get("content_hash") != n.metadata["content_hash"]]


def run_ingest(
    settings: Settings,
    paths: list[Path] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    note: Note | None = None,
) -> IngestReport:
    """_run_ingest while holding the store's ingest lock: a second ingest of the same store waits
    (``note`` is told once) up to ``settings.ingest_wait`` seconds, then raises IngestBusyError."""
    with ingest_lock(settings, note):
        return _run_ingest(settings, paths, strict, progress)


def _run_ingest(
    settings: Settings,
    paths: list[Path] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Sync the store with the entries under ``paths`` (default: the corpus folder).

    Bad files are reported and skipped; with ``strict`` nothing is written if any file is bad.
    Trials are only removed from the store when every file parsed, so a typo never deletes data.

    Two streaming passes over the files: the first compares chunk hashes with the store and keeps
    only ids (an unchanged corpus ends there, without loading the model); the second re-reads the
    files that changed and embeds and writes their new chunks in groups of EMBED_GROUP.
    ``progress(done, total)`` counts chunks embedded.
    """
    report = IngestReport()
    sources = list(paths or [settings.corpus_dir])
    if strict:
        skipped: list = []
        try:
            bad = [item for _, item in iter_entries(sources, skipped) if isinstance(item, EntryError)]
        except EntryError as exc:
            bad = [exc]
        if bad:
            report.errors = [str(e) for e in bad]
            report.notes += [str(s) for s in skipped]
            report.notes.append("--strict: nothing was changed because some files are invalid")
            return report

    store = Store(settings)
    active = store.collection(create=True)
    if active is None and store.active_name():
        report.notes.append("the store was built with another model or chunker; rebuilt from scratch")
        logger.warning("store built with another model; rebuilding")
    stored = store.stored_hashes(active) if active is not None else {}

    # Pass 1: what changed. Only ids are kept, never chunk text.
    errors: list[EntryError] = []
    seen_trials: set[str] = set()
    wanted: dict[str, str] = {}  # chunk id -> content hash
    touched_trials: set[str] = set()  # trials with a new or changed chunk
    todo: dict[Path, set[str]] = {}  # file -> trials in it to embed
    changed_chunks: dict[str, int] = {}  # trial -> chunks to embed
    conflicted: set[str] = set()  # ids in two files: neither file's version is stored
    skipped: list = []
    try:
        for path, item in iter_entries(sources, skipped):
            if isinstance(item, DuplicateIdError):
                conflicted.add(item.trial_id)
            if isinstance(item, EntryError):
                errors.append(item)
                continue
            nodes = chunk_entry(item)
            seen_trials.add(item.id)
            wanted.update({n.id_: n.metadata["content_hash"] for n in nodes})
            changed = len(_changed(nodes, stored))
            if changed:
                touched_trials.add(item.id)
                todo.setdefault(path, set()).add(item.id)
                changed_chunks[item.id] = changed
    except EntryError as exc:  # a path that does not exist
        errors.append(exc)
    report.errors = [str(e) for e in errors]
    report.notes += [str(s) for s in skipped]
    if conflicted:  # the first file's entry was read before its twin turned up: drop it again
        seen_trials -= conflicted
        touched_trials -= conflicted
        wanted = {cid: digest for cid, digest in wanted.items() if cid.split("#", 1)[0] not in conflicted}
        for trials in todo.values():
            trials -= conflicted
    pending = sum(n for trial, n in changed_chunks.items() if trial not in conflicted)

    stale = [cid for cid in stored if cid not in wanted]
    if errors:
        kept = [cid for cid in stale if stored[cid]["trial_id"] not in seen_trials]
        if kept:
            report.notes.append(f"kept {len(kept)} stored chunk(s) of trials not in this run because of errors")
        stale = [cid for cid in stale if cid not in kept]
    stored_trials = {meta["trial_id"] for meta in stored.values()}
    updated = touched_trials | {stored[c]["trial_id"] for c in stale}
    report.added = len(seen_trials - stored_trials)
    report.updated = len((seen_trials & stored_trials) & updated)
    report.unchanged = len(seen_trials) - report.added - report.updated
    report.removed = len({stored[c]["trial_id"] for c in stale} - seen_trials)

    final = {cid: wanted.get(cid, meta["content_hash"]) for cid, meta in stored.items() if cid not in stale}
    final.update(wanted)
    if active is not None and not pending and not stale:
        report.corpus_hash = store.state(active)["corpus_hash"]
        logger.info("ingest: %s", report.summary())
        return report  # nothing changed: no new generation, nothing embedded

    # Pass 2: build the next generation beside the live one. Unchanged chunks are copied with their
    # vectors; changed ones are embedded a group at a time. A killed run leaves the live store as it
    # was, and the next run resumes this generation (chunks already in it are not redone).
    staging = store.staging()
    staged = store.stored_hashes(staging)
    wrong = [cid for cid, meta in staged.items() if final.get(cid) != meta["content_hash"]]
    if wrong:
        staging.delete(ids=wrong)
    staged = {cid: meta for cid, meta in staged.items() if cid not in wrong}
    copy = [cid for cid, digest in final.items()
            if cid not in staged and stored.get(cid, {}).get("content_hash") == digest]
    if active is not None and copy:
        store.copy(active, staging, copy)
        logger.info("ingest: copied %d unchanged chunks into %s", len(copy), staging.name)
    vector_store = store.vector_store(staging)
    group: list[TextNode] = []
    done = 0

    def flush() -> None:
        nonlocal done
        _embed(group, settings.embed_batch_size)
        for start in range(0, len(group), WRITE_BATCH):
            vector_store.add(group[start : start + WRITE_BATCH])
        done += len(group)
        report.chunks_embedded += len(group)
        logger.info("ingest: embedded %d of %d chunks", min(done, pending), pending)
        if progress:
            progress(min(done, pending), pending)
        group.clear()

    for path, trials in todo.items():
        entries, _ = read_file(path)
        for entry in entries:
            if entry.id in trials:
                trials.discard(entry.id)  # a page that repeats a study: its first copy, as in pass 1
                group.extend(n for n in _changed(chunk_entry(entry), stored) if n.id_ not in staged)
                if len(group) >= EMBED_GROUP:
                    flush()
    if group:
        flush()
    report.chunks_deleted = len(stale)
    complete = store.stored_hashes(staging)
    if {cid: meta["content_hash"] for cid, meta in complete.items()} != final:
        raise StoreError(f"the new store generation {staging.name} does not match the corpus; re-run ingest")
    report.corpus_hash = store.mark_complete(staging, list(final.values()))
    store.flip(staging)
    store.drop_old()
    logger.info("ingest: %s", report.summary())
    return report
