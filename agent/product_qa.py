"""Answering a question about one product from that product's own listing.

The answer quotes the listing's attribute (or says the listing does not say, and offers a
person): it never guesses. Colour and size questions also look for variants: other
listings of the same item (same brand, near-identical title) in the asked colour/size.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aisle.errors import AisleError
from aisle.formatting import money
from aisle.text import jaccard, tokenize, truncate
from retrieval.schema import Product, SearchFilters

if TYPE_CHECKING:
    from retrieval.retriever import HybridRetriever

log = logging.getLogger(__name__)

ASPECTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("waterproof", r"water ?proof|water.?resistant|rain|防水", ("water_resistant", "waterproof", "water_resistance_depth")),
    (
        "warranty",
        r"warrant|guarantee|保修|质保",
        ("warranty_summary", "warranty", "warranty_type", "warranty_service_type", "domestic_warranty", "covered_in_warranty"),
    ),
    (
        "care",
        r"\bwash|machine.?washable|\bcare\b|\bclean|iron|机洗|水洗|清洗|洗涤|熨",
        ("care_instructions", "wash_care", "fabric_care"),
    ),
    (
        "material",
        r"material|fabric|made of|made from|leather|cotton|silk|wool|what is it made|材质|面料|布料|什么做的|真皮|纯棉|真丝|羊毛",
        ("material", "fabric", "outer_material", "base_material", "strap_material", "frame_material", "sole_material"),
    ),
    (
        "dimensions",
        r"dimension|how big|length|width|height|weight|heavy|capacity|how large|volume|litre|liter|尺寸|多大|多长|多宽|多高|重量|多重|重不重|容量",
        ("dimensions", "length", "width", "height", "weight", "capacity", "depth", "diameter", "volume"),
    ),
    (
        "color",
        r"colou?rs?\b|shade|\bin (?:red|blue|green|black|white|pink|yellow|grey|gray|brown|gold|silver|navy|maroon|purple|orange|beige)\b|颜色|什么色",
        ("color", "dial_color", "strap_color"),
    ),
    (
        "size",
        r"\bsizes?\b|\bfit\b|\bxx?l\b|\bxs\b|\bsmall\b|\bmedium\b|\blarge\b|true to size|\bsize\s*\d|尺码|几码|什么码|多少码|\d+码",
        ("size", "ring_size"),
    ),
    ("price", r"price|cost|how much|expensive|discount|价格|多少钱|价钱|贵不贵|折扣", ()),
    ("brand", r"brand|who makes|manufacturer|made by|品牌|牌子|厂家", ()),
    ("rating", r"rating|reviews?|stars?|rated|评分|口碑|几星", ()),
    (
        "audience",
        r"\bfor (?:men|women|kids|boys|girls)\b|men or women|unisex|suitable for|男女通用|适合男|适合女|适合小孩|适合谁",
        ("gender", "ideal_for"),
    ),
    ("occasion", r"occasion|party|formal|casual|wedding|office|场合|上班|婚礼|聚会|正式", ("occasion",)),
]


@dataclass
class ProductAnswer:
    product: Product
    aspect: str
    text: str
    found: bool
    variants: list[Product] = field(default_factory=list)


def aspect_of(question: str) -> str:
    for name, pattern, _ in ASPECTS:
        if re.search(pattern, question, re.IGNORECASE):
            return name
    return "summary"


def _money(p: Product) -> str:
    return money(p.price, p.currency, missing="not listed")


def find_variants(retriever: HybridRetriever, product: Product, filters: SearchFilters) -> list[Product]:
    """Other listings of the same item (same brand, title Jaccard ≥ 0.75) matching ``filters``."""
    try:
        res = retriever.search_products(product.title, filters, k=20, mode="lexical", parse=False)
    except AisleError:  # the catalog is unavailable: answer about this listing alone
        log.warning("could not look for other listings of %s", product.id, exc_info=True)
        return []
    base = set(tokenize(product.title))
    return [
        h.product
        for h in res.hits
        if h.product.id != product.id
        and h.product.brand == product.brand
        and jaccard(base, set(tokenize(h.product.title))) >= 0.75
    ][:3]


# how the "listing doesn't say …" reply names an aspect ("whether it is waterproof", not "its waterproof")
ASPECT_TOPICS = {
    "waterproof": "whether it is waterproof",
    "warranty": "anything about a warranty",
    "care": "how to care for it",
    "material": "what it is made of",
    "dimensions": "its dimensions",
    "audience": "who it is meant for",
    "occasion": "what occasion it suits",
}


def answer(question: str, product: Product, retriever: HybridRetriever, asked: SearchFilters) -> ProductAnswer:
    """A grounded answer about ``product`` (``asked`` carries colours/sizes named in the question)."""
    from agent.composer import display_title

    aspect = aspect_of(question)
    name = display_title(product.title)
    attrs = {k: v for k, v in product.attributes.items() if v}
    keys = next((k for n, _, k in ASPECTS if n == aspect), ())
    if aspect == "color" and asked.colors:
        want = asked.colors[0]
        if want in product.colors:
            return ProductAnswer(product, aspect, f"Yes, the {name} is {attrs.get('color', want)} (from its listing).", True)
        variants = find_variants(retriever, product, SearchFilters(colors=[want]))
        if variants:
            v = variants[0]
            return ProductAnswer(
                product,
                aspect,
                f"The {name} itself is {attrs.get('color', 'listed without a colour')}, but it also comes in {want}: {v.title} at {_money(v)}.",
                True,
                variants,
            )
        if attrs.get("color"):
            return ProductAnswer(
                product, aspect, f"The listing shows the {name} in {attrs['color']} only; I can't find it in {want}.", False
            )
        return ProductAnswer(
            product, aspect, f"The listing for the {name} doesn't give a colour, and I can't find it in {want}.", False
        )
    if aspect == "size" and asked.sizes:
        want = asked.sizes[0]
        if want.lower() in product.sizes:
            return ProductAnswer(
                product, aspect, f"Yes, the {name} is available in size {want.upper()} (from its listing).", True
            )
        variants = find_variants(retriever, product, SearchFilters(sizes=[want]))
        if variants:
            return ProductAnswer(
                product,
                aspect,
                f"This listing is size {attrs.get('size', 'unspecified')}, but there is a size {want.upper()} listing: {variants[0].title} at {_money(variants[0])}.",
                True,
                variants,
            )
        listed = attrs.get("size") or attrs.get("ring_size")
        if listed:
            return ProductAnswer(
                product, aspect, f"The listing shows the {name} in size {listed} only; I can't find a size {want.upper()}.", False
            )
        return ProductAnswer(
            product, aspect, f"The listing for the {name} doesn't give sizes, so I can't confirm size {want.upper()}.", False
        )
    if aspect == "price":
        extra = (
            f" (down from ₹{product.retail_price:,.0f})"
            if product.retail_price and product.price and product.retail_price > product.price
            else ""
        )
        return ProductAnswer(product, aspect, f"The {name} costs {_money(product)}{extra}.", product.price is not None)
    if aspect == "brand":
        return ProductAnswer(
            product,
            aspect,
            f"The {name} is by {product.brand.title() if product.brand else 'an unnamed brand (the listing does not say)'}.",
            bool(product.brand),
        )
    if aspect == "rating":
        if product.rating:
            return ProductAnswer(product, aspect, f"The {name} is rated {product.rating:.1f} out of 5.", True)
        return ProductAnswer(product, aspect, f"The {name} has no ratings yet.", False)
    for key in keys:
        if attrs.get(key):
            label = key.replace("_", " ")
            return ProductAnswer(product, aspect, f"According to its listing, the {name} has {label}: {attrs[key]}.", True)
    if aspect != "summary":
        # the description sometimes states it even when no attribute does
        pattern = next(p for n, p, _ in ASPECTS if n == aspect)
        for sentence in re.split(r"(?<=[.;])\s+|,\s+(?=[a-z ]+:)", product.description):
            if re.search(pattern, sentence, re.IGNORECASE):
                return ProductAnswer(product, aspect, f'Its description says: "{truncate(sentence.strip(), 200)}"', True)
        topic = ASPECT_TOPICS.get(aspect, f"its {aspect.replace('_', ' ')}")
        return ProductAnswer(product, aspect, f"The listing for the {name} doesn't say {topic}, so I won't guess.", False)
    facts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in product.key_attributes(5).items())
    desc = product.description or ""
    # crawled descriptions that are just the spec sheet again add nothing the facts don't say
    if re.match(r"\s*(key features of|specifications of)", desc, re.IGNORECASE):
        desc = ""
    desc = truncate(desc, 220) if desc else ""
    text = f"The {name} is {_money(product)}" + (f" ({facts})" if facts else "") + "." + (f" {desc}" if desc else "")
    return ProductAnswer(product, aspect, text, True)
