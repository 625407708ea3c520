"""Many patients at once: 1, 8, 16 and 32 chats of 4-turn conversations against one
`trialchat serve` on the shipped corpus, each level for a fixed time; server CPU per served answer
beside the assistant's own warm-answer CPU; correctness under load (errors, cross-talk, the log).

    .venv/bin/python -m bench.concurrency --home /tmp/tc-bench --seconds 20

Each chat speaks Gradio's queue protocol through bench/sse_chat.py, one session per conversation.
--home is a scratch TRIALCHAT_HOME (default: a temp folder): the shipped corpus is ingested into it
and the served chats are written to its conversation log. Prints a table, then JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import httpx

from ingest.settings import PROJECT_ROOT, Settings

from . import sse_chat
from .concurrency_local import loadavg
from .conversations import conversations
from .latency import percentile
from .serve_bench import BIN, OFFLINE, _proc_status, _stop, _wait_http, free_port

LEVELS = (1, 8, 16, 32)
TURNS = 4
TURN_TIMEOUT = 120.0
TAG = re.compile(r"<[^>]+>")


@dataclass
class ConvRun:
    """One conversation as one chat ran it: a session of its own (its own Gradio session hash)."""

    conv: int
    sent: list[str] = field(default_factory=list)
    times: list[tuple[float, float]] = field(default_factory=list)  # (first words, full answer) seconds
    chat: list[dict] | None = None  # the chatbot value after the last completed turn
    error: str | None = None


def plain(html: str) -> str:
    """Visible text of rendered HTML, whitespace normalised: what two answers are compared on."""
    return " ".join(unescape(TAG.sub(" ", html)).split())


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # Gradio 6 sends a list of parts
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads included (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def converse(chat: sse_chat.Chat, turns: list[str], run: ConvRun, deadline: float = float("inf")) -> None:
    """One conversation in ``chat``'s session; no new turn starts after ``deadline``."""
    for question in turns:
        if time.perf_counter() >= deadline:
            return
        try:
            turn = await chat.ask(question)
        except Exception as exc:  # counted, not raised: the level's numbers say how many failed
            run.error = f"{type(exc).__name__}: {exc}"[:300]
            return
        run.sent.append(question)
        run.times.append((turn.first_s, turn.total_s))
        run.chat = turn.chat


async def drive(url: str, convs: list[list[str]], chats: int, seconds: float | None) -> list[ConvRun]:
    """``chats`` concurrent chats run conversations start, start + chats, ... back to back until
    ``seconds`` pass (concurrent chats start on different conversations). Each conversation is a
    new session: the server starts a new ChatState and log session. ``seconds`` None: every
    conversation once, one chat (the reference run)."""
    limits = httpx.Limits(max_connections=4 * chats + 8)
    async with httpx.AsyncClient(timeout=httpx.Timeout(TURN_TIMEOUT), limits=limits, trust_env=False) as http:
        prefix, fn = await sse_chat.endpoint(http, url)
        deadline = time.perf_counter() + (seconds if seconds is not None else float("inf"))
        runs: list[ConvRun] = []

        async def one(k: int) -> None:
            while time.perf_counter() < deadline and (seconds is not None or k < len(convs)):
                run = ConvRun(k % len(convs))
                runs.append(run)
                await converse(sse_chat.Chat(http, prefix, fn), convs[run.conv], run, deadline)
                k += chats

        await asyncio.gather(*(one(i) for i in range(chats)))
    return runs


