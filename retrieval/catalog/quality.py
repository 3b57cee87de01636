"""Catalog data-quality bookkeeping: the ingest report, exact and near-duplicate detection."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from aisle.text import jaccard, normalize_for_match, tokenize
from retrieval.schema import Product

MAX_EXAMPLES = 50


@dataclass
class IngestReport:
    """What an ingest read, kept, repaired and rejected, and why. Stored as JSON beside the logs."""

    source: str
    format: str
    kind: str = "products"
    rows_read: int = 0
    kept: int = 0
    fixed: int = 0
    rejected: int = 0
    exact_duplicates_dropped: int = 0
    duplicate_ids_merged: int = 0
    near_duplicates_flagged: int = 0
    inserted: int = 0
    updated: int = 0
    pruned: int = 0
    fixes_by_kind: dict[str, int] = field(default_factory=dict)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    rejections: list[dict[str, str]] = field(default_factory=list)
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0
    products_per_s: float = 0.0
    multilingual_vectors: int = 0  # rows (re-)embedded into the multilingual collection
    multilingual_s: float = 0.0  # of elapsed_s, the multilingual encoder and its collection

    def add_rejection(self, location: str, reason: str) -> None:
        self.rejected += 1
        key = reason.split(":")[0]
        self.rejected_by_reason[key] = self.rejected_by_reason.get(key, 0) + 1
        if len(self.rejections) < MAX_EXAMPLES:
            self.rejections.append({"location": location, "reason": reason})

    def add_fixes(self, fixes: list[str]) -> None:
        if fixes:
            self.fixed += 1
        for f in set(fixes):
            self.fixes_by_kind[f] = self.fixes_by_kind.get(f, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        lines = [
            f"Data-quality report for {self.source} ({self.format})",
            f"  rows read       {self.rows_read:>8}",
            f"  kept            {self.kept:>8}   (inserted {self.inserted}, updated {self.updated}, pruned {self.pruned})",
            f"  fixed           {self.fixed:>8}   (rows with at least one repair)",
            f"  rejected        {self.rejected:>8}",
            f"  exact dupes     {self.exact_duplicates_dropped:>8}   dropped",
            f"  repeated ids    {self.duplicate_ids_merged:>8}   (last row wins)",
            f"  near-duplicates {self.near_duplicates_flagged:>8}   flagged, kept",
        ]
        if self.fixes_by_kind:
            lines.append("  fixes by kind:")
            lines += [f"    {k:<34} {v:>6}" for k, v in sorted(self.fixes_by_kind.items(), key=lambda kv: -kv[1])]
        if self.rejected_by_reason:
            lines.append("  rejected by reason:")
            lines += [f"    {k:<34} {v:>6}" for k, v in sorted(self.rejected_by_reason.items(), key=lambda kv: -kv[1])]
            lines.append("  first rejections:")
            lines += [f"    {r['location']}: {r['reason']}" for r in self.rejections[:10]]
        if self.near_duplicates:
            lines.append("  near-duplicate examples:")
            lines += [f"    {d['id']} ~ {d['similar_to']} ({d['similarity']:.2f})" for d in self.near_duplicates[:5]]
        lines.append(f"  time            {self.elapsed_s:>8.1f} s   ({self.products_per_s:.0f} products/s)")
        return "\n".join(lines)


def content_hash(product: Product) -> str:
    """Hash of everything but the id: two rows with the same hash are the same listing."""
    d = product.to_dict()
    d.pop("id")
    d["title"] = normalize_for_match(d["title"])
    d["description"] = normalize_for_match(d["description"])
    return hashlib.sha1(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def find_near_duplicates(products: list[Product], threshold: float, max_block: int = 300) -> list[dict[str, Any]]:
    """Pairs of distinct listings whose titles are near-identical (token-set Jaccard ≥ threshold).

    Blocking by (brand, first title token) keeps this linear-ish on large catalogs: only
    listings that share both are compared. Typical hits are size/colour variants listed
    as separate products and re-listings with a changed price, which a store owner wants
    to see but not lose.
    """
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    token_sets: list[set[str]] = []
    for i, p in enumerate(products):
        toks = tokenize(p.title)
        token_sets.append(set(toks))
        blocks[(p.brand or "", toks[0] if toks else "")].append(i)
    out: list[dict[str, Any]] = []
    for members in blocks.values():
        members = members[:max_block]
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                sim = jaccard(token_sets[a], token_sets[b])
                if sim >= threshold:
                    out.append({"id": products[b].id, "similar_to": products[a].id, "similarity": round(sim, 3)})
    return out


def reason_counts(items: list[str]) -> dict[str, int]:
    return dict(Counter(items))
