"""The Chroma store: open it, check it was built with our model, read and write chunks."""

from __future__ import annotations

import hashlib
import logging

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from .chunks import CHUNKER_VERSION
from .embedding import MODEL_ID
from .errors import StoreError
from .settings import Settings

logger = logging.getLogger(__name__)

INGEST_HINT = "run `trialchat ingest` to build it"


def open_client(settings: Settings):
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"chroma url '{settings.chroma_url}' is not http://HOST:PORT; fix --chroma-url")
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
            )
        except Exception as exc:  # chromadb raises several types for an unreachable server
            raise StoreError(f"cannot reach Chroma at {settings.chroma_url} ({exc}); start it or fix the url") from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"the store at {settings.chroma_dir} cannot be opened ({exc}); delete that folder and {INGEST_HINT}"
        ) from None


def corpus_hash(content_hashes: list[str]) -> str:
    return hashlib.sha256("".join(sorted(content_hashes)).encode()).hexdigest()[:16]


class Store:
    """One collection; its metadata records the embedding model and chunker that built it."""

    def __init__(self, settings: Settings, model_id: str = MODEL_ID):
        self.settings = settings
        self.model_id = model_id
        self.client = open_client(settings)

    def _expected_metadata(self) -> dict:
        return {"embed_model": self.model_id, "chunker": CHUNKER_VERSION}

    def collection(self, create: bool = False):
        name = self.settings.collection
        try:
            collection = self.client.get_collection(name, embedding_function=None)
        except Exception:
            if not create:
                raise StoreError(f"no trial store found ({name} in {self._where()}); {INGEST_HINT}") from None
            metadata = {"hnsw:space": "cosine", **self._expected_metadata()}
            return self.client.create_collection(name, metadata=metadata, embedding_function=None)
        found = collection.metadata or {}
        if found.get("embed_model") != self.model_id or found.get("chunker") != CHUNKER_VERSION:
            if create:
                return None  # the caller rebuilds
            raise StoreError(
                f"the store was built with model '{found.get('embed_model')}' (chunker "
                f"{found.get('chunker')}), but this run uses '{self.model_id}' (chunker {CHUNKER_VERSION}); "
                "re-run `trialchat ingest` to rebuild it"
            )
        return collection

    def _where(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_dir)

    def drop(self) -> None:
        try:
            self.client.delete_collection(self.settings.collection)
        except Exception:
            logger.debug("no collection to drop")

    def vector_store(self, collection) -> ChromaVectorStore:
        return ChromaVectorStore(chroma_collection=collection)

    @staticmethod
    def stored_hashes(collection) -> dict[str, dict]:
        """id -> {content_hash, trial_id} for every stored chunk."""
        got = collection.get(include=["metadatas"])
        return {
            cid: {"content_hash": meta.get("content_hash"), "trial_id": meta.get("trial_id")}
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
        }

    def state(self, collection) -> dict:
        meta = collection.metadata or {}
        return {"corpus_hash": meta.get("corpus_hash"), "chunks": collection.count()}

    def mark_complete(self, collection, hashes: list[str]) -> str:
        digest = corpus_hash(hashes)
        collection.modify(metadata={**self._expected_metadata(), "corpus_hash": digest})
        return digest

    def all_nodes(self, collection) -> list[TextNode]:
        nodes = self.vector_store(collection).get_nodes(node_ids=None)
        return [n for n in nodes if isinstance(n, TextNode)]
