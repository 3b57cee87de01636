"""Hybrid retrieval over products and FAQ entries: dense (Chroma) fused with BM25.

``HybridRetriever`` is the one search component the agent, the CLI and the evaluation use.
Products: the query is parsed into text + filters; filters go into Chroma's ``where`` for
the dense side and into an identical mask for BM25; the two rankings are fused (RRF by
default); every hit carries a ``MatchExplanation``. An optional ``Reranker`` can reorder
the fused list.

The lexical side needs the catalog in memory. It is loaded from Chroma (so replicas
sharing a Chroma server all see the same catalog), rebuilt when an ingest bumps the
collection's version, and snapshotted to ``AISLE_HOME/cache`` so that search degrades to
lexical-only, instead of failing, when Chroma is unreachable.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from aisle.errors import AisleError, InputError, NotFoundError, StoreUnavailableError
from aisle.text import tokenize
from retrieval.filters import FacetTable, satisfied, to_where
from retrieval.fusion import min_max_fusion, reciprocal_rank_fusion, top
from retrieval.lexical import BM25Index
from retrieval.query import CatalogVocabulary, ParsedQuery, parse_query
from retrieval.schema import FaqEntry, FaqHit, MatchExplanation, Product, ProductHit, SearchFilters

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.embeddings import SentenceEmbedder
    from retrieval.store import ChromaStore

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
VERSION_CHECK_S = 10.0


class Reranker(Protocol):
    """Optional second stage: reorder (and possibly drop) fused hits for a query."""

    def __call__(self, query: str, hits: list[ProductHit]) -> list[ProductHit]: ...


@dataclass
class ProductSearch:
    """Result of a product search: hits plus what the query was understood as."""

    hits: list[ProductHit]
    query: ParsedQuery
    degraded: bool = False  # True when Chroma was unreachable and only BM25 ran


@dataclass
class CatalogIndex:
    """In-memory view of one collection: records, BM25, facets and vocabulary."""

    version: str
    ids: list[str]
    records: list[Product]
    bm25: BM25Index
    facets: FacetTable
    vocabulary: CatalogVocabulary
    row: dict[str, int] = field(default_factory=dict)
    vectors: np.ndarray | None = None  # unit vectors aligned with ``ids`` (for exact filtered search)

    @classmethod
    def build(cls, version: str, products: list[Product], vectors: np.ndarray | None = None) -> CatalogIndex:
        ids = [p.id for p in products]
        return cls(
            version=version,
            ids=ids,
            records=products,
            bm25=BM25Index.build([p.lexical_text() for p in products]),
            facets=FacetTable.build([p.to_metadata() for p in products], ids),
            vocabulary=CatalogVocabulary.build((p.brand, p.title, p.category_path) for p in products),
            row={pid: i for i, pid in enumerate(ids)},
            vectors=vectors,
        )


@dataclass
class FaqIndex:
    version: str
    entries: list[FaqEntry]
    bm25: BM25Index
    row: dict[str, int] = field(default_factory=dict)


class HybridRetriever:
    """Search products and FAQ entries. Construct cheaply; indexes load on first use."""

    def __init__(
        self,
        settings: Settings,
        store: ChromaStore,
        embedder: SentenceEmbedder,
        reranker: Reranker | None = None,
        ml_store: ChromaStore | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.reranker = reranker
        self.ml_store = ml_store  # multilingual vectors of the same products and articles (non-English queries)
        self._catalog: CatalogIndex | None = None
        self._faq: FaqIndex | None = None
        self._ml_vectors: tuple[str, np.ndarray, np.ndarray] | None = None  # (catalog version, vectors, has-vector mask)
        self._ml_faq: tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._ml_warned = False
        self._checked_at = 0.0
        self._lock = threading.RLock()

    # --- index lifecycle -----------------------------------------------------------------------
    @property
    def _products_name(self) -> str:
        return self.settings.chroma.products_collection

    @property
    def _faq_name(self) -> str:
        return self.settings.chroma.faq_collection

    def _snapshot_path(self, name: str):
        return self.settings.home / "cache" / f"{name}.jsonl.gz"

    def _load_records(self, name: str, with_vectors: bool = False) -> tuple[str, list[dict], np.ndarray | None]:
        version = self.store.version(name)
        records: list[dict] = []
        vectors: list[Any] = []
        include = ("metadatas", "embeddings") if with_vectors else ("metadatas",)
        for page in self.store.iter_all(name, include=include):
            records += [json.loads(m["json"]) for m in page["metadatas"]]
            if with_vectors:
                vectors += list(page["embeddings"])
        matrix = np.asarray(vectors, dtype=np.float32) if with_vectors and vectors else None
        snap = self._snapshot_path(name)
        try:
            snap.parent.mkdir(parents=True, exist_ok=True)
            tmp = snap.with_suffix(".tmp")
            with gzip.open(tmp, "wt", encoding="utf-8") as fh:
                fh.write(json.dumps({"version": version}) + "\n")
                for r in records:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            tmp.replace(snap)
        except OSError as exc:  # a full disk must not break search
            log.warning("could not write catalog snapshot %s: %s", snap, exc)
        return version, records, matrix

    def _load_snapshot(self, name: str) -> tuple[str, list[dict]] | None:
        snap = self._snapshot_path(name)
        if not snap.exists():
            return None
        try:
            with gzip.open(snap, "rt", encoding="utf-8") as fh:
                version = json.loads(fh.readline())["version"]
                return version, [json.loads(line) for line in fh if line.strip()]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("catalog snapshot %s is unreadable: %s", snap, exc)
            return None

    def _records_or_snapshot(self, name: str, with_vectors: bool = False) -> tuple[str, list[dict], np.ndarray | None]:
        """Records (and vectors) from Chroma, or from the local snapshot (no vectors) when Chroma is unusable."""
        try:
            return self._load_records(name, with_vectors)
        except (StoreUnavailableError, NotFoundError):
            snap = self._load_snapshot(name)
            if snap is None:
                raise
            log.warning(
                "Chroma unavailable or collection missing; serving %s from the local snapshot (lexical search only)", name
            )
            return snap[0], snap[1], None

    def catalog(self) -> CatalogIndex:
        """The product index, rebuilt when the collection's version changed (checked every few seconds)."""
        with self._lock:
            now = time.monotonic()
            if self._catalog is not None and now - self._checked_at < VERSION_CHECK_S:
                return self._catalog
            self._checked_at = now
            if self._catalog is not None:
                try:
                    if self.store.version(self._products_name) == self._catalog.version:
                        return self._catalog
                except AisleError:
                    return self._catalog  # keep serving what we have
            version, records, vectors = self._records_or_snapshot(
                self._products_name, with_vectors=self.settings.retrieval.exact_search_max_rows > 0
            )
            products = [Product.from_dict(r) for r in records]
            log.info("built product index: %d products", len(products))
            self._catalog = CatalogIndex.build(version, products, vectors)
            return self._catalog

    def faq_index(self) -> FaqIndex:
        with self._lock:
            if self._faq is not None:
                return self._faq
            version, records, _ = self._records_or_snapshot(self._faq_name)
            entries = [FaqEntry(**r) for r in records]
            self._faq = FaqIndex(
                version, entries, BM25Index.build([e.lexical_text() for e in entries]), {e.id: i for i, e in enumerate(entries)}
            )
            return self._faq

    def warm_up(self) -> None:
        self.embedder.warm_up()
        self.catalog()

    def warm_up_multilingual(self) -> None:
        """Load the multilingual encoder and vectors now (else the first non-English search pays ~0.5 s)."""
        if self.ml_store is None:
            return
        self.ml_store.embedder.warm_up()
        cat = self.catalog()
        if self.settings.retrieval.exact_search_max_rows > 0:
            self._ml_catalog_vectors(cat)
        try:
            self._ml_faq_vectors(self.faq_index())
        except (StoreUnavailableError, NotFoundError) as exc:
            self._ml_missing("help-centre collection", exc)

    def refresh(self) -> None:
        """Forget the in-memory indexes (after an ingest in this process)."""
        with self._lock:
            self._catalog = None
            self._faq = None
            self._ml_vectors = None
            self._ml_faq = None

    # --- multilingual vectors ---------------------------------------------------------------------
    def uses_multilingual(self, query: str, multilingual: bool | None) -> bool:
        """``multilingual=None`` decides by the query's script (letters the English encoder cannot read)."""
        if self.ml_store is None:
            return False
        if multilingual is None:
            from retrieval.multilingual import needs_multilingual

            return needs_multilingual(query)
        return multilingual

    def _ml_missing(self, what: str, exc: Exception) -> None:
        if not self._ml_warned:
            log.warning(
                "multilingual %s unavailable (%s); non-English searches use the glossary and the English index only. "
                "Run `aisle ingest products` (multilingual.catalog_vectors = true) to build it",
                what,
                exc,
            )
            self._ml_warned = True

    def _ml_catalog_vectors(self, cat: CatalogIndex) -> tuple[np.ndarray, np.ndarray] | None:
        """The multilingual product vectors aligned with ``cat.ids`` (loaded once per catalog version)."""
        assert self.ml_store is not None
        with self._lock:
            if self._ml_vectors is not None and self._ml_vectors[0] == cat.version:
                return self._ml_vectors[1], self._ml_vectors[2]
            name = self.settings.multilingual.products_collection
            matrix = np.zeros((len(cat.ids), self.ml_store.embedder.dimension), dtype=np.float32)
            present = np.zeros(len(cat.ids), dtype=bool)
            try:
                for page in self.ml_store.iter_all(name, include=("embeddings",)):
                    for pid, vec in zip(page["ids"], page["embeddings"]):
                        row = cat.row.get(pid)
                        if row is not None:
                            matrix[row] = vec
                            present[row] = True
            except (StoreUnavailableError, NotFoundError) as exc:
                self._ml_missing("product collection", exc)
                return None
            if not present.any():
                self._ml_missing("product collection", NotFoundError(f"{name!r} is empty"))
                return None
            self._ml_vectors = (cat.version, matrix, present)
            return matrix, present

    def _ml_dense(self, cat: CatalogIndex, text: str, f: SearchFilters, mask: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Multilingual dense candidates: the same planner as ``_dense`` (exact in memory for selective
        filters, Chroma's filtered search otherwise) over the multilingual collection."""
        assert self.ml_store is not None
        query = self.ml_store.embedder.embed_query(text)
        limit = self.settings.retrieval.exact_search_max_rows
        loaded = self._ml_catalog_vectors(cat) if limit > 0 else None
        if loaded is not None and int(mask.sum()) <= limit:
            vectors, present = loaded
            rows = np.flatnonzero(mask & present)
            if rows.size == 0:
                return []
            sims = vectors[rows] @ query
            order = np.argsort(-sims)[:n]
            return [(cat.ids[rows[i]], float(sims[i])) for i in order]
        ids, sims, _ = self.ml_store.query(self.settings.multilingual.products_collection, query, n, to_where(f))
        return list(zip(ids, sims))

    def _ml_faq_vectors(self, idx: FaqIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The articles' multilingual vectors: passages aligned with ``idx.entries``, and the title/sample-question
        vectors with the entry row each belongs to. Embedded now (and stored) if the collection lacks them."""
        from retrieval.ingest import faq_multilingual_rows

        assert self.ml_store is not None
        with self._lock:
            if self._ml_faq is not None and self._ml_faq[0] == idx.version:
                return self._ml_faq[1]
            name = self.settings.multilingual.faq_collection
            rows = faq_multilingual_rows(idx.entries)
            vectors: dict[str, np.ndarray] = {}
            try:
                for page in self.ml_store.iter_all(name, include=("embeddings",)):
                    vectors.update(zip(page["ids"], (np.asarray(v, dtype=np.float32) for v in page["embeddings"])))
            except (StoreUnavailableError, NotFoundError):
                vectors = {}
            missing = [i for i in rows if i not in vectors]
            if missing:  # an older store (ingested before the multilingual collection existed): embed the articles now
                from retrieval.ingest import sync_multilingual

                try:
                    import hashlib

                    sync_multilingual(
                        self.ml_store,
                        name,
                        {i: rows[i] for i in missing},
                        {i: hashlib.sha1(rows[i][0].encode()).hexdigest() for i in missing},
                        prune=False,
                    )
                    got = self.ml_store.get(name, missing, include=("embeddings",))
                    vectors.update(zip(got["ids"], (np.asarray(v, dtype=np.float32) for v in got["embeddings"])))
                except (StoreUnavailableError, NotFoundError) as exc:
                    raise StoreUnavailableError(f"multilingual help-centre vectors unavailable: {exc}") from exc
            row_of = {e.id: r for r, e in enumerate(idx.entries)}
            passages = np.stack([vectors[e.id] for e in idx.entries]).astype(np.float32)
            q_ids = [i for i, (_, meta, _) in rows.items() if meta["kind"] == "question"]
            questions = np.stack([vectors[i] for i in q_ids]).astype(np.float32)
            owner = np.array([row_of[rows[i][1]["entry"]] for i in q_ids])
            self._ml_faq = (idx.version, (passages, questions, owner))
            return passages, questions, owner

    def _ml_faq_scores(self, idx: FaqIndex, query: str) -> np.ndarray:
        """Per article: the mean of the question's cosine to the article (passage) and to its closest title/sample
        question. On the hand-written Chinese utterances the right article comes first for 75 % of them this
        way, against 60 % with the passage alone."""
        assert self.ml_store is not None
        passages, questions, owner = self._ml_faq_vectors(idx)
        q = self.ml_store.embedder.embed_query(query)
        best_question = np.full(len(passages), -1.0, dtype=np.float32)
        np.maximum.at(best_question, owner, questions @ q)
        return (passages @ q + best_question) / 2

    # --- products --------------------------------------------------------------------------------
    def get_products(self, ids: list[str]) -> list[Product]:
        """Products by id, in the given order; unknown ids raise ``NotFoundError``."""
        cat = self.catalog()
        missing = [i for i in ids if i not in cat.row]
        if missing:
            raise NotFoundError(f"unknown product id(s): {', '.join(missing[:5])}")
        return [cat.records[cat.row[i]] for i in ids]

    def parse(self, query: str, filters: SearchFilters | None = None) -> ParsedQuery:
        return parse_query(query, self.catalog().vocabulary, filters)

    def search_products(
        self,
        query: str,
        filters: SearchFilters | None = None,
        k: int | None = None,
        mode: Mode = "hybrid",
        parse: bool = True,
        multilingual: bool | None = None,
    ) -> ProductSearch:
        """Ranked products for ``query`` under ``filters`` (plus filters parsed from the text).

        A non-English query (``multilingual=None``: decided by its script) also gets a third
        ranking, the multilingual encoder's, from the query as written (price phrase removed),
        fused with the English dense and BM25 rankings of its glossary translation.
        """
        query = (query or "").strip()
        limit = self.settings.retrieval.max_query_chars
        if len(query) > limit:
            raise InputError(f"query is too long ({len(query)} characters); the limit is {limit}")
        if not query and (filters is None or filters.is_empty()):
            raise InputError('empty query: type what you are looking for, e.g. "red sandals under 500"')
        k = k or self.settings.retrieval.top_k
        cat = self.catalog()
        parsed = parse_query(query, cat.vocabulary, filters) if parse else ParsedQuery(query, filters or SearchFilters())
        f = parsed.filters
        terms = parsed.terms
        n_cand = max(self.settings.retrieval.candidates, k + len(f.exclude_ids))
        excluded = set(f.exclude_ids)

        dense: dict[str, float] = {}
        dense_rank: list[str] = []
        degraded = False
        mask = cat.facets.mask(f)
        if mode in ("hybrid", "dense") and parsed.text:
            try:
                for pid, s in self._dense(cat, self.embedder.embed_query(parsed.text), f, mask, n_cand):
                    if pid not in excluded and pid in cat.row:
                        dense[pid] = s
                        dense_rank.append(pid)
            except (StoreUnavailableError, NotFoundError):
                if mode == "dense":
                    raise
                log.warning("dense search unavailable; falling back to lexical only")
                degraded = True

        ml_rank: list[str] = []
        ml_text = parsed.source_text or query
        if mode in ("hybrid", "dense") and ml_text and self.uses_multilingual(ml_text, multilingual):
            try:
                for pid, _s in self._ml_dense(cat, ml_text, f, mask, n_cand):
                    if pid not in excluded and pid in cat.row:
                        ml_rank.append(pid)
            except (StoreUnavailableError, NotFoundError) as exc:
                self._ml_missing("product search", exc)

        lexical: dict[str, float] = {}
        lexical_rank: list[str] = []
        if mode in ("hybrid", "lexical") and terms:
            scores = cat.bm25.scores(terms)
            scores = np.where(mask, scores, 0.0)
            order = np.argsort(-scores)[:n_cand]
            for i in order:
                if scores[i] <= 0:
                    break
                pid = cat.ids[i]
                if pid not in excluded:
                    lexical[pid] = float(scores[i])
                    lexical_rank.append(pid)

        if ml_rank:
            ml_weight = self.settings.multilingual.dense_weight
            if mode == "dense":
                fused = reciprocal_rank_fusion([dense_rank, ml_rank], [1.0, ml_weight], self.settings.retrieval.rrf_k)
            else:
                fused = reciprocal_rank_fusion(
                    [dense_rank, lexical_rank, ml_rank],
                    [self.settings.retrieval.dense_weight, self.settings.retrieval.lexical_weight, ml_weight],
                    self.settings.retrieval.rrf_k,
                )
        elif mode == "dense":
            fused = {pid: s for pid, s in dense.items()}
        elif mode == "lexical" or (degraded and not dense):
            fused = dict(lexical)
        elif self.settings.retrieval.fusion == "score":
            fused = min_max_fusion(
                [dense, lexical], [self.settings.retrieval.dense_weight, self.settings.retrieval.lexical_weight]
            )
        else:
            fused = reciprocal_rank_fusion(
                [dense_rank, lexical_rank],
                [self.settings.retrieval.dense_weight, self.settings.retrieval.lexical_weight],
                self.settings.retrieval.rrf_k,
            )
        if not fused and not parsed.text:
            # filters only ("something red under 500"): best-rated, then cheapest, matches
            rows = [i for i in np.flatnonzero(mask) if cat.ids[i] not in excluded]
            rows.sort(key=lambda i: (-(cat.records[i].rating or 0), cat.records[i].price or 1e18, cat.ids[i]))
            fused = {cat.ids[i]: 1.0 / (1 + r) for r, i in enumerate(rows[:n_cand])}

        d_pos = {pid: r for r, pid in enumerate(dense_rank, start=1)}
        l_pos = {pid: r for r, pid in enumerate(lexical_rank, start=1)}
        hits: list[ProductHit] = []
        for pid, score in top(fused, n_cand if self.reranker else k):
            row = cat.row[pid]
            product = cat.records[row]
            why = MatchExplanation(
                matched_terms=cat.bm25.matched_terms(row, terms),
                matched_filters=satisfied(product, f),
                dense_score=dense.get(pid),
                lexical_score=lexical.get(pid),
                fused_score=score,
                dense_rank=d_pos.get(pid),
                lexical_rank=l_pos.get(pid),
            )
            hits.append(ProductHit(product, score, why))
        if self.reranker is not None:
            hits = self.reranker(parsed.text, hits)[:k]
        return ProductSearch(hits=hits, query=parsed, degraded=degraded)

    def _dense(self, cat: CatalogIndex, query: np.ndarray, f: SearchFilters, mask: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Dense candidates for a query vector, planned: a selective filter is scored exactly in memory, otherwise Chroma.

        Chroma's filtered HNSW search slows down sharply as filters get selective (p50 11 ms at
        10k, 90 ms at 100k, 1.1 s at 1M vectors for a 3 % filter; ``aisle bench query``) while
        exact scoring of the matching rows takes 0.05 / 1.2 / 22 ms and loses no recall.
        Unfiltered and broad queries stay in Chroma, filters pushed into ``where``.
        """
        limit = self.settings.retrieval.exact_search_max_rows
        if cat.vectors is not None and not f.is_empty() and int(mask.sum()) <= limit:
            rows = np.flatnonzero(mask)
            if rows.size == 0:
                return []
            sims = cat.vectors[rows] @ query
            order = np.argsort(-sims)[:n]
            return [(cat.ids[rows[i]], float(sims[i])) for i in order]
        ids, sims, _ = self.store.query(self._products_name, query, n, to_where(f))
        return list(zip(ids, sims))

    def similar_products(self, product_id: str, k: int = 5, filters: SearchFilters | None = None) -> list[ProductHit]:
        """Nearest neighbours of a product's own vector (excluding itself), under ``filters``."""
        cat = self.catalog()
        if cat.vectors is not None and product_id in cat.row:
            vector = cat.vectors[cat.row[product_id]]
        else:
            res = self.store.get(self._products_name, [product_id], include=["embeddings"])
            if not res["ids"]:
                raise NotFoundError(f"unknown product id: {product_id}")
            vector = np.asarray(res["embeddings"][0], dtype=np.float32)
        f = filters or SearchFilters()
        f = SearchFilters(**{**f.to_dict(), "exclude_ids": [*f.exclude_ids, product_id]})
        out: list[ProductHit] = []
        for pid, s in self._dense(cat, vector, f, cat.facets.mask(f), k + len(f.exclude_ids)):
            if pid in f.exclude_ids or pid not in cat.row:
                continue
            product = cat.records[cat.row[pid]]
            out.append(
                ProductHit(product, s, MatchExplanation(matched_filters=satisfied(product, f), dense_score=s, fused_score=s))
            )
        return out[:k]

    # --- FAQ ---------------------------------------------------------------------------------------
    def search_faq(
        self, query: str, k: int = 3, intent: str | None = None, mode: Mode = "hybrid", multilingual: bool | None = None
    ) -> list[FaqHit]:
        """FAQ entries for ``query``. ``score`` is the dense cosine (the confidence the agent thresholds).

        When the router's ``intent`` is one an entry is written for, that entry is boosted:
        the classifier has seen far more phrasings than the FAQ's sample questions. A
        non-English question (``multilingual=None``: decided by its script) is matched across
        languages by the multilingual encoder; its ``score`` is then that encoder's cosine,
        which lives on another scale (``multilingual.faq_min_score``).
        """
        query = (query or "").strip()
        if not query:
            raise InputError("empty question")
        query = query[: self.settings.retrieval.max_query_chars]
        idx = self.faq_index()
        terms = tokenize(query)
        dense: dict[str, float] = {}
        dense_rank: list[str] = []
        ml_used = False
        if mode in ("hybrid", "dense") and self.uses_multilingual(query, multilingual):
            try:
                sims = self._ml_faq_scores(idx, query)
                order = np.argsort(-sims)[: min(20, len(idx.entries))]
                dense = {idx.entries[i].id: float(sims[i]) for i in order}
                dense_rank = [idx.entries[i].id for i in order]
                ml_used = True
            except (StoreUnavailableError, NotFoundError) as exc:
                self._ml_missing("help-centre collection", exc)
        if mode in ("hybrid", "dense") and not ml_used:
            try:
                ids, sims, _ = self.store.query(self._faq_name, self.embedder.embed_query(query), min(20, len(idx.entries)), None)
                dense = dict(zip(ids, sims))
                dense_rank = list(ids)
            except (StoreUnavailableError, NotFoundError):
                if mode == "dense":
                    raise
        lexical_rank: list[str] = []
        lexical: dict[str, float] = {}
        if mode in ("hybrid", "lexical") and terms:
            scores = idx.bm25.scores(terms)
            for i in np.argsort(-scores)[:20]:
                if scores[i] > 0:
                    lexical[idx.entries[i].id] = float(scores[i])
                    lexical_rank.append(idx.entries[i].id)
        rankings = [dense_rank, lexical_rank]
        weights = [self.settings.retrieval.dense_weight, self.settings.retrieval.lexical_weight]
        if intent:
            rankings.append([e.id for e in idx.entries if intent in e.intents])
            weights.append(2.0)
        fused = reciprocal_rank_fusion(rankings, weights, self.settings.retrieval.rrf_k)
        out: list[FaqHit] = []
        for eid, fscore in top(fused, k):
            if eid not in idx.row:
                continue
            entry = idx.entries[idx.row[eid]]
            why = MatchExplanation(
                matched_terms=idx.bm25.matched_terms(idx.row[eid], terms),
                matched_filters=[f"intent {intent}"] if intent and intent in entry.intents else [],
                dense_score=dense.get(eid),
                lexical_score=lexical.get(eid),
                fused_score=fscore,
            )
            out.append(FaqHit(entry, dense.get(eid, 0.0), why))
        return out

    def get_faq(self, entry_id: str) -> FaqEntry:
        idx = self.faq_index()
        if entry_id not in idx.row:
            raise NotFoundError(f"unknown FAQ id: {entry_id}")
        return idx.entries[idx.row[entry_id]]
