"""Building the retrieval stack from settings, sharing one embedder per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.embeddings import EmbedderCache, SentenceEmbedder
from retrieval.retriever import HybridRetriever, Reranker
from retrieval.store import ChromaStore

if TYPE_CHECKING:
    from aisle.settings import Settings


@dataclass
class RetrievalStack:
    embedder: SentenceEmbedder
    store: ChromaStore
    retriever: HybridRetriever


def build_stack(settings: Settings, embedders: EmbedderCache | None = None, reranker: Reranker | None = None) -> RetrievalStack:
    """Wire embedder → store → retriever. Nothing is loaded until first use."""
    embedder = (embedders or EmbedderCache()).get(settings.embedding)
    store = ChromaStore(settings, embedder)
    return RetrievalStack(embedder, store, HybridRetriever(settings, store, embedder, reranker))
