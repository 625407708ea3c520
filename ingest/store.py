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
from .errors import StoreError, StoreUnreachable
from .settings import Settings

logger = logging.getLogger(__name__)

INGEST_HINT = "run `trialchat ingest` to build it"
PAGE = 5000  # chunks read from Chroma per request
NODE_PAGE = 1000  # chunks read per request when every chunk is loaded (what Chroma allocates for a get stays)


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
            raise StoreUnreachable(unreachable_message(settings.chroma_url, exc)) from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"the store at {settings.chroma_dir} cannot be opened ({exc}); delete that folder and {INGEST_HINT}"
        ) from None


def unreachable_message(url: str, exc: Exception) -> str:
    return f"cannot reach Chroma at {url} ({type(exc).__name__}: {exc}); start it or fix the url"


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

    # Generations: ingest writes a complete new collection ("<name>__g<N>") and then flips one
    # pointer, so readers only ever see a finished store; a killed ingest leaves the old one live.
    @property
    def _pointer_name(self) -> str:
        return f"{self.settings.collection}__pointer"

    def active_name(self) -> str | None:
        try:
            pointer = self.client.get_collection(self._pointer_name, embedding_function=None)
        except Exception:
            # A store from before generations: one collection under the plain name.
            try:
                return self.client.get_collection(self.settings.collection, embedding_function=None).name
            except Exception:
                return None
        return (pointer.metadata or {}).get("active")

    def _check(self, collection, rebuild_ok: bool):
        found = collection.metadata or {}
        if found.get("embed_model") != self.model_id or found.get("chunker") != CHUNKER_VERSION:
            if rebuild_ok:
                return None  # the caller rebuilds
            raise StoreError(
                f"the store was built with model '{found.get('embed_model')}' (chunker "
                f"{found.get('chunker')}), but this run uses '{self.model_id}' (chunker {CHUNKER_VERSION}); "
                "re-run `trialchat ingest` to rebuild it"
            )
        return collection

    def check_reachable(self) -> None:
        """Raise StoreUnreachable when a Chroma server does not answer (an embedded store always does)."""
        if not self.settings.chroma_url:
            return
        try:
            self.client.heartbeat()
        except Exception as exc:
            raise StoreUnreachable(unreachable_message(self.settings.chroma_url, exc)) from None

    def collection(self, create: bool = False):
        """The live collection. With ``create``, None when there is none yet or it needs rebuilding.

        A server that does not answer raises StoreUnreachable, not "no store": it is not missing.
        """
        self.check_reachable()
        name = self.active_name()
        try:
            if name is None:
                raise LookupError(name)
            collection = self.client.get_collection(name, embedding_function=None)
        except Exception:
            self.check_reachable()  # the server went away between the two calls
            if create:
                return None
            raise StoreError(
                f"no trial store found ({self.settings.collection} in {self._where()}); {INGEST_HINT}"
            ) from None
        return self._check(collection, rebuild_ok=create)

    def staging(self):
        """The next generation's collection; reused (resumed) if a killed ingest left it behind."""
        active = self.active_name()
        generation = int(active.rsplit("__g", 1)[1]) + 1 if active and "__g" in active else 1
        name = f"{self.settings.collection}__g{generation}"
        metadata = {"hnsw:space": "cosine", **self._expected_metadata(), "complete": False}
        collection = self.client.get_or_create_collection(name, metadata=metadata, embedding_function=None)
        if self._check(collection, rebuild_ok=True) is None:
            self.client.delete_collection(name)
            collection = self.client.create_collection(name, metadata=metadata, embedding_function=None)
        return collection

    def flip(self, collection) -> None:
        """Make ``collection`` the live one: a single metadata write on the pointer."""
        pointer = self.client.get_or_create_collection(self._pointer_name, embedding_function=None)
        pointer.modify(metadata={"active": collection.name})

    def drop_old(self) -> None:
        """Delete generations older than the previous one: an app that has not noticed the flip yet
        (it re-checks every few seconds) still reads the previous generation safely."""
        active = self.active_name()
        if not active or "__g" not in active:
            return
        keep = {active, f"{self.settings.collection}__g{int(active.rsplit('__g', 1)[1]) - 1}"}
        prefix = f"{self.settings.collection}__g"
        for collection in self.client.list_collections():
            name = getattr(collection, "name", collection)
            if name.startswith(prefix) and name not in keep:
                self.client.delete_collection(name)

    def _where(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_dir)

    def copy(self, source, target, ids: list[str]) -> None:
        """Copy stored chunks (vectors included) between generations: unchanged chunks are never
        embedded again."""
        for start in range(0, len(ids), PAGE):
            got = source.get(ids=ids[start : start + PAGE], include=["embeddings", "metadatas", "documents"])
            if got["ids"]:
                target.add(ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"],
                           documents=got["documents"])

    def vector_store(self, collection) -> ChromaVectorStore:
        return ChromaVectorStore(chroma_collection=collection)

    @staticmethod
    def stored_hashes(collection) -> dict[str, dict]:
        """id -> {content_hash, trial_id} for every stored chunk."""
        out: dict[str, dict] = {}
        for offset in range(0, collection.count(), PAGE):  # in pages: a server caps one response
            got = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            out.update({
                cid: {"content_hash": meta.get("content_hash"), "trial_id": meta.get("trial_id")}
                for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
            })
        return out

    def state(self, collection) -> dict:
        meta = collection.metadata or {}
        return {"corpus_hash": meta.get("corpus_hash"), "chunks": collection.count()}

    def mark_complete(self, collection, hashes: list[str]) -> str:
        digest = corpus_hash(hashes)
        collection.modify(metadata={**self._expected_metadata(), "corpus_hash": digest, "complete": True})
        return digest

    @staticmethod
    def trial_passages(collection, trial_id: str) -> list[dict]:
        """One trial's stored chunks, in order: {id, section, text, metadata}."""
        got = collection.get(where={"trial_id": trial_id}, include=["documents", "metadatas"])
        rows = [{"id": cid, "section": (meta or {}).get("section"), "text": text, "metadata": meta or {}}
                for cid, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False)]
        return sorted(rows, key=lambda row: row["metadata"].get("position", 0))

    def all_nodes(self, collection) -> list[TextNode]:
        """Every chunk as a node, read a page at a time: one get of a 23,000-chunk store made Chroma
        allocate about 750 MB that the process kept (paged: about 60 MB)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        nodes: list[TextNode] = []
        offset = 0
        while True:
            got = collection.get(include=["metadatas", "documents"], limit=NODE_PAGE, offset=offset)
            if not got["ids"]:
                return [n for n in nodes if isinstance(n, TextNode)]
            offset += len(got["ids"])
            nodes += [metadata_dict_to_node(m, text=t) for m, t in zip(got["metadatas"], got["documents"], strict=True)]
