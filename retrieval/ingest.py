"""Catalog and FAQ ingest: read → clean → de-duplicate → embed → upsert into Chroma.

Idempotent: products are upserted by id, and rows whose content hash is unchanged are
neither re-embedded nor re-written, so a weekly re-ingest of a large catalog only pays for
what changed. ``prune=True`` also removes products that are no longer in the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError
from aisle.fileio import scan_jsonl
from aisle.text import clean_text
from retrieval.catalog.quality import IngestReport, content_hash, find_near_duplicates
from retrieval.catalog.readers import detect
from retrieval.factory import build_multilingual_store
from retrieval.schema import FaqEntry, Product

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.store import ChromaStore

log = logging.getLogger(__name__)


def _progress(iterable: Any, desc: str, enabled: bool) -> Any:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="row")


@dataclass
class CleanCatalog:
    """Clean products of one file, their content hashes (for change detection) and the report."""

    products: list[Product]
    hashes: dict[str, str]
    report: IngestReport


def read_catalog(path: str | Path, near_duplicate_threshold: float = 0.9, progress: bool = False) -> CleanCatalog:
    """Read and clean a catalog file without touching any store."""
    source = detect(path)
    report = IngestReport(source=str(path), format=source.format)
    by_id: dict[str, Product] = {}
    hashes: dict[str, str] = {}
    seen: set[str] = set()
    for location, row in _progress(source.rows_tolerant(), f"reading {Path(path).name}", progress):
        report.rows_read += 1
        if isinstance(row, str):  # a line that could not be parsed at all
            report.add_rejection(location, row)
            continue
        result = source.cleaner(row)
        if result.reject or result.product is None:
            report.add_rejection(location, result.reject or "unreadable row")
            continue
        product = result.product
        h = content_hash(product)
        if h in seen:
            report.exact_duplicates_dropped += 1
            continue
        seen.add(h)
        if product.id in by_id:
            report.duplicate_ids_merged += 1
        by_id[product.id] = product
        hashes[product.id] = h
        report.add_fixes(result.fixes)
    products = list(by_id.values())
    near = find_near_duplicates(products, near_duplicate_threshold)
    report.near_duplicates_flagged = len(near)
    report.near_duplicates = near[:50]
    report.kept = len(products)
    if report.rows_read and not products:
        first = "; ".join(f"{r['location']}: {r['reason']}" for r in report.rejections[:3])
        raise DataError(f"no usable rows in {path} ({report.rejected} rejected). First problems: {first}")
    return CleanCatalog(products, hashes, report)


def ingest_products(
    path: str | Path,
    settings: Settings,
    store: ChromaStore,
    prune: bool = False,
    progress: bool = True,
    ml_store: ChromaStore | None = None,
) -> IngestReport:
    """Ingest a catalog file into the products collection; returns (and stores) the report.

    With ``multilingual.catalog_vectors`` (the default) the products are also embedded by the
    multilingual encoder into a second collection (``ml_store``, built from settings when not
    given), which non-English searches use; ``report.multilingual_s`` is what that costs.
    """
    t0 = time.perf_counter()
    clean = read_catalog(path, settings.quality.near_duplicate_jaccard, progress)
    products, report = clean.products, clean.report
    name = settings.chroma.products_collection
    ids = [p.id for p in products]
    existing = store.existing_ids(name, ids)
    changed = [p for p in products if existing.get(p.id) != clean.hashes[p.id]]
    report.inserted = sum(1 for p in changed if p.id not in existing)
    report.updated = len(changed) - report.inserted
    if changed:
        vectors = store.embedder.embed_documents([p.embedding_text() for p in changed], progress=progress)
        metas = []
        for p in changed:
            meta = p.to_metadata()
            meta["hash"] = clean.hashes[p.id]
            metas.append(meta)
        store.upsert(name, [p.id for p in changed], vectors, [p.embedding_text() for p in changed], metas, progress=progress)
    elif not store.has_collection(name):
        store.collection(name, create=True)
    if prune:
        keep = set(ids)
        stale = [pid for page in store.iter_all(name, include=()) for pid in page["ids"] if pid not in keep]
        if stale:
            store.delete(name, stale)
        report.pruned = len(stale)
    ml = settings.multilingual
    if ml.enabled and ml.catalog_vectors:
        t1 = time.perf_counter()
        ml_store = ml_store or build_multilingual_store(settings)
        rows = {
            p.id: (multilingual_text(p), {k: v for k, v in p.to_metadata().items() if k != "json"}, p.title) for p in products
        }
        report.multilingual_vectors = sync_multilingual(ml_store, ml.products_collection, rows, clean.hashes, prune, progress)
        report.multilingual_s = round(time.perf_counter() - t1, 3)
    report.elapsed_s = round(time.perf_counter() - t0, 3)
    report.products_per_s = round(len(products) / report.elapsed_s, 1) if report.elapsed_s else 0.0
    save_report(report, settings)
    return report


def multilingual_text(p: Product) -> str:
    """What the multilingual encoder reads of a product: title, brand, category path and key attributes.

    No description: it is what a shopper's short query in another language is matched against,
    and leaving the long description out makes the second collection ~3x cheaper to build."""
    parts = [p.title]
    if p.brand and p.brand.lower() not in p.title.lower():
        parts.append(p.brand)
    if p.category_path:
        parts.append(" / ".join(p.category_path))
    attrs = ", ".join(f"{k}: {v}" for k, v in p.key_attributes(6).items())
    if attrs:
        parts.append(attrs)
    return ". ".join(parts)


def sync_multilingual(
    ml_store: ChromaStore,
    name: str,
    rows: dict[str, tuple[str, dict[str, Any], str]],
    hashes: dict[str, str],
    prune: bool = True,
    progress: bool = False,
) -> int:
    """Bring the multilingual collection ``name`` in line with ``rows`` (``{id: (text to embed, metadata, document)}``).

    The same change detection as the main collection: only rows whose content hash differs
    are re-embedded. The metadata carries the filterable facets (not the full record, which
    the main collection holds), so Chroma's ``where`` filters work on both. Returns how many
    rows were (re-)embedded.
    """
    existing = ml_store.existing_ids(name, list(rows))
    changed = [i for i in rows if existing.get(i) != hashes[i]]
    if changed:
        # rows of kind "question" (help-centre sample questions) are embedded as queries: question-to-question
        # matching across languages is what E5 does best; everything else as passages
        questions = [i for i in changed if rows[i][1].get("kind") == "question"]
        passages = [i for i in changed if rows[i][1].get("kind") != "question"]
        vectors = np.zeros((len(changed), ml_store.embedder.dimension), dtype=np.float32)
        pos = {i: k for k, i in enumerate(changed)}
        for subset, encode in ((passages, ml_store.embedder.embed_documents), (questions, ml_store.embedder.embed_queries)):
            if subset:
                vectors[[pos[i] for i in subset]] = encode([rows[i][0] for i in subset], progress=progress)
        metas = [{**rows[i][1], "hash": hashes[i]} for i in changed]
        ml_store.upsert(name, changed, vectors, [rows[i][2] for i in changed], metas, progress=progress)
    elif not ml_store.has_collection(name):
        ml_store.collection(name, create=True)
    if prune:
        stale = [i for page in ml_store.iter_all(name, include=()) for i in page["ids"] if i not in rows]
        if stale:
            ml_store.delete(name, stale)
    return len(changed)


def save_report(report: IngestReport, settings: Settings) -> Path | None:
    """Write the report as JSON under ``AISLE_HOME/reports``; a write failure is logged, not fatal."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = settings.reports_dir / f"ingest-{report.kind}-{stamp}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        return path
    except OSError as exc:
        log.warning("could not store the ingest report at %s: %s", path, exc)
        return None


