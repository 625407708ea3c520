"""`trialchat serve` from the outside: cold start to first answer, peak RSS, 8 concurrent chat clients."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .latency import percentile

BIN = Path(sys.executable).parent
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "ANONYMIZED_TELEMETRY": "False", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
           "TRANSFORMERS_VERBOSITY": "error", "TQDM_DISABLE": "1"}
# Plain HTTP on 127.0.0.1, so no TLS: without ssl_verify=False every httpx call gradio_client makes
# loads the CA bundle into a new SSL context; with 32 chats that took half a core from the server.
CLIENT = {"verbose": False, "ssl_verify": False}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOAD_MODEL = ("import sentence_transformers\n"
              "from ingest.embedding import model_dir\n"
              "sentence_transformers.SentenceTransformer(model_dir(), device='cpu').encode('warm')\n")


def fresh_python(code: str) -> float:
    """Seconds from starting a fresh interpreter until ``code`` has run (its exit is not counted)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code + "print('ready', flush=True)\n"], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, **OFFLINE}, cwd=Path(__file__).resolve().parent.parent)
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    if child.wait() != 0 or line.strip() != "ready":
        raise RuntimeError(f"fresh python failed running {code!r}")
    return elapsed


def model_load_baseline() -> float:
    """A fresh interpreter imports sentence-transformers, loads the model and embeds once."""
    return fresh_python(LOAD_MODEL)


def stack_floor() -> float:
    """A fresh interpreter imports the served app's stack (gradio, llama-index, chromadb) and loads the model,
    as `serve` starts: without cyclic garbage collection (ui.cli.starting_up)."""
    return fresh_python("import gc\ngc.disable()\nimport ui.cli, ui.app\n" + LOAD_MODEL)


def _proc_status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ask(client, question: str) -> tuple[float, float]:
    """(seconds to the first streamed update, seconds to the final answer) for one chat turn."""
    started = time.perf_counter()
    job = client.submit(question, api_name="/chat")
    first = None
    for _ in job:  # each streamed update of the growing answer
        if first is None:
            first = time.perf_counter() - started
    job.result()
    total = time.perf_counter() - started
    return (first if first is not None else total), total


def cold_start(home: Path, question: str) -> dict:
    """Start `trialchat serve`, time HTTP up and the first answer (first update and final), stop it."""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    server = subprocess.Popen([str(BIN / "trialchat"), "--home", str(home), "serve", "--port", str(port)],
                              env={**os.environ, **OFFLINE}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_http(server, url)
        http = time.perf_counter() - started
        first, total = _ask(Client(url, **CLIENT), question)
        answered = time.perf_counter() - started
        return {"http_ready_s": http, "first_update_s": answered - total + first, "first_answer_s": answered}
    finally:
        _stop(server)


def _wait_http(server: subprocess.Popen, url: str) -> None:
    while True:
        if server.poll() is not None:
            detail = server.stderr.read().decode(errors="replace")[-2000:] if server.stderr else "(stderr not piped)"
            raise RuntimeError(f"serve exited: {detail}")
        try:
            LOCAL.open(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def _stop(server: subprocess.Popen) -> None:
    os.kill(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run(home: Path, questions: list[str], clients: int = 8, per_client: int = 6) -> dict:
    """Start `trialchat serve` on a free port; time the first answer; then load it with ``clients``."""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    server = subprocess.Popen([str(BIN / "trialchat"), "--home", str(home), "serve", "--port", str(port)],
                              env={**os.environ, **OFFLINE}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out: dict = {}
    try:
        _wait_http(server, url)
        out["http_ready_s"] = time.perf_counter() - started
        client = Client(url, **CLIENT)
        _ask(client, questions[0])
        out["first_answer_s"] = time.perf_counter() - started
        out["rss_after_first_answer_mb"] = _proc_status(server.pid, "VmRSS")

        firsts: list[float] = []
        totals: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def session(i: int) -> None:
            try:
                own = Client(url, **CLIENT)  # one Client is one chat session
                for k in range(per_client):
                    first, total = _ask(own, questions[(i * per_client + k) % len(questions)])
                    with lock:
                        firsts.append(first)
                        totals.append(total)
            except Exception as exc:  # reported, not raised: the numbers say how many answered
                with lock:
                    errors.append(repr(exc))

        threads = [threading.Thread(target=session, args=(i,)) for i in range(clients)]
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall
        out.update({
            "clients": clients, "answers": len(totals), "errors": errors[:3], "wall_s": wall,
            "answers_per_s": len(totals) / wall if wall else 0.0,
            "final_ms": {"p50": 1000 * statistics.median(totals), "p95": 1000 * percentile(totals, 0.95)},
            "first_update_ms": {"p50": 1000 * statistics.median(firsts), "p95": 1000 * percentile(firsts, 0.95)},
            "peak_rss_mb": _proc_status(server.pid, "VmHWM"),
        })
    finally:
        _stop(server)
    return out
