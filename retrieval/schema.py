"""Typed records that cross the retrieval boundary: products, FAQ entries, filters, hits.

Chroma metadata is flat (scalars and lists of one scalar type), so a product is stored as
flat filterable fields plus its full JSON; ``Product.from_metadata`` inverts
``Product.to_metadata`` exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from aisle.text import truncate

# Attribute keys shown to shoppers first (cards, product lists, explanations).
KEY_ATTRIBUTES = ("color", "size", "material", "gender", "pattern", "occasion", "type")


@dataclass
class Product:
    """One catalog item in aisle's own schema (see README, "Catalog schema")."""

    id: str
    title: str
    description: str = ""
    category_path: list[str] = field(default_factory=list)
    brand: str | None = None
    price: float | None = None
    currency: str = "INR"
    attributes: dict[str, str] = field(default_factory=dict)
    rating: float | None = None
    image_url: str | None = None
    url: str | None = None
    retail_price: float | None = None
    colors: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)

    @property
    def category(self) -> str:
        return " > ".join(self.category_path)

    def key_attributes(self, limit: int = 4) -> dict[str, str]:
        """The few attributes worth showing on a card, in a stable order."""
        out = {k: self.attributes[k] for k in KEY_ATTRIBUTES if self.attributes.get(k)}
        return dict(list(out.items())[:limit])

    def embedding_text(self) -> str:
        """What the dense encoder sees: title first (it dominates relevance), then facets."""
        parts = [self.title]
        if self.brand and self.brand.lower() not in self.title.lower():
            parts.append(f"by {self.brand}")
        if self.category_path:
            parts.append(" / ".join(self.category_path))
        attrs = ", ".join(f"{k}: {v}" for k, v in self.key_attributes(6).items())
        if attrs:
            parts.append(attrs)
        if self.description:
            parts.append(truncate(self.description, 300))
        return ". ".join(parts)

    def lexical_text(self) -> str:
        """What BM25 indexes: title twice (a cheap field boost), facets, then the description."""
        attrs = " ".join(f"{v}" for v in self.attributes.values())
        return " ".join(
            [
                self.title,
                self.title,
                self.brand or "",
                " ".join(self.category_path),
                " ".join(self.colors),
                " ".join(self.genders),
                attrs,
                truncate(self.description, 600),
            ]
        )

    def to_metadata(self) -> dict[str, Any]:
        """Flat, filterable Chroma metadata (lists for multi-valued facets) plus the full record."""
        meta: dict[str, Any] = {
            "title": self.title,
            "brand": (self.brand or "").lower(),
            "category": self.category.lower(),
            "cat0": self.category_path[0].lower() if self.category_path else "",
            "price": float(self.price) if self.price is not None else -1.0,
            "has_price": self.price is not None,
            "currency": self.currency,
            "rating": float(self.rating) if self.rating is not None else -1.0,
            "json": json.dumps(asdict(self), ensure_ascii=False),
        }
        # Chroma rejects empty lists, so multi-valued facets are only written when present.
        for key, values in (
            ("categories", [c.lower() for c in self.category_path]),
            ("colors", self.colors),
            # "unspecified" lets an audience filter keep items whose audience the catalog omits
            ("genders", self.genders or ["unspecified"]),
            ("sizes", [s.lower() for s in self.sizes]),
        ):
            if values:
                meta[key] = list(dict.fromkeys(values))
        return meta

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> Product:
        return cls(**json.loads(meta["json"]))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Product:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaqEntry:
    """One help-centre article: stable id, title, body, tags; ``questions`` are sample phrasings."""

    id: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)

    def embedding_text(self) -> str:
        return ". ".join([self.title, *self.questions[:6], truncate(self.body, 400)])

    def lexical_text(self) -> str:
        return " ".join([self.title, self.title, " ".join(self.tags), " ".join(self.questions), self.body])

    def to_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"title": self.title, "json": json.dumps(asdict(self), ensure_ascii=False)}
        if self.tags:
            meta["tags"] = self.tags
        if self.intents:
            meta["intents"] = self.intents
        return meta

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> FaqEntry:
        return cls(**json.loads(meta["json"]))


@dataclass
class SearchFilters:
    """Structured constraints, pushed into Chroma ``where`` and applied identically to BM25."""

    min_price: float | None = None
    max_price: float | None = None
    categories: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    exclude_ids: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            [
                self.min_price is not None,
                self.max_price is not None,
                self.categories,
                self.brands,
                self.colors,
                self.genders,
                self.sizes,
                self.exclude_ids,
            ]
        )

    def describe(self) -> list[str]:
        """Human-readable constraints, e.g. ``['under ₹500', 'red', 'for women']``."""
        out: list[str] = []
        if self.min_price is not None and self.max_price is not None:
            out.append(f"₹{self.min_price:,.0f}–₹{self.max_price:,.0f}")
        elif self.max_price is not None:
            out.append(f"under ₹{self.max_price:,.0f}")
        elif self.min_price is not None:
            out.append(f"over ₹{self.min_price:,.0f}")
        out.extend(self.colors)
        out.extend(f"for {g}" for g in self.genders)
        out.extend(f"size {s}" for s in self.sizes)
        out.extend(f"brand {b}" for b in self.brands)
        out.extend(f"in {c}" for c in self.categories)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SearchFilters:
        if not data:
            return cls()
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            from aisle.errors import InputError

            raise InputError(f"unknown filter field(s) {sorted(unknown)}; known: {sorted(known)}")
        out = cls(**data)
        for name in ("categories", "brands", "colors", "genders", "sizes", "exclude_ids"):
            value = getattr(out, name)
            if isinstance(value, str):
                setattr(out, name, [value])
        return out


@dataclass
class MatchExplanation:
    """Why a result matched, in parts the agent can turn into a sentence."""

    matched_terms: list[str] = field(default_factory=list)
    matched_filters: list[str] = field(default_factory=list)
    dense_score: float | None = None
    lexical_score: float | None = None
    fused_score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def sentence(self) -> str:
        bits: list[str] = []
        if self.matched_filters:
            bits.append("matches " + ", ".join(self.matched_filters))
        if self.matched_terms:
            bits.append("mentions " + ", ".join(f"'{t}'" for t in self.matched_terms[:4]))
        if not bits and self.dense_score is not None:
            bits.append("similar in meaning to your request")
        return "; ".join(bits)


@dataclass
class ProductHit:
    product: Product
    score: float
    why: MatchExplanation


@dataclass
class FaqHit:
    entry: FaqEntry
    score: float
    why: MatchExplanation