FAQ_FIELDS = {"id", "title", "body", "tags", "questions", "intents"}


def read_faq(path: str | Path) -> tuple[list[FaqEntry], IngestReport]:
    """Read and validate a help-centre JSONL file (one article per line)."""
    report = IngestReport(source=str(path), format="faq-jsonl", kind="faq")
    entries: dict[str, FaqEntry] = {}
    name = Path(path).name.lower().removesuffix(".gz")
    if not name.endswith((".jsonl", ".json", ".ndjson")):
        raise DataError(f"the FAQ must be a JSONL file of {{id, title, body, tags}} objects, got {path}")
    for lineno, obj, error in scan_jsonl(path):
        location = f"{path}:{lineno}"
        report.rows_read += 1
        if error or obj is None:
            report.add_rejection(location, error or "unreadable line")
            continue
        unknown = set(obj) - FAQ_FIELDS
        missing = [f for f in ("id", "title", "body") if not clean_text(str(obj.get(f) or ""))]
        if missing:
            report.add_rejection(location, f"missing field(s): {', '.join(missing)}")
            continue
        bad_list = [f for f in ("tags", "questions", "intents") if f in obj and not isinstance(obj[f], list)]
        if bad_list:
            report.add_rejection(location, f"field(s) must be lists of strings: {', '.join(bad_list)}")
            continue
        entry = FaqEntry(
            id=clean_text(str(obj["id"])),
            title=clean_text(str(obj["title"])),
            body=clean_text(str(obj["body"])),
            tags=[clean_text(str(t)).lower() for t in obj.get("tags", []) if clean_text(str(t))],
            questions=[clean_text(str(q)) for q in obj.get("questions", []) if clean_text(str(q))],
            intents=[clean_text(str(i)) for i in obj.get("intents", []) if clean_text(str(i))],
        )
        if unknown:
            report.add_fixes(["unknown_fields_ignored"])
        if entry.id in entries:
            report.duplicate_ids_merged += 1
        entries[entry.id] = entry
    report.kept = len(entries)
    if not entries:
        raise DataError(f"no usable FAQ entries in {path} ({report.rejected} rejected)")
    return list(entries.values()), report


