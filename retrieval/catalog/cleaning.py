"""Turning one raw catalog row into a clean ``Product``, or a rejection with a reason.

Two input shapes are understood: the raw Flipkart crawl (``flipkart_row``) and aisle's own
schema (``native_row``, see README "Catalog schema"). Both produce a ``CleanResult`` that
records every fix applied, so the ingest report can say what was repaired and how often.
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from aisle.text import clean_text, tokenize
from retrieval.schema import Product
from retrieval.vocab import canonical_colors, canonical_genders, canonical_size

MAX_TITLE_CHARS = 300
MAX_DESCRIPTION_CHARS = 8000

# Flipkart specification keys → aisle attribute names (first listed key wins).
ATTRIBUTE_KEYS: dict[str, tuple[str, ...]] = {
    "color": ("color", "colour", "dial color", "frame color", "strap color"),
    "material": ("material", "fabric", "outer material", "base material", "strap material", "frame material"),
    "gender": ("ideal for",),
    "size": ("size", "ring size"),
    "pattern": ("pattern",),
    "occasion": ("occasion",),
    "type": ("type",),
    "sleeve": ("sleeve",),
}


@dataclass
class CleanResult:
    product: Product | None = None
    fixes: list[str] = field(default_factory=list)
    reject: str | None = None


def _snake(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def parse_price(value: Any) -> tuple[float | None, str | None]:
    """Parse a price; returns ``(price, problem)``.

    Zero and blank are *missing* (a real item is never free); text that is not a number
    is a *problem* the caller turns into a rejection.
    """
    if value is None:
        return None, None
    if isinstance(value, (int, float)):
        num = float(value)
    else:
        s = str(value).strip()
        if not s or s.lower() in ("nan", "none", "null", "na", "n/a"):
            return None, None
        s = re.sub(r"(?i)^(rs\.?|inr|₹|\$|usd|eur|€)\s*", "", s).replace(",", "")
        try:
            num = float(s)
        except ValueError:
            return None, f"price is not a number: {str(value)[:40]!r}"
    if not math.isfinite(num):
        return None, "price is not a finite number"
    if num < 0:
        return None, f"negative price {num}"
    return (num if num > 0 else None), None


def parse_rating(value: Any) -> float | None:
    """Ratings are 1–5; "No rating available", 0 and junk are missing."""
    try:
        r = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return r if 0 < r <= 5 else None


def parse_category_tree(raw: str, title: str, brand: str | None = None) -> tuple[list[str], list[str]]:
    """Flipkart's ``"['footwear', 'womens footwear', …, '<product name>']"`` → clean path.

    The crawl lost ``&`` ("kitchen  dining"); the leaf is usually the product's own name,
    and the node above it often a brand collection ("karatcraft rings"). Both are repaired:
    the name is dropped, the collection reduced to its generic part (or dropped when that
    repeats its parent). Generic nodes are never dropped just because the title shares a
    word with them ("rings" for "… gold ring"). Returns ``(path, fixes)``.
    """
    fixes: list[str] = []
    raw = (raw or "").strip()
    try:
        value = ast.literal_eval(raw) if raw.startswith("[") else None
    except (ValueError, SyntaxError):
        value = None
    if not isinstance(value, list):
        fixes.append("category_tree_unparseable")
        return [], fixes
    path: list[str] = []
    for node in value:
        raw_node = str(node).strip()
        fixed = clean_text(re.sub(r"(\w) {2}(\w)", r"\1 & \2", raw_node))
        if fixed != clean_text(raw_node):
            fixes.append("category_ampersand_restored")
        if fixed:
            path.append(fixed)
    title_tokens = set(tokenize(title))
    if path:
        leaf_tokens = set(tokenize(path[-1]))
        common = len(leaf_tokens & title_tokens)
        overlap = max(common / max(1, len(leaf_tokens)), common / max(1, len(title_tokens)))
        if len(path) == 1 and len(value) == 1:
            # a one-node "tree" is the product name put where the category belongs
            path.pop()
            fixes.append("category_tree_is_product_name")
        elif len(path[-1]) > 60 or (len(leaf_tokens) >= 2 and overlap >= 0.6):
            path.pop()
            fixes.append("category_leaf_is_product_name")
    brand_l = (brand or "").lower()
    if brand_l and len(brand_l) >= 3:
        while len(path) > 1 and path[-1].lower().startswith(brand_l + " "):
            generic = path[-1][len(brand_l) + 1 :].strip()
            parent = path[-2].lower()
            path.pop()
            if generic and tokenize(generic) != tokenize(parent) and not parent.endswith(generic.lower()):
                path.append(generic)
            fixes.append("category_brand_collection_node")
    if not path:
        fixes.append("category_missing")
    return path, sorted(set(fixes))


def parse_specifications(raw: str) -> dict[str, str]:
    """Flipkart ``product_specifications`` (a Ruby/Python-ish literal) → ``{key: value}``."""
    raw = (raw or "").strip()
    if not raw:
        return {}
    text = raw.replace("=>", ":")
    value: Any = None
    for parser in (ast.literal_eval, json.loads):
        try:
            value = parser(text)
            break
        except (ValueError, SyntaxError, json.JSONDecodeError):
            continue
    if isinstance(value, dict):
        value = value.get("product_specification", [value])
    if isinstance(value, dict):
        value = [value]
    out: dict[str, str] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("key") and item.get("value") is not None:
                k, v = clean_text(str(item["key"])), clean_text(str(item["value"]))
                if k and v and k not in out:
                    out[k] = v
    return out


def specs_from_formatted(raw: str) -> dict[str, str]:
    """Fallback when the literal is broken: ``"ideal for: women, color: red"``."""
    out: dict[str, str] = {}
    for part in re.split(r",\s*(?=[a-z ]+:)", raw or ""):
        if ":" in part:
            k, _, v = part.partition(":")
            if k.strip() and v.strip():
                out.setdefault(clean_text(k).title(), clean_text(v))
    return out


def canonical_attributes(specs: dict[str, str]) -> dict[str, str]:
    """Keep every spec under a snake_case key and add aisle's canonical facet keys."""
    attrs = {_snake(k): v for k, v in specs.items() if _snake(k)}
    lowered = {k.lower(): v for k, v in specs.items()}
    for canon, keys in ATTRIBUTE_KEYS.items():
        for key in keys:
            if lowered.get(key):
                attrs[canon] = lowered[key]
                break
    return attrs


def derive_facets(product: Product) -> None:
    """Fill the multi-valued facets (colours, audiences, sizes) from attributes, title and category."""
    attrs = product.attributes
    colors = canonical_colors(attrs.get("color"))
    if not colors:
        colors = canonical_colors(product.title, free_text=True)
    product.colors = colors
    genders = canonical_genders(attrs.get("gender"))
    if not genders:
        genders = canonical_genders(" ".join(product.category_path[:3]) + " " + product.title)
    product.genders = genders
    sizes = []
    for key in ("size", "ring_size"):
        s = canonical_size(attrs.get(key))
        if s:
            sizes.append(s)
    product.sizes = sizes


def _fix_brand(brand: str, specs: dict[str, str], title: str, fixes: list[str]) -> str | None:
    spec_brand = clean_text(specs.get("Brand", ""))
    brand = clean_text(brand)
    if spec_brand and spec_brand.lower() != brand.lower():
        if brand:
            fixes.append("brand_from_specifications")
        brand = spec_brand
    if brand:
        # The crawl truncates some brands ("si" for "sicons"); expand from the title's words.
        words = title.lower().split()
        if words and brand.lower() not in title.lower() and len(brand) <= 3:
            for w in words[:2]:
                if w.startswith(brand.lower()) and len(w) > len(brand):
                    fixes.append("brand_truncation_expanded")
                    brand = w
                    break
    return brand.lower() or None


def _first_image(raw: str) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        images = json.loads(raw)
    except json.JSONDecodeError:
        images = re.findall(r"https?://[^\s\"',\]]+", raw)
    if isinstance(images, list) and images:
        url = str(images[0]).strip()
        return url if url.startswith(("http://", "https://")) else None
    return None


def _check_lengths(product: Product, fixes: list[str]) -> None:
    if len(product.title) > MAX_TITLE_CHARS:
        product.title = product.title[:MAX_TITLE_CHARS]
        fixes.append("title_truncated")
    if len(product.description) > MAX_DESCRIPTION_CHARS:
        product.description = product.description[:MAX_DESCRIPTION_CHARS]
        fixes.append("description_truncated")


def flipkart_row(row: dict[str, Any]) -> CleanResult:
    """Clean one row of the raw Flipkart crawl CSV."""
    fixes: list[str] = []
    pid = clean_text(row.get("pid")) or clean_text(row.get("uniq_id"))
    if not pid:
        return CleanResult(reject="missing product id (pid and uniq_id are empty)")
    raw_title = row.get("product_name") or ""
    title = clean_text(raw_title)
    if not title:
        return CleanResult(reject="missing product_name")
    if title != raw_title.strip():
        fixes.append("title_whitespace_or_html")
    price, problem = parse_price(row.get("discounted_price"))
    retail, problem2 = parse_price(row.get("retail_price"))
    if problem or problem2:
        return CleanResult(reject=problem or problem2)
    if price is None and retail is not None:
        price = retail
        fixes.append("price_from_retail_price")
    if price is None:
        fixes.append("price_missing")
    if price is not None and retail is not None and price > retail:
        fixes.append("discount_above_retail_swapped")
        price, retail = retail, price
    raw_rating = row.get("product_rating") or row.get("overall_rating")
    rating = parse_rating(raw_rating)
    if rating is None and str(raw_rating).strip() not in ("",):
        fixes.append("rating_missing")
    specs = parse_specifications(row.get("product_specifications") or "")
    if not specs and (row.get("formatted_specifications") or "").strip():
        specs = specs_from_formatted(row["formatted_specifications"])
        if specs:
            fixes.append("specs_from_formatted_text")
    brand = _fix_brand(row.get("brand") or "", specs, title, fixes)
    path, cat_fixes = parse_category_tree(row.get("product_category_tree") or "", title, brand)
    fixes.extend(cat_fixes)
    raw_desc = row.get("description") or ""
    description = clean_text(raw_desc)
    if description != raw_desc.strip():
        fixes.append("description_whitespace_or_html")
    product = Product(
        id=pid,
        title=title,
        description=description,
        category_path=path,
        brand=brand,
        price=price,
        currency="INR",
        attributes=canonical_attributes(specs),
        rating=rating,
        image_url=_first_image(row.get("image") or ""),
        url=clean_text(row.get("product_url")) or None,
        retail_price=retail,
    )
    _check_lengths(product, fixes)
    derive_facets(product)
    return CleanResult(product=product, fixes=fixes)


NATIVE_FIELDS = {
    "id",
    "title",
    "description",
    "category",
    "category_path",
    "brand",
    "price",
    "currency",
    "attributes",
    "rating",
    "image_url",
    "url",
    "retail_price",
}


def native_row(row: dict[str, Any]) -> CleanResult:
    """Clean one row in aisle's own schema (JSONL object or CSV row)."""
    fixes: list[str] = []
    unknown = {k for k in row if k is not None and k not in NATIVE_FIELDS and not str(k).startswith("attr_")}
    pid = clean_text(str(row.get("id") or ""))
    if not pid:
        return CleanResult(reject="missing 'id'")
    title = clean_text(str(row.get("title") or ""))
    if not title:
        return CleanResult(reject="missing 'title'")
    price, problem = parse_price(row.get("price"))
    if problem:
        return CleanResult(reject=problem)
    if price is None:
        fixes.append("price_missing")
    retail, _ = parse_price(row.get("retail_price"))
    currency = clean_text(str(row.get("currency") or "INR")).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        return CleanResult(reject=f"currency must be a 3-letter ISO code, got {currency[:20]!r}")
    cat = row.get("category_path", row.get("category"))
    if isinstance(cat, str):
        path = [clean_text(c) for c in re.split(r"\s*(?:>|/|\|)\s*", cat) if clean_text(c)]
    elif isinstance(cat, list):
        path = [clean_text(str(c)) for c in cat if clean_text(str(c))]
    else:
        path = []
    attrs_raw = row.get("attributes") or {}
    if isinstance(attrs_raw, str):
        try:
            attrs_raw = json.loads(attrs_raw) if attrs_raw.strip() else {}
        except json.JSONDecodeError:
            return CleanResult(reject="'attributes' is not a JSON object")
    if not isinstance(attrs_raw, dict):
        return CleanResult(reject="'attributes' must be an object of name → value")
    attrs = {_snake(str(k)): clean_text(str(v)) for k, v in attrs_raw.items() if v not in (None, "")}
    for k, v in row.items():
        if k and str(k).startswith("attr_") and v not in (None, ""):
            attrs[_snake(str(k)[5:])] = clean_text(str(v))
    for canon in ("colour",):
        if canon in attrs and "color" not in attrs:
            attrs["color"] = attrs.pop(canon)
    if "ideal_for" in attrs and "gender" not in attrs:
        attrs["gender"] = attrs["ideal_for"]
    rating = parse_rating(row.get("rating"))
    product = Product(
        id=pid,
        title=title,
        description=clean_text(str(row.get("description") or "")),
        category_path=path,
        brand=(clean_text(str(row.get("brand") or "")).lower() or None),
        price=price,
        currency=currency,
        attributes=attrs,
        rating=rating,
        image_url=clean_text(str(row.get("image_url") or "")) or None,
        url=clean_text(str(row.get("url") or "")) or None,
        retail_price=retail,
    )
    if unknown:
        fixes.append("unknown_fields_ignored")
    _check_lengths(product, fixes)
    derive_facets(product)
    return CleanResult(product=product, fixes=fixes)
