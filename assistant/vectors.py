"""Example phrasings embedded once: unit vectors cached under the home folder by file and model."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def cache_key(*parts: bytes | str) -> str:
    """Names the cache for what changes the vectors: the examples file and the model."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
    return digest.hexdigest()[:16]


def example_vectors(texts: list[str], embed_model, cached: Path | None) -> np.ndarray:
    """The texts' unit vectors: read from ``cached`` when it matches, else embedded (and cached)."""
    if cached and cached.exists():
        try:
            vectors = np.load(cached)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable vector cache %s: %s", cached, exc)
    if embed_model is None or not texts:
        return np.zeros((0, 1), dtype=np.float32)
    vectors = unit(np.asarray(embed_model.get_text_embedding_batch(texts), dtype=np.float32))
    if cached:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(cached)
        except OSError as exc:  # a read-only home only costs the next start a re-embedding
            logger.warning("could not cache example vectors in %s: %s", cached, exc)
    return vectors


class QueryVectors:
    """Question embeddings by exact text, most recently used kept: a question asked again (an example
    question many patients click, a retry, a replayed chat) is not embedded again."""

    def __init__(self, embed_model, size: int = 4096):
        self.embed_model = embed_model
        self.size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def __call__(self, text: str) -> list[float]:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        vector = self.embed_model.get_query_embedding(text)  # outside the lock: encodes run side by side
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector
