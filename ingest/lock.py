"""One ingest per store at a time.

The embedded store is locked with fcntl on HOME/ingest.lock (released by the OS if the process dies).
A Chroma server store, shared by several machines, holds a lease record in the store itself: a
collection whose metadata names the holder and when the lease expires; the holder renews it while it
works, so a killed ingest frees the store after LEASE_SECONDS.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import StoreError
from .settings import Settings

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
POLL_SECONDS = 0.5
Note = Callable[[str], None]


class IngestBusyError(StoreError):
    """Another ingest holds the store."""


@contextmanager
def ingest_lock(settings: Settings, note: Note | None = None) -> Iterator[None]:
    """Hold the store's ingest lock for the block; wait up to ``settings.ingest_wait`` seconds for it,
    saying so once through ``note``, then raise IngestBusyError."""
    if settings.chroma_url:
        with _lease(settings, note):
            yield
    else:
        with _file_lock(settings, note):
            yield


def _busy(where: str, holder: str, waited: float) -> IngestBusyError:
    return IngestBusyError(
        f"another ingest of the store at {where} is running ({holder}); waited {waited:.0f} s. "
        "Try again when it has finished, or set TRIALCHAT_INGEST_WAIT to wait longer")


@contextmanager
def _file_lock(settings: Settings, note: Note | None) -> Iterator[None]:
    import fcntl

    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / "ingest.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    started, told = time.monotonic(), False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(path)
                waited = time.monotonic() - started
                if waited >= settings.ingest_wait:
                    raise _busy(str(settings.chroma_dir), holder, waited) from None
                if not told and note:
                    note(f"another ingest of {settings.chroma_dir} is running ({holder}); "
                         f"waiting up to {settings.ingest_wait:.0f} s for it to finish")
                    told = True
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or "holder unknown"
    except OSError:
        return "holder unknown"


@contextmanager
def _lease(settings: Settings, note: Note | None) -> Iterator[None]:
    from .store import open_client

    client = open_client(settings)
    name = f"{settings.collection}__ingest_lease"
    me = f"pid {os.getpid()} on {socket.gethostname()} ({uuid.uuid4().hex[:8]})"
    started, told = time.monotonic(), False

    def record():
        return client.get_or_create_collection(name, embedding_function=None)

    def write(holder: str, expires: float) -> None:
        record().modify(metadata={"holder": holder, "expires": expires})

    while True:
        meta = record().metadata or {}
        holder, expires = meta.get("holder") or "", float(meta.get("expires") or 0)
        if not holder or expires < time.time() or holder == me:
            write(me, time.time() + LEASE_SECONDS)
            time.sleep(POLL_SECONDS)  # two writers at once: the last write wins, the other sees it here
            if (record().metadata or {}).get("holder") == me:
                break
            continue
        waited = time.monotonic() - started
        if waited >= settings.ingest_wait:
            raise _busy(settings.chroma_url or "", holder, waited)
        if not told and note:
            note(f"another ingest of {settings.chroma_url} is running ({holder}); "
                 f"waiting up to {settings.ingest_wait:.0f} s for it to finish")
            told = True
        time.sleep(POLL_SECONDS)

    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE_SECONDS / 3):
            try:
                write(me, time.time() + LEASE_SECONDS)
            except Exception:  # the server is briefly away; the ingest's own calls will say so
                logger.warning("could not renew the ingest lease on %s", settings.chroma_url)

    renewer = threading.Thread(target=renew, daemon=True, name="trialchat-ingest-lease")
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=5)
        try:
            if (record().metadata or {}).get("holder") == me:
                write("", 0.0)
        except Exception:
            logger.warning("could not release the ingest lease on %s; it expires in %.0f s",
                           settings.chroma_url, LEASE_SECONDS)