def check(runs: list[ConvRun], refs: list[list[str]]) -> list[str]:
    """Cross-talk: each session's chat must hold exactly its own questions, in order, and the answers
    the single-client reference run gave to the same conversation."""
    problems = []
    for run in runs:
        if not run.sent:
            continue
        shown = run.chat or []
        users = [plain(_text(m)) for m in shown if m.get("role") == "user"]
        answers = [plain(_text(m)) for m in shown if m.get("role") == "assistant"]
        if users != [" ".join(q.split()) for q in run.sent]:
            problems.append(f"conversation {run.conv}: questions {users!r} != sent {run.sent!r}")
        elif answers != refs[run.conv][:len(run.sent)]:
            wrong = next(i for i, (a, b) in enumerate(zip(answers, refs[run.conv], strict=False)) if a != b)
            problems.append(f"conversation {run.conv} turn {wrong + 1}: answer differs from the reference")
    return problems


def swap_detected(runs: list[ConvRun], refs: list[list[str]]) -> bool | None:
    """Shows ``check`` can fail: swap the chats of two sessions that sent different questions."""
    done = [r for r in runs if r.sent]
    pair = next(((a, b) for a in done for b in done if a.sent != b.sent), None)
    if pair is None:
        return None
    a, b = pair
    swapped = [ConvRun(a.conv, a.sent, a.times, b.chat), ConvRun(b.conv, b.sent, b.times, a.chat)]
    return len(check(swapped, refs)) == 2


def last_turn_id(log_path: Path) -> int:
    if not log_path.exists():
        return 0
    with sqlite3.connect(f"file:{log_path}?mode=ro", uri=True) as db:
        return db.execute("SELECT COALESCE(MAX(id), 0) FROM turns").fetchone()[0]


def log_check(log_path: Path, after: int, runs: list[ConvRun]) -> dict:
    """Every turn logged once, in its own session: the question sequences of the log's sessions
    (rows after ``after``) must be exactly the sequences the chats sent, as multisets."""
    with sqlite3.connect(f"file:{log_path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT session_id, question, behavior FROM turns WHERE id > ? ORDER BY id",
                          (after,)).fetchall()
    sessions: dict[str, list[str]] = {}
    for session, question, _ in rows:
        sessions.setdefault(session, []).append(question)
    logged = Counter(tuple(qs) for qs in sessions.values())
    sent = Counter(tuple(r.sent) for r in runs if r.sent)
    return {"turns_sent": sum(len(r.sent) for r in runs), "rows": len(rows), "sessions": len(sessions),
            "sessions_sent": sum(sent.values()), "error_turns": sum(1 for *_, b in rows if b == "error"),
            "mismatched_sessions": sum(((logged - sent) + (sent - logged)).values())}


def _ms(values: list[float]) -> dict:
    if not values:
        return {"p50": float("nan"), "p95": float("nan")}
    return {"p50": 1000 * statistics.median(values), "p95": 1000 * percentile(values, 0.95)}


def level(url: str, pid: int, n: int, convs: list[list[str]], seconds: float) -> tuple[dict, list[ConvRun]]:
    """``n`` chats for ``seconds`` (turns in flight at the end finish); server CPU over the same span."""
    load, cpu, own = loadavg(), cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    runs = asyncio.run(drive(url, convs, n, seconds))
    wall = time.perf_counter() - started
    cpu, own = cpu_seconds(pid) - cpu, time.process_time() - own
    times = [t for r in runs for t in r.times]
    answers = len(times)
    return {
        "chats": n, "seconds": seconds, "wall_s": wall, "answers": answers,
        "answers_per_s": answers / wall if wall else 0.0,
        "first_words_ms": _ms([f for f, _ in times]), "full_answer_ms": _ms([t for _, t in times]),
        "errors": [r.error for r in runs if r.error],
        "server_cpu_s": cpu, "server_cpu_ms_per_answer": 1000 * cpu / answers if answers else float("nan"),
        # Cores the server kept busy. Its Python work holds one GIL (only torch and Chroma release it), so
        # near 1 core while answers queue points at the GIL, not at the machine.
        "server_cores_busy": cpu / wall if wall else 0.0, "bench_cpu_s": own,
        "load": [load, loadavg()],
    }, runs


