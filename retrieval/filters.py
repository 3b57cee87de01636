"""Structured filters, in two equivalent forms: a Chroma ``where`` clause and a numpy mask.

The dense side pushes filters into Chroma; the lexical side applies the same semantics to
an in-memory facet table. ``tests/retrieval/test_filters.py`` checks the two agree.

Semantics: each facet list is an OR of its values; facets are ANDed; a price bound
excludes items without a price. Audience ("genders") also admits items whose audience is
unknown, because most of the catalog does not say and hiding all of it would be worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrieval.schema import Product, SearchFilters

UNSPECIFIED = "unspecified"


def _any_of(key: str, values: list[str]) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = [{key: {"$contains": v}} for v in dict.fromkeys(values)]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def to_where(f: SearchFilters) -> dict[str, Any] | None:
    """Chroma ``where`` for ``f`` (``None`` when unconstrained). ``exclude_ids`` is applied after the query."""
    clauses: list[dict[str, Any]] = []
    if f.min_price is not None:
        clauses.append({"price": {"$gte": float(f.min_price)}})
    if f.max_price is not None:
        clauses.append({"price": {"$lte": float(f.max_price)}})
        clauses.append({"has_price": True})
    if f.brands:
        brands = list(dict.fromkeys(b.lower() for b in f.brands))
        clauses.append({"brand": brands[0]} if len(brands) == 1 else {"brand": {"$in": brands}})
    for key, values in (
        ("categories", [c.lower() for c in f.categories]),
        ("colors", f.colors),
        ("genders", [*f.genders, UNSPECIFIED] if f.genders else []),
        ("sizes", [s.lower() for s in f.sizes]),
    ):
        clause = _any_of(key, values)
        if clause:
            clauses.append(clause)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass
class FacetTable:
    """Columnar facets of every product, for filtering the lexical side without Chroma."""

    ids: list[str]
    price: np.ndarray
    brand: np.ndarray
    sets: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def build(cls, metadatas: list[dict[str, Any]], ids: list[str]) -> FacetTable:
        n = len(ids)
        price = np.array([float(m.get("price", -1.0)) for m in metadatas], dtype=np.float64)
        brand = np.array([str(m.get("brand", "")) for m in metadatas], dtype=object)
        sets: dict[str, dict[str, np.ndarray]] = {}
        for key in ("categories", "colors", "genders", "sizes"):
            index: dict[str, list[int]] = {}
            for i, m in enumerate(metadatas):
                for v in m.get(key) or []:
                    index.setdefault(str(v), []).append(i)
            sets[key] = {v: np.asarray(rows, dtype=np.int64) for v, rows in index.items()}
        table = cls(ids=ids, price=price, brand=brand, sets=sets)
        table._n = n
        return table

    def _any_of(self, key: str, values: list[str]) -> np.ndarray:
        mask = np.zeros(len(self.ids), dtype=bool)
        for v in values:
            rows = self.sets.get(key, {}).get(v)
            if rows is not None:
                mask[rows] = True
        return mask

    def mask(self, f: SearchFilters) -> np.ndarray:
        """Boolean mask of products that satisfy ``f`` (same semantics as ``to_where``)."""
        m = np.ones(len(self.ids), dtype=bool)
        if f.min_price is not None:
            m &= self.price >= f.min_price
        if f.max_price is not None:
            m &= (self.price <= f.max_price) & (self.price >= 0)
        if f.brands:
            m &= np.isin(self.brand, [b.lower() for b in f.brands])
        if f.categories:
            m &= self._any_of("categories", [c.lower() for c in f.categories])
        if f.colors:
            m &= self._any_of("colors", f.colors)
        if f.genders:
            m &= self._any_of("genders", [*f.genders, UNSPECIFIED])
        if f.sizes:
            m &= self._any_of("sizes", [s.lower() for s in f.sizes])
        return m


def satisfied(product: Product, f: SearchFilters) -> list[str]:
    """The human-readable constraints of ``f`` that ``product`` satisfies (for "why")."""
    out: list[str] = []
    if product.price is not None:
        if f.max_price is not None and product.price <= f.max_price:
            out.append(f"₹{product.price:,.0f} ≤ ₹{f.max_price:,.0f}")
        if f.min_price is not None and product.price >= f.min_price:
            out.append(f"₹{product.price:,.0f} ≥ ₹{f.min_price:,.0f}")
    out.extend(c for c in f.colors if c in product.colors)
    out.extend(f"for {g}" for g in f.genders if g in product.genders)
    out.extend(f"size {s}" for s in f.sizes if s.lower() in product.sizes)
    if product.brand and product.brand in [b.lower() for b in f.brands]:
        out.append(f"brand {product.brand}")
    cats = {c.lower() for c in product.category_path}
    out.extend(f"category {c}" for c in f.categories if c.lower() in cats)
    return out
