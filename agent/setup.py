"""Preparing a store: glue between the catalog (retrieval) and the training scripts (finetune)."""

from __future__ import annotations

import re
from collections import Counter
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