def faq_multilingual_rows(entries: list[FaqEntry]) -> dict[str, tuple[str, dict[str, Any], str]]:
    """The help centre's rows in the multilingual collection: each article as a passage (``id``) and its
    title and sample questions as queries (``id#q0``, ``id#q1``…), all tagged with the article's id."""
    rows: dict[str, tuple[str, dict[str, Any], str]] = {}
    for e in entries:
        rows[e.id] = (e.embedding_text(), {"entry": e.id, "kind": "passage"}, e.title)
        for n, q in enumerate([e.title, *e.questions]):
            rows[f"{e.id}#q{n}"] = (q, {"entry": e.id, "kind": "question"}, q)
    return rows


def ingest_faq(
    path: str | Path,
    settings: Settings,
    store: ChromaStore,
    prune: bool = True,
    progress: bool = False,
    ml_store: ChromaStore | None = None,
) -> IngestReport:
    """Ingest the help centre. By default the file is the whole knowledge base (``prune=True``)."""
    t0 = time.perf_counter()
    entries, report = read_faq(path)
    name = settings.chroma.faq_collection
    existing = store.existing_ids(name, [e.id for e in entries])
    report.inserted = sum(1 for e in entries if e.id not in existing)
    report.updated = len(entries) - report.inserted
    vectors = store.embedder.embed_documents([e.embedding_text() for e in entries], progress=progress)
    store.upsert(
        name, [e.id for e in entries], vectors, [e.embedding_text() for e in entries], [e.to_metadata() for e in entries]
    )
    if prune:
        keep = {e.id for e in entries}
        stale = [i for page in store.iter_all(name, include=()) for i in page["ids"] if i not in keep]
        if stale:
            store.delete(name, stale)
        report.pruned = len(stale)
    if settings.multilingual.enabled:  # the help centre for questions in other languages (55 articles: ~1 s)
        t1 = time.perf_counter()
        rows = faq_multilingual_rows(entries)
        hashes = {i: hashlib.sha1(text.encode()).hexdigest() for i, (text, _, _) in rows.items()}
        report.multilingual_vectors = sync_multilingual(
            ml_store or build_multilingual_store(settings), settings.multilingual.faq_collection, rows, hashes, prune, progress
        )
        report.multilingual_s = round(time.perf_counter() - t1, 3)
    report.elapsed_s = round(time.perf_counter() - t0, 3)
    save_report(report, settings)
    return report
