"""One ingest, measured in a process of its own (so peak RSS is the ingest's): prints one JSON line.

    python -m bench.ingest_worker HOME CORPUS [--bare]

With --bare the same chunks are also embedded by a bare SentenceTransformer.encode (batch 32), half
before the ingest and half after, so both rates see the same machine load. The model is loaded and
warmed before any clock starts: throughput compares embedding, not start-up.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def rss_mb() -> float:
    """Resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("home", type=Path)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--bare", action="store_true")
    args = parser.parse_args()

    from llama_index.core.schema import MetadataMode

    from ingest.chunks import chunk_entry
    from ingest.embedding import load_embed_model, offline_env
    from ingest.entries import load_entries
    from ingest.pipeline import run_ingest
    from ingest.settings import Settings

    offline_env()
    settings = Settings(home=args.home)
    started = time.perf_counter()
    model = load_embed_model(settings.embed_batch_size)
    model.get_text_embedding_batch(["warm up the model", "and its tokenizer"])
    out: dict = {"model_load_s": time.perf_counter() - started}
    texts: list[str] = []
    if args.bare:
        entries, _ = load_entries([args.corpus])
        texts = [n.get_content(MetadataMode.EMBED) for e in entries for n in chunk_entry(e)]
        del entries
    sentence_transformer = model._model  # the SentenceTransformer inside llama-index's wrapper
    half = len(texts) // 2
    bare_s = 0.0
    if texts:
        t = time.perf_counter()
        sentence_transformer.encode(texts[:half], batch_size=settings.embed_batch_size)
        bare_s += time.perf_counter() - t
    baseline_rss = rss_mb()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    samples: list[tuple[int, int, float]] = []  # (chunks done, of total, RSS MB) after each group

    def progress(done: int, total: int) -> None:
        samples.append((done, total, rss_mb()))

    t = time.perf_counter()
    report = run_ingest(settings, [args.corpus], progress=progress)
    out["ingest_s"] = time.perf_counter() - t
    out["load_during"] = [load_before, Path("/proc/loadavg").read_text().split()[0]]
    out["peak_rss_mb"] = peak_rss_mb()
    out["rss_before_ingest_mb"] = baseline_rss
    out["rss_samples"] = samples
    if texts:
        t = time.perf_counter()
        sentence_transformer.encode(texts[half:], batch_size=settings.embed_batch_size)
        bare_s += time.perf_counter() - t
        out["bare_chunks"] = len(texts)
        out["bare_s"] = bare_s
        # The pipeline before this work: llama-index batches of 32 in file order (no length sort).
        sample = texts[:512]
        t = time.perf_counter()
        sentence_transformer.encode(sample, batch_size=settings.embed_batch_size)
        out["sample_bare_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for start in range(0, len(sample), settings.embed_batch_size):
            model.get_text_embedding_batch(sample[start : start + settings.embed_batch_size])
        out["sample_unsorted_s"] = time.perf_counter() - t
        out["sample_chunks"] = len(sample)
    out["report"] = {k: v for k, v in report.as_dict().items() if k != "notes"}
    out["errors"] = len(report.errors)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
