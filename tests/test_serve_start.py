"""`trialchat serve` starts with only what the patient page needs (issue 15: cold start to the first answer)."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys

import pytest
from helpers import free_port

from ui.cli import starting_up

# Loaded by other commands (eval, staff, --llm), never needed to serve the patient page.
NOT_FOR_SERVING = ("evaluation", "ui.staff", "ui.staff_auth", "ui.staff_exports", "ui.staff_render",
                   "ui.staff_review", "ui.eval_tab", "matplotlib", "openai", "ollama", "llama_cpp",
                   "llama_index.llms.ollama", "llama_index.llms.openai", "llama_index.llms.openai_like",
                   "llama_index.llms.llama_cpp")

# The real `trialchat serve` in a fresh interpreter; a thread reports once the page answers on HTTP, and
# again after the first chat answer.
SERVE_AND_REPORT = """
import gc, json, os, sys, threading, time, urllib.request
from ui.cli import main

def report(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        try:
            opener.open(url, timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    started = {"modules": sorted(sys.modules), "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
    from gradio_client import Client
    reply = Client(url, verbose=False).predict("How many people are in the lupus nephritis study?", api_name="/chat")
    answer = str(reply[0][-1]["content"])
    print(json.dumps({**started, "answer": answer, "after_answer": sorted(sys.modules)}), flush=True)
    os._exit(0)

threading.Thread(target=report, args=(sys.argv[1],), daemon=True).start()
main(sys.argv[2:])
"""


def _eager(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_FOR_SERVING)]


@pytest.mark.server
def test_serve_loads_no_evaluation_staff_plotting_or_llm_client_before_its_first_answer(corpus_settings, home):
    shutil.copytree(corpus_settings.chroma_dir, home / "chroma")  # the shared store stays read-only
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    done = subprocess.run([sys.executable, "-c", SERVE_AND_REPORT, url, "--home", str(home), "serve", "--port",
                           str(port)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "336" in report["answer"] and "gradio" in report["modules"]  # it really served and answered
    assert _eager(report["modules"]) == []
    # gradio looks up matplotlib's backend around each event: with none set, that imports pyplot.
    assert "matplotlib.pyplot" not in report["after_answer"]
    assert [m for m in _eager(report["after_answer"]) if not m.startswith("matplotlib")] == []
    # Collection is back on once the app is built, and what start-up made is frozen.
    assert report["gc_enabled"] and report["frozen"] > 100_000


def test_start_up_collects_nothing_until_done_then_freezes_what_it_made():
    try:
        with starting_up():
            assert not gc.isenabled()
            made = [[] for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(made)
    finally:
        gc.unfreeze()
        gc.enable()