def reference(url: str, convs: list[list[str]]) -> tuple[list[list[str]], dict]:
    """Each conversation once with one chat, nothing else running: the answers to compare with."""
    runs = asyncio.run(drive(url, convs, 1, None))
    bad = [r for r in runs if r.error or len(r.sent) != len(convs[r.conv])]
    if bad or len(runs) != len(convs):
        raise RuntimeError(f"reference run failed: {bad[0].error if bad else 'conversations missing'}")
    refs = [[plain(_text(m)) for m in r.chat or [] if m.get("role") == "assistant"] for r in runs]
    times = [t for r in runs for t in r.times]
    return refs, {"answers": len(times), "full_answer_ms": _ms([t for _, t in times])}


@contextmanager
def served(home: Path, stderr_path: Path):
    """`trialchat serve` on a free port; its stderr goes to a file (a pipe nobody reads could fill up)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with stderr_path.open("wb") as err:
        server = subprocess.Popen([str(BIN / "trialchat"), "--home", str(home), "serve", "--port", str(port)],
                                  env={**os.environ, **OFFLINE}, stdout=subprocess.DEVNULL, stderr=err)
        try:
            try:
                _wait_http(server, url)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc} {stderr_path.read_text(errors='replace')[-2000:]}") from None
            yield server, url
        finally:
            _stop(server)


def profiled(pid: int, seconds: float, out: Path | None) -> subprocess.Popen | None:
    """py-spy (if installed) samples the server through one level; it costs CPU, so only on request.
    Only the thread holding the GIL is sampled: the served app is GIL-bound, and threads waiting
    for it would otherwise show up wherever they happen to wait."""
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if out is None or spy is None:
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds) + 1), "--rate", "50",
                             "--format", "raw", "--output", str(out), "--nonblocking", "--gil"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def serve_part(home: Path, convs: list[list[str]], seconds: float, levels, profile: Path | None) -> dict:
    """Reference answers, then each level; correctness (cross-talk, the log) checked at every level."""
    log_path = Settings(home=home).log_path
    out: dict = {"load": [loadavg()], "levels": []}
    with served(home, home / "bench-serve-stderr.log") as (server, url):
        refs, out["reference"] = reference(url, convs)
        distinct = Counter(tuple(r) for r in refs)
        out["reference"]["distinct_conversations"] = sum(1 for r in refs if distinct[tuple(r)] == 1)
        for n in levels:
            mark = last_turn_id(log_path)
            spy = profiled(server.pid, seconds, profile) if n == (16 if 16 in levels else levels[-1]) else None
            result, runs = level(url, server.pid, n, convs, seconds)
            if spy is not None:
                spy.wait()
                result["profile"] = str(profile)
            result["cross_talk"] = check(runs, refs)
            result["swap_detected"] = swap_detected(runs, refs)
            result["log"] = log_check(log_path, mark, runs)
            apology = "answered with the apology (behavior 'error' in the log)"
            result["errors"] += [apology] * result["log"]["error_turns"]
            out["levels"].append(result)
        out["peak_rss_mb"] = _proc_status(server.pid, "VmHWM")
    out["load"].append(loadavg())
    return out


def local(*args, unset: tuple[str, ...] = ()) -> dict:
    """``python -m bench.concurrency_local args`` in a process of its own; its last line is JSON."""
    env = {k: v for k, v in {**os.environ, **OFFLINE}.items() if k not in unset}
    done = subprocess.run([sys.executable, "-m", "bench.concurrency_local", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"bench.concurrency_local {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(home: Path, seconds: float = 20.0, levels=LEVELS, profile: Path | None = None) -> dict:
    """The whole benchmark on one home: ingest, in-process parts, then the served levels."""
    subprocess.run([str(BIN / "trialchat"), "--home", str(home), "ingest", str(PROJECT_ROOT / "corpus" / "trials")],
                   check=True, capture_output=True, env={**os.environ, **OFFLINE}, cwd=PROJECT_ROOT)
    convs = conversations(TURNS)
    convs_file = home / "bench-conversations.json"
    convs_file.write_text(json.dumps(convs), encoding="utf-8")
    out: dict = {"conversations": len(convs), "turns": TURNS, "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                 "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}
    # Before serve starts: the assistant must not open the embedded store while serve has it open.
    out.update(local("warm", home, convs_file))
    # Encodes both under this shell's OpenMP wait policy and under the library default (spinning
    # threads), which is what `trialchat serve` gets when nobody sets it.
    out["threads"] = local("threads", max(2.0, seconds / 4))
    out["threads_default_wait"] = local("threads", max(2.0, seconds / 4), unset=("OMP_WAIT_POLICY",))
    out["serve"] = serve_part(home, convs, seconds, levels, profile)
    warm = out["warm"]["cpu_ms"]
    for result in out["serve"]["levels"]:
        result["cpu_ratio"] = result["server_cpu_ms_per_answer"] / warm["mean"]
        result["cpu_ratio_to_median"] = result["server_cpu_ms_per_answer"] / warm["p50"]
    return out


def table(r: dict) -> str:
    """A short plain-text summary of ``run``'s result."""
    warm, ten = r["warm"], r["ten_turns"]
    lines = [f"{r['conversations']} conversations of {r['turns']} turns; assistant warm CPU per answer "
             f"p50 {warm['cpu_ms']['p50']:.1f} ms, mean {warm['cpu_ms']['mean']:.1f} ms (by turn: "
             + ", ".join(f"{t['p50']:.0f}" for t in warm["cpu_ms_by_turn"]) + " ms)",
             "chats  answers/s  first words p50/p95  full answer p50/p95  server CPU/answer  x warm  errors  "
             "cross-talk  log mismatches  load start -> end"]
    for lv in r["serve"]["levels"]:
        lines.append(f"{lv['chats']:>5}  {lv['answers_per_s']:>9.1f}  {lv['first_words_ms']['p50']:>8.0f} / "
                     f"{lv['first_words_ms']['p95']:<7.0f}  {lv['full_answer_ms']['p50']:>8.0f} / "
                     f"{lv['full_answer_ms']['p95']:<7.0f}  {lv['server_cpu_ms_per_answer']:>14.1f} ms  "
                     f"{lv['cpu_ratio']:>6.1f}  {len(lv['errors']):>6}  {len(lv['cross_talk']):>10}  "
                     f"{lv['log']['mismatched_sessions']:>14}  {lv['load'][0]} -> {lv['load'][1]}")
    lines.append(f"10-turn conversation: 10th answer {ten['turns'][-1]['cpu_ms']:.1f} ms CPU vs 1st "
                 f"{ten['turns'][0]['cpu_ms']:.1f} ms = {ten['cpu_ratio']:.2f}x (the 10th question alone: "
                 f"{ten['last_alone_cpu_ms']:.1f} ms)")
    for key, policy in (("threads", r["omp_wait_policy"] or "unset"), ("threads_default_wait", "unset")):
        for t in r[key]["runs"]:
            lines.append(f"encode, OMP_WAIT_POLICY {policy}, torch threads {t['torch_threads']}, {t['callers']} "
                         f"callers: {t['encodes_per_s']:.0f}/s, p50 {t['p50_ms']:.1f} ms, p95 {t['p95_ms']:.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="Scratch TRIALCHAT_HOME (default: a temp folder).")
    parser.add_argument("--seconds", type=float, default=20.0, help="How long each level runs.")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="Concurrent chats per level.")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy raw (collapsed) stacks of the server during the 16-chat level (else the last).")
    args = parser.parse_args(argv)
    temp = None if args.home else Path(tempfile.mkdtemp(prefix="trialchat-concurrency-"))
    home = args.home or temp / "home"
    try:
        result = run(home.resolve(), args.seconds, [int(n) for n in args.levels.split(",")], args.profile)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    print(table(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
