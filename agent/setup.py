"""Preparing a store: glue between the catalog (retrieval) and the training scripts (finetune)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from finetune.schema import CatalogFacts

if TYPE_CHECKING:
    from aisle.settings import Settings


def catalog_facts(settings: Settings, catalog_file: Path | None = None) -> CatalogFacts:
    """Real values from the catalog for the shopping-intent generator.

    Category names are the shopper-facing nodes of the tree (short, no digits, not brand
    collections); brands are those with at least two products.
    """
    from retrieval.ingest import read_catalog

    products = read_catalog(catalog_file or settings.products_file).products
    cats: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    colors: Counter[str] = Counter()
    for p in products:
        for node in p.category_path[1:]:
            node = node.lower()
            if len(node.split()) <= 3 and not re.search(r"\d", node) and (not p.brand or p.brand not in node):
                cats[node.replace(" & ", " and ")] += 1
        if p.brand and len(p.brand.split()) <= 2:
            brands[p.brand] += 1
        colors.update(c for c in p.colors if c != "multicolor")
    return CatalogFacts(
        categories=sorted(c for c, n in cats.items() if n >= 2),
        brands=sorted(b for b, n in brands.items() if n >= 2),
        colors=sorted(colors),
        titles=sorted({p.title for p in products if len(p.title) < 80}),
        prices=sorted(p.price for p in products if p.price),
    )


def prepare_demo_store(settings: Settings, force: bool = False, train: bool = True) -> Iterator[str]:
    """Make a fresh machine chat-ready; yields one progress line per step (idempotent).

    1. catalog → Chroma (the public Flipkart sample, or the ~50-product demo catalog);
    2. help centre → Chroma; 3. deterministic demo orders → SQLite;
    4. an intent router, trained on the packaged data and promoted, if none is current.
    """
    from agent.demo import build_demo_orders
    from agent.orders import OrderStore
    from aisle.settings import PACKAGE_DATA
    from finetune.pipeline import train_router
    from finetune.registry import ModelRegistry
    from retrieval.catalog.demo import write_demo_catalog
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_faq, ingest_products

    settings.ensure_dirs()
    stack = build_stack(settings)
    store = stack.store
    products = settings.products_file
    if not products.exists():
        products = settings.home / "data" / "demo-catalog.jsonl"
        write_demo_catalog(products)
        yield f"no public catalog found; using the built-in demo catalog ({products})"
    name = settings.chroma.products_collection
    if force or not store.has_collection(name) or store.count(name) == 0:
        yield f"ingesting products from {products} …"
        report = ingest_products(products, settings, store)
        yield f"products: {report.kept} kept, {report.rejected} rejected, {report.fixed} repaired ({report.elapsed_s:.0f} s)"
    else:
        yield f"products: {store.count(name)} already in {store.describe()}"
    faq = settings.chroma.faq_collection
    if force or not store.has_collection(faq) or store.count(faq) == 0:
        report = ingest_faq(settings.faq_file, settings, store)
        yield f"help centre: {report.kept} articles ingested"
    else:
        yield f"help centre: {store.count(faq)} articles already ingested"
    stack.retriever.refresh()
    if force or OrderStore(settings).count() == 0:
        demo = build_demo_orders(settings, seed=7)
        yield f"demo orders: {demo['orders']} orders for {demo['customers']} customers (try {demo['sample']})"
    else:
        yield f"orders: {OrderStore(settings).count()} already in {settings.db_path}"
    registry = ModelRegistry(settings.intent_models_dir)
    if train and (force or registry.current() is None):
        yield "training the intent router on the packaged data (about 5 minutes on 2 CPU cores) …"
        data = PACKAGE_DATA / "intents"
        summary = train_router(settings, data / "train.jsonl", data / "dev.jsonl", promote=True)
        m = summary["metrics"]
        yield f"router {summary['model']}: dev accuracy {m['accuracy']}, macro-F1 {m['macro_f1']}, OOS recall {m['oos_recall']} (promoted: {summary.get('promoted')})"
    elif registry.current() is not None:
        yield f"intent router: {registry.current().name} is current"
    yield "ready."
