"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from llama_index.core import VectorStoreIndex
from llama_index.core.node_parser import MarkdownNodeParser
from llama_index.core.schema import QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from .catalog import Catalog
from .vectors import QueryVectors

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG when imported, which floods every CLI run with index messages.
logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass
class Hit:
    chunk_id: str
    trial_id: str
    score: float  # fused reciprocal-rank score
    dense: float | None  # cosine similarity, when the dense retriever found it
    bm25: float | None


def _bm25_text(node: TextNode) -> TextNode:
    """BM25 sees the trial's name and conditions too, so 'kidney disease' finds every section."""
    meta = node.metadata
    text = f"{meta['title']}. {meta['short_name']}. {meta['conditions']}. {meta['section']}. {node.get_content()}"
    return TextNode(id_=node.id_, text=text, metadata={"trial_id": meta["trial_id"]})


class HybridRetriever:
    def __init__(self, catalog: Catalog, vector_store, embed_model, top_k: int = 8, rrf_k: int = 60,
                 queries: QueryVectors | None = None):
        self.catalog = catalog
        self.top_k = top_k
        self.rrf_k = rrf_k
        self.embed_model = embed_model
        self.queries = queries or QueryVectors(embed_model)
        # A read-only index never transforms nodes; naming a parser stops llama-index building its
        # default one, which loads a tiktoken vocabulary (about 1 s of every start).
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model,
                                                   transformations=[MarkdownNodeParser()])
        self.dense = index.as_retriever(similarity_top_k=top_k)
        nodes = [_bm25_text(n) for n in catalog.nodes]
        self.bm25 = (
            BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(top_k, len(nodes)))
            if nodes else None
        )

    def embed(self, query: str) -> list[float]:
        """The question's embedding, computed once per turn: the safety gate reads it too."""
        return self.queries(query)

    def retrieve(self, query: str, expanded: str, embedding: list[float] | None = None) -> list[Hit]:
        """Dense search on the question as asked; BM25 on the question with lay terms expanded."""
        dense = self.dense.retrieve(QueryBundle(query_str=query, embedding=embedding))
        sparse = self.bm25.retrieve(expanded) if self.bm25 else []
        fused: dict[str, Hit] = {}
        for rank, result in enumerate(dense):
            hit = fused.setdefault(result.node.node_id, self._hit(result.node.node_id))
            hit.dense = result.score
            hit.score += 1.0 / (self.rrf_k + rank + 1)
        for rank, result in enumerate(sparse):
            if not result.score or result.score <= 0:
                continue
            hit = fused.setdefault(result.node.node_id, self._hit(result.node.node_id))
            hit.bm25 = result.score
            hit.score += 1.0 / (self.rrf_k + rank + 1)
        return sorted((h for h in fused.values() if h.trial_id), key=lambda h: -h.score)

    def _hit(self, chunk_id: str) -> Hit:
        node = self.catalog.by_id.get(chunk_id)
        return Hit(chunk_id, node.metadata["trial_id"] if node else "", 0.0, None, None)


def ranked_trials(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.trial_id for h in hits))
