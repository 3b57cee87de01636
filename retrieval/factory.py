"""Building the retrieval stack from settings, sharing one embedder per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.embeddings import EmbedderCache, SentenceEmbedder
from retrieval.multilingual import MultilingualEmbedder
from retrieval.rerank import reranker_for
from retrieval.retriever import HybridRetriever, Reranker
from retrieval.store import ChromaStore

if TYPE_CHECKING:
    from aisle.settings import Settings


@dataclass
class RetrievalStack:
    embedder: SentenceEmbedder
    store: ChromaStore
    retriever: HybridRetriever
    ml_store: ChromaStore | None = None  # the multilingual vectors (``multilingual.enabled``)

    @property
    def multilingual(self) -> MultilingualEmbedder | None:
        return self.ml_store.embedder if self.ml_store is not None else None  # type: ignore[return-value]


def build_multilingual_store(settings: Settings) -> ChromaStore | None:
    """The store of the multilingual collections (products, help centre), or None when disabled."""
    if not settings.multilingual.enabled:
        return None
    return ChromaStore(settings, MultilingualEmbedder(settings.multilingual))


def build_stack(settings: Settings, embedders: EmbedderCache | None = None, reranker: Reranker | None = None) -> RetrievalStack:
    """Wire embedder → store → retriever. Nothing is loaded until first use."""
    embedder = (embedders or EmbedderCache()).get(settings.embedding)
    store = ChromaStore(settings, embedder)
    ml_store = build_multilingual_store(settings)
    reranker = reranker or reranker_for(settings.retrieval.rerank)
    return RetrievalStack(embedder, store, HybridRetriever(settings, store, embedder, reranker, ml_store=ml_store), ml_store)
