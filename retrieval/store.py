"""ChromaDB access: embedded ``PersistentClient`` by default, ``HttpClient`` against a server.

All Chroma calls go through ``ChromaStore`` so that connection failures become
``StoreUnavailableError`` with the fix in the message, writes respect the server's maximum
batch size, and collections are always opened with aisle's registered embedding function
(never Chroma's downloading default).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import AisleError, NotFoundError, StoreUnavailableError

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.embeddings import SentenceEmbedder
    from retrieval.multilingual import MultilingualEmbedder

log = logging.getLogger(__name__)

PAGE = 5000


class ChromaStore:
    """Thin, typed wrapper over one Chroma client and aisle's collections."""

    def __init__(self, settings: Settings, embedder: SentenceEmbedder | MultilingualEmbedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()

    # --- connection ------------------------------------------------------------------------
    def describe(self) -> str:
        c = self.settings.chroma
        return f"Chroma server at http://{c.host}:{c.port}" if c.mode == "http" else f"Chroma at {self.settings.chroma_dir}"

    def _fix_hint(self) -> str:
        c = self.settings.chroma
        if c.mode == "http":
            return (
                f"start it with `chroma run --path {self.settings.chroma_dir} --host {c.host} --port {c.port}` "
                'or set chroma.mode = "persistent" (AISLE_CHROMA__MODE=persistent)'
            )
        return f"check that {self.settings.chroma_dir} is writable and not used by another Chroma version"

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except AisleError:
            raise
        except Exception as exc:  # chromadb raises ValueError, httpx errors, its own ChromaError…
            msg = str(exc)
            if "does not exist" in msg and "ollection" in msg:
                raise NotFoundError(f"{what}: {msg}") from exc
            if self.settings.chroma.mode == "http":
                self._client = None
                self._collections.clear()
            raise StoreUnavailableError(
                f"{what} failed: {self.describe()} is unavailable ({type(exc).__name__}: {msg[:200]}); {self._fix_hint()}"
            ) from exc

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        from aisle import offline

        offline.apply()
        import chromadb
        from chromadb.config import Settings as ChromaConfig

        cfg = ChromaConfig(anonymized_telemetry=False, allow_reset=False)
        c = self.settings.chroma
        with self._guard("connecting"):
            if c.mode == "http":
                return chromadb.HttpClient(host=c.host, port=c.port, settings=cfg)
            self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.settings.chroma_dir), settings=cfg)

    def heartbeat(self) -> bool:
        """True when Chroma answers; never raises."""
        try:
            with self._guard("heartbeat"):
                self.client.heartbeat()
            return True
        except AisleError:
            return False

    # --- collections -------------------------------------------------------------------------
    def _embedding_function(self) -> Any:
        """The registered Chroma embedding function of this store's embedder (the multilingual one brings its own)."""
        own = getattr(self.embedder, "chroma_function", None)
        if own is not None:
            return own()
        from retrieval.embeddings import chroma_embedding_function

        return chroma_embedding_function(self.embedder)

    def collection(self, name: str, create: bool = False) -> Any:
        """Open (or create) a collection with aisle's embedding function and cosine space."""
        if name in self._collections:
            return self._collections[name]
        ef = self._embedding_function()
        with self._guard(f"opening collection {name!r}"):
            if create:
                col = self.client.get_or_create_collection(
                    name, embedding_function=ef, configuration={"hnsw": {"space": "cosine"}}
                )
            else:
                try:
                    col = self.client.get_collection(name, embedding_function=ef)
                except Exception as exc:
                    if "does not exist" in str(exc) or "not found" in str(exc).lower():
                        raise self._missing(name) from exc
                    raise
        self._collections[name] = col
        return col

    def _missing(self, name: str) -> NotFoundError:
        """A missing collection, with the command that creates it (help-centre collections come from `ingest faq`)."""
        command = "aisle ingest faq" if "faq" in name else "aisle ingest products"
        return NotFoundError(
            f"collection {name!r} not found in {self.describe()}: run `{command}` (or `aisle setup`) to create it"
        )

    def has_collection(self, name: str) -> bool:
        with self._guard("listing collections"):
            names = [getattr(c, "name", c) for c in self.client.list_collections()]
        return name in names

    def count(self, name: str) -> int:
        with self._guard(f"counting {name!r}"):
            return int(self.collection(name).count())

    def drop(self, name: str) -> None:
        with self._guard(f"deleting collection {name!r}"):
            if self.has_collection(name):
                self.client.delete_collection(name)
        self._collections.pop(name, None)

    # --- writes --------------------------------------------------------------------------------
    def max_batch(self) -> int:
        with self._guard("reading max batch size"):
            return int(self.client.get_max_batch_size())

    def upsert(
        self,
        name: str,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        progress: bool = False,
    ) -> None:
        """Upsert in chunks no larger than the client's maximum batch size."""
        col = self.collection(name, create=True)
        step = max(1, min(self.max_batch(), 4096))
        starts = range(0, len(ids), step)
        if progress and len(ids) > step:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"writing {name}", unit="batch")
        for s in starts:
            e = s + step
            with self._guard(f"writing to {name!r}"):
                col.upsert(
                    ids=list(ids[s:e]), embeddings=embeddings[s:e], documents=list(documents[s:e]), metadatas=list(metadatas[s:e])
                )
        self.touch(name)

    def delete(self, name: str, ids: Sequence[str]) -> None:
        col = self.collection(name)
        step = max(1, self.max_batch())
        for s in range(0, len(ids), step):
            with self._guard(f"deleting from {name!r}"):
                col.delete(ids=list(ids[s : s + step]))
        self.touch(name)

    def touch(self, name: str) -> None:
        """Record a new catalog version so long-running searchers rebuild their lexical index."""
        col = self.collection(name)
        meta = dict(col.metadata or {})
        meta["aisle_version"] = f"{time.time():.6f}"
        meta.pop("hnsw:space", None)
        with self._guard(f"updating {name!r} metadata"):
            col.modify(metadata=meta)

    def version(self, name: str) -> str:
        """The collection's ``aisle_version`` as stored now (fetched fresh: another process may have ingested)."""
        with self._guard(f"reading {name!r} metadata"):
            try:
                col = self.client.get_collection(name, embedding_function=self._embedding_function())
            except Exception as exc:
                if "does not exist" in str(exc) or "not found" in str(exc).lower():
                    raise self._missing(name) from exc
                raise
        return str((col.metadata or {}).get("aisle_version", ""))

    # --- reads ---------------------------------------------------------------------------------
    def get(self, name: str, ids: Sequence[str], include: Sequence[str] = ("metadatas",)) -> dict[str, Any]:
        with self._guard(f"reading {name!r}"):
            return self.collection(name).get(ids=list(ids), include=list(include))

    def iter_all(self, name: str, include: Sequence[str] = ("metadatas",), page: int = PAGE) -> Iterator[dict[str, Any]]:
        """Page through a whole collection (memory stays bounded on large catalogs)."""
        col = self.collection(name)
        offset = 0
        while True:
            with self._guard(f"reading {name!r}"):
                res = col.get(include=list(include), limit=page, offset=offset)
            if not res["ids"]:
                return
            yield res
            offset += len(res["ids"])

    def existing_ids(self, name: str, ids: Sequence[str]) -> dict[str, str]:
        """``{id: stored content hash}`` for those of ``ids`` already in the collection."""
        if not self.has_collection(name):
            return {}
        out: dict[str, str] = {}
        step = max(1, min(self.max_batch(), 4096))
        for s in range(0, len(ids), step):
            res = self.get(name, ids[s : s + step])
            for pid, meta in zip(res["ids"], res["metadatas"]):
                out[pid] = str((meta or {}).get("hash", ""))
        return out

    def query(
        self, name: str, embedding: np.ndarray, n: int, where: dict[str, Any] | None
    ) -> tuple[list[str], list[float], list[dict[str, Any]]]:
        """Nearest neighbours by cosine; returns ids, similarities and metadatas."""
        col = self.collection(name)
        with self._guard(f"searching {name!r}"):
            total = col.count()
            if total == 0:
                return [], [], []
            res = col.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32)],
                n_results=min(n, total),
                where=where,
                include=["distances", "metadatas"],
            )
        ids = res["ids"][0]
        sims = [1.0 - float(d) for d in res["distances"][0]]
        return ids, sims, res["metadatas"][0]
