"""Two `trialchat ingest` processes on one store at once (issue 11): the second waits or fails with a
message, and the store ends as one corpus, never a mix."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.synthetic import write_corpus
from ingest.entries import iter_entries
from ingest.settings import Settings
from ingest.store import Store

TRIALCHAT = Path(sys.executable).parent / "trialchat"
FIXTURES = Path(__file__).parent / "fixtures" / "ctgov"


def stored_trials(home: Path) -> set[str]:
    store = Store(Settings(home=home))
    collection = store.collection()
    assert (collection.metadata or {}).get("complete") is True
    return {meta["trial_id"] for meta in store.stored_hashes(collection).values()}


def lock_is_held(path: Path) -> bool:
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_a_second_ingest_waits_or_fails_and_the_store_is_never_a_mix(tmp_path):
    home = tmp_path / "home"
    big = tmp_path / "big"
    write_corpus(big, 150)  # enough embedding work to keep the first ingest busy a while
    big_ids = {item.id for _, item in iter_entries([big])}
    env = {**os.environ, "TRIALCHAT_HOME": str(home), "OMP_WAIT_POLICY": "PASSIVE"}
    run = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}

    first = subprocess.Popen([str(TRIALCHAT), "ingest", str(big)], env=env, **run)
    deadline = time.monotonic() + 120
    while not lock_is_held(home / "ingest.lock"):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first ingest never took the lock"
        time.sleep(0.05)

    impatient = subprocess.run([str(TRIALCHAT), "ingest", str(FIXTURES)], env={**env, "TRIALCHAT_INGEST_WAIT": "0"},
                               timeout=300, **run)
    assert first.poll() is None, "the first ingest finished too early for this test"
    assert impatient.returncode == 1
    lines = impatient.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: another ingest of the store at") and f"pid {first.pid}" in lines[-1]
    assert "Traceback" not in impatient.stderr

    patient = subprocess.Popen([str(TRIALCHAT), "ingest", str(FIXTURES)], env={**env, "TRIALCHAT_INGEST_WAIT": "600"},
                               **run)
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, err
    assert out.startswith(f"{len(big_ids)} added")
    out2, err2 = patient.communicate(timeout=900)
    assert patient.returncode == 0, err2
    assert "Note: another ingest of" in err2 and "waiting up to 600 s" in err2
    fixture_ids = {item.id for _, item in iter_entries([FIXTURES])}
    assert out2.startswith(f"{len(fixture_ids)} added, 0 updated, 0 unchanged, {len(big_ids)} removed"), out2
    assert stored_trials(home) == fixture_ids  # the second corpus alone: nothing of the first is left
    assert not lock_is_held(home / "ingest.lock")
