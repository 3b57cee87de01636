"""The one embedding path: a lazily loaded sentence-transformers model behind ``Embedder``.

Ingest, search, evaluation and Chroma's registered embedding function all go through this
class, so documents and queries are always encoded the same way. On CUDA it runs in
half precision over length-bucketed batches sized by a token budget; on CPU it is plain
``SentenceTransformer.encode``. Query embeddings are cached (shoppers repeat themselves,
and refinements re-run the same query).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from aisle.models import load_sentence_transformer, pick_device, resolve_model_path

if TYPE_CHECKING:
    from aisle.settings import EmbeddingSettings

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What retrieval needs from an encoder: unit-length vectors for documents and queries."""

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceEmbedder:
    """sentence-transformers encoder with lazy, idempotent, thread-safe loading."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self._model: Any = None
        self._device: str | None = None
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    # --- loading -------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load the model once; later calls return immediately."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            path = resolve_model_path(self.settings.model)
            device = pick_device(self.settings.device)
            model = load_sentence_transformer(path, device, self.settings.max_seq_length, "embedding model")
            precision = self.settings.precision
            if device == "cuda" and precision in ("auto", "bf16", "fp16"):
                import torch

                dtype = torch.float16 if precision == "fp16" else torch.bfloat16
                model = model.to(dtype)
            model.eval()
            self._device = device
            self._model = model

    @property
    def device(self) -> str:
        self.warm_up()
        assert self._device is not None
        return self._device

    @property
    def dimension(self) -> int:
        self.warm_up()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def model_name(self) -> str:
        return self.settings.model

    # --- encoding ------------------------------------------------------------------------
    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Encode many texts into an ``(n, d)`` float32 array of unit vectors."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._device == "cuda":
            from retrieval.gpu import encode_bucketed

            return encode_bucketed(self._model, list(texts), self.settings.gpu_token_budget, progress=progress)
        with self._encode_lock:  # the fast tokenizer is not safe under concurrent use
            vectors = self._model.encode(
                list(texts),
                batch_size=self.settings.batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Encode one query; repeated queries come from an LRU cache."""
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        self.warm_up()
        with self._encode_lock:
            raw = self._model.encode([text], batch_size=1, convert_to_numpy=True, normalize_embeddings=True)[0]
        vec = np.asarray(raw, dtype=np.float32)
        if self.settings.query_cache_size:
            self._cache[text] = vec
            if len(self._cache) > self.settings.query_cache_size:
                self._cache.popitem(last=False)
        return vec


class EmbedderCache:
    """One embedder per distinct settings, shared by every component of a process.

    Keyed by the full settings (not just the model name), so two configurations that differ
    in device or precision never share a model by accident.
    """

    def __init__(self) -> None:
        self._items: dict[str, SentenceEmbedder] = {}
        self._lock = threading.Lock()

    def get(self, settings: EmbeddingSettings) -> SentenceEmbedder:
        key = settings.model_dump_json()
        with self._lock:
            if key not in self._items:
                self._items[key] = SentenceEmbedder(settings)
            return self._items[key]


def chroma_embedding_function(embedder: SentenceEmbedder) -> Any:
    """The registered Chroma embedding function wrapping ``embedder`` (see ``retrieval.chroma_ef``)."""
    from retrieval.chroma_ef import AisleEmbeddingFunction

    return AisleEmbeddingFunction(embedder=embedder)
