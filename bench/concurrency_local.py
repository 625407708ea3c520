"""The in-process half of bench.concurrency: the assistant's own warm-answer CPU
(``Assistant.answer(question, history, conversation)``, one state per conversation as the served chat
keeps), a 10-turn conversation, and query encodes under thread contention. Each runs in a process of its own, never
while `serve` has the same embedded Chroma store open.

    python -m bench.concurrency_local warm HOME CONVERSATIONS.json   # JSON on the last line
    python -m bench.concurrency_local threads SECONDS
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

from assistant.conversation import Conversation

from .conversations import long_conversation
from .latency import percentile


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _timed(assistant, question: str, history: list[str], state: Conversation) -> tuple[float, float]:
    """(CPU seconds of this process, all threads, and wall seconds) of one answer."""
    cpu, wall = time.process_time(), time.perf_counter()
    assistant.answer(question, history, state)
    return time.process_time() - cpu, time.perf_counter() - wall


def _conversation(assistant, turns: list[str]) -> list[tuple[float, float]]:
    """Answer a conversation in order, as a served chat does: one Conversation state across its turns."""
    state = Conversation()
    return [_timed(assistant, q, turns[:i], state) for i, q in enumerate(turns)]


def _ms(values: list[float]) -> dict:
    return {"p50": 1000 * statistics.median(values), "mean": 1000 * statistics.fmean(values),
            "p95": 1000 * percentile(values, 0.95)}


def warm_cpu(assistant, convs: list[list[str]], rounds: int = 2) -> dict:
    """CPU per answer over the benchmark's conversations, after a first pass that warms caches (its
    numbers are kept apart: new questions, as far as a per-text embedding cache goes)."""
    load = [loadavg()]
    # The first pass meets each question once: its query embeddings are not cached yet.
    first = [c for turns in convs for c, _ in _conversation(assistant, turns)]
    timed = [_conversation(assistant, turns) for _ in range(rounds) for turns in convs]
    load.append(loadavg())
    cpu = [c for conv in timed for c, _ in conv]
    by_turn = [_ms([conv[i][0] for conv in timed if len(conv) > i]) for i in range(max(map(len, timed)))]
    return {"answers": len(cpu), "cpu_ms": _ms(cpu), "wall_ms": _ms([w for conv in timed for _, w in conv]),
            "cpu_ms_by_turn": by_turn, "first_pass_cpu_ms": _ms(first), "load": load}


def ten_turns(assistant, rounds: int = 5) -> dict:
    """The 10th answer of a long conversation against the 1st, and against the 10th question asked alone."""
    load = [loadavg()]
    turns = long_conversation(10)
    _conversation(assistant, turns)
    timed = [_conversation(assistant, turns) for _ in range(rounds)]
    alone = [_timed(assistant, turns[-1], [], Conversation()) for _ in range(rounds)]
    load.append(loadavg())

    def med(pairs: list[tuple[float, float]], k: int) -> float:
        return 1000 * statistics.median(p[k] for p in pairs)

    per_turn = [{"question": q, "cpu_ms": med([t[i] for t in timed], 0), "wall_ms": med([t[i] for t in timed], 1)}
                for i, q in enumerate(turns)]
    first, last = per_turn[0], per_turn[-1]
    return {"turns": per_turn, "rounds": rounds, "last_alone_cpu_ms": med(alone, 0),
            "cpu_ratio": last["cpu_ms"] / first["cpu_ms"], "wall_ratio": last["wall_ms"] / first["wall_ms"],
            "ratio_to_alone": last["cpu_ms"] / med(alone, 0), "load": load}


def _encode_run(embed, questions: list[str], workers: int, seconds: float) -> dict:
    """``workers`` Python threads encode questions back to back for ``seconds``."""
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(offset: int) -> None:
        k = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            embed.get_query_embedding(questions[k % len(questions)])
            with lock:
                times.append(time.perf_counter() - started)
            k += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i * 7,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"encodes": len(times), "encodes_per_s": len(times) / wall,
            "p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * percentile(times, 0.95)}


def thread_settings(seconds: float) -> dict:
    """Query encodes with torch's default intra-op threads vs one, under 1 and 8 concurrent callers."""
    import torch

    from ingest.embedding import load_embed_model

    from .conversations import conversations

    load = [loadavg()]
    embed = load_embed_model()
    questions = [q for conv in conversations() for q in conv]
    default = torch.get_num_threads()
    out: dict = {"default_threads": default, "runs": []}
    for setting in (default, 1):
        torch.set_num_threads(setting)
        for q in questions[:10]:  # warm-up at this setting
            embed.get_query_embedding(q)
        for workers in (1, 8):
            out["runs"].append({"torch_threads": setting, "callers": workers,
                                **_encode_run(embed, questions, workers, seconds)})
    torch.set_num_threads(default)
    load.append(loadavg())
    out["load"] = load
    return out


def main() -> None:
    from ingest.embedding import offline_env
    from ingest.settings import Settings

    offline_env()
    part = sys.argv[1]
    if part == "threads":
        print(json.dumps(thread_settings(float(sys.argv[2]))))
        return
    from assistant.engine import Assistant

    assistant = Assistant(Settings(home=Path(sys.argv[2])))
    convs = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
    print(json.dumps({"warm": warm_cpu(assistant, convs), "ten_turns": ten_turns(assistant)}))


if __name__ == "__main__":
    main()
