"""Warm answer latency of the grounded assistant next to a bare query embedding and a plain
llama-index retriever (VectorStoreIndex, top-5) over the same Chroma collection."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def shipped_questions() -> list[dict]:
    """The dev set's single-turn questions that name the trials they are about."""
    out = []
    for line in (PROJECT_ROOT / "corpus" / "questions" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line) if line.strip() else None
        if item and not item.get("history") and item.get("expect_trials"):
            out.append({"question": item["question"], "trial_ids": item["expect_trials"]})
    return out


def as_items(questions: list[dict]) -> list[dict]:
    """bench.synthetic questions -> {"question", "trial_ids"} items."""
    return [{"question": q["question"], "trial_ids": [q["trial_id"]]} for q in questions]


def measure(settings: Settings, questions: list[dict], rounds: int = 2) -> dict:
    """Load the assistant once, answer every question once to warm up, then time ``rounds`` passes.

    Each timed answer is paired with a bare query embedding of the same question, timed right
    before it, so both see the same machine load. The baseline retriever runs in the same loop.
    """
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import QueryBundle

    from assistant.engine import Assistant

    started = time.perf_counter()
    assistant = Assistant(settings)
    load_s = time.perf_counter() - started
    embed = assistant.embed_model
    collection = assistant.store.collection()
    baseline = VectorStoreIndex.from_vector_store(
        assistant.store.vector_store(collection), embed_model=embed).as_retriever(similarity_top_k=5)
    for item in questions:  # warm-up: caches, lazy imports, BM25 and HNSW pages
        assistant.answer(item["question"])
        baseline.retrieve(QueryBundle(query_str=item["question"]))
    bare, answer, plain = [], [], []
    hits = {"assistant": 0, "baseline": 0}
    for round_ in range(rounds):
        for item in questions:
            q = item["question"]
            t = time.perf_counter()
            embed.get_query_embedding(q)
            bare.append(time.perf_counter() - t)
            # Each timed answer embeds its question, as a question new to the process would be: the
            # comparison with a bare embedding is meant to show what the answer costs beyond it.
            assistant.queries.clear()
            t = time.perf_counter()
            result = assistant.answer(q)
            answer.append(time.perf_counter() - t)
            t = time.perf_counter()
            nodes = baseline.retrieve(QueryBundle(query_str=q))
            plain.append(time.perf_counter() - t)
            if round_ == 0:
                hits["assistant"] += bool(result.retrieved) and result.retrieved[0] in item["trial_ids"]
                top = nodes[0].node.metadata.get("trial_id") if nodes else None
                hits["baseline"] += top in item["trial_ids"]

    def ms(values: list[float]) -> dict:
        return {"p50": 1000 * statistics.median(values), "p95": 1000 * percentile(values, 0.95),
                "mean": 1000 * statistics.fmean(values)}

    return {
        "trials": len(assistant.catalog.trials),
        "chunks": len(assistant.catalog.nodes),
        "questions": len(questions),
        "timed_answers": len(answer),
        "assistant_load_s": load_s,
        "bare_embed_ms": ms(bare),
        "answer_ms": ms(answer),
        "baseline_ms": ms(plain),
        "hit_at_1": {k: v / len(questions) for k, v in hits.items()},
        "load": Path("/proc/loadavg").read_text().split()[0],
    }


def main() -> None:
    """python -m bench.latency HOME QUESTIONS.json [ROUNDS]: one size, in a process of its own."""
    import sys

    from ingest.embedding import offline_env

    offline_env()
    home, questions_file = Path(sys.argv[1]), Path(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    print(json.dumps(measure(Settings(home=home), questions, rounds)))


if __name__ == "__main__":
    main()
