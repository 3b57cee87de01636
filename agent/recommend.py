"""Explained recommendations: similar items, things that go together, and personal picks.

* **similar**: the anchor product's embedding neighbours within a price band (±35 %);
* **goes well with**: category rules (a dress → sandals, clutches, earrings…), searched in
  the anchor's audience;
* **personal**: no anchor → what the message asks for ("a gift for my wife under 1000"),
  boosted toward colours and categories the shopper viewed or liked.

Every product carries a one-line human-readable *why*.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aisle.errors import AisleError, NotFoundError
from aisle.formatting import money
from retrieval.schema import Product, SearchFilters

if TYPE_CHECKING:
    from agent.session import SessionState
    from retrieval.retriever import HybridRetriever

log = logging.getLogger(__name__)

PRICE_BAND = 0.35
GOES_WITH_RE = re.compile(
    r"go(?:es)? (?:well )?with|match(?:es)?|pair(?:s)? with|complete the look|wear with|along with|accessor|搭配|配什么|配套",
    re.IGNORECASE,
)

# (words in the anchor's category/title) → complementary searches
COMPLEMENTS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("dress", "frock", "gown"), ("sandals", "clutch", "earrings", "necklace")),
    (("kurta", "kurti", "salwar", "lehenga", "saree"), ("leggings", "dupatta", "bangles", "earrings")),
    (("top", "tunic", "blouse"), ("jeans", "leggings", "sling bag")),
    (("shirt", "t-shirt", "tshirt", "polo"), ("jeans", "belt", "watch")),
    (("jeans", "trouser", "chino"), ("t-shirt", "belt", "casual shoes")),
    (("sandal", "heel", "flats", "ballerina", "wedge", "bellies"), ("dress", "clutch", "anklet")),
    (("shoe", "sneaker", "loafer", "boot"), ("socks", "jeans", "belt")),
    (("watch",), ("wallet", "belt", "sunglasses")),
    (("mug", "cup"), ("coaster", "tea", "flask")),
    (("bottle", "flask"), ("lunch box", "backpack")),
    (("backpack", "bag"), ("water bottle", "wallet")),
    (("ring", "necklace", "earring", "pendant", "bangle", "bracelet"), ("earrings", "necklace", "jewellery box")),
    (("bedsheet", "pillow", "duvet"), ("cushion covers", "curtains")),
    (("bat", "cricket"), ("cricket gloves", "cricket pads", "cricket ball")),
    (("yoga",), ("water bottle", "track pants", "gym bag")),
]


# words that ask *for* a recommendation rather than say what to recommend
REQUEST_WORDS = frozenset(
    {"recommend", "recommendation", "recommendations", "suggest", "suggestion", "suggestions", "similar", "else", "alternative", "alternatives", "like", "good", "best", "nice", "popular", "trending", "pick", "picks", "choose", "decide", "should", "would", "could", "get", "buy", "idea", "ideas", "advice", "option", "options", "something", "anything", "what", "which", "you", "your", "me", "my", "favourite", "favorite", "go", "goes", "well", "with", "match", "matches", "this", "that", "these", "those", "one", "ones", "it", "them", "people", "usually"}
)  # fmt: skip  # not "top": tops are a category this catalog sells


def recommendation_query(text: str) -> str:
    """What is being asked for, without the asking ("suggest a gift for my wife" → "gift wife")."""
    from aisle.text import tokenize

    words = [w for w in tokenize(text) if w not in REQUEST_WORDS]
    return " ".join(words)


@dataclass
class Recommendation:
    items: list[tuple[Product, str]] = field(default_factory=list)
    mode: str = "personal"  # "similar" | "goes_with" | "personal"
    anchor: Product | None = None


def _money(x: float) -> str:
    return money(round(x))  # a price band, not a price: whole rupees


class Recommender:
    def __init__(self, retriever: HybridRetriever, k: int) -> None:
        self.retriever = retriever
        self.k = k

    def anchor(self, state: SessionState) -> Product | None:
        pid = state.focus or (state.liked[-1] if state.liked else None) or (state.last_results[0] if state.last_results else None)
        if not pid:
            return None
        try:
            return self.retriever.get_products([pid])[0]
        except NotFoundError:  # the item left the catalog since it was shown
            return None
        except AisleError:
            log.warning("could not load the anchor product %s", pid, exc_info=True)
            return None

    def recommend(self, text: str, query: str, filters: SearchFilters, state: SessionState) -> Recommendation:
        anchor = self.anchor(state)
        if anchor is not None and GOES_WITH_RE.search(text):
            rec = self.goes_with(anchor, state)
            if rec.items:
                return rec
        if anchor is not None and not query.strip() and filters.is_empty():
            rec = self.similar(anchor, state)
            if rec.items:
                return rec
        return self.personal(query, filters, state)

    def similar(self, anchor: Product, state: SessionState) -> Recommendation:
        f = SearchFilters(exclude_ids=list(state.last_results))
        if anchor.price:
            f.min_price, f.max_price = round(anchor.price * (1 - PRICE_BAND)), round(anchor.price * (1 + PRICE_BAND))
        hits = self.retriever.similar_products(anchor.id, k=self.k, filters=f)
        band = f" in the same price range ({_money(f.min_price)}–{_money(f.max_price)})" if anchor.price else ""
        items = [(h.product, f"similar to the {anchor.title} you looked at{band}") for h in hits]
        return Recommendation(items, "similar", anchor)

    def goes_with(self, anchor: Product, state: SessionState) -> Recommendation:
        hay = f"{anchor.category} {anchor.title}".lower()
        targets = next((c for keys, c in COMPLEMENTS if any(k in hay for k in keys)), ())
        items: list[tuple[Product, str]] = []
        seen = {anchor.id}
        for target in targets:
            f = SearchFilters(genders=[g for g in anchor.genders if g in ("women", "men")][:1], exclude_ids=list(seen))
            res = self.retriever.search_products(target, f, k=3, parse=False)
            for h in res.hits:
                if (
                    h.product.id not in seen
                    and target.split()[0].rstrip("s") in f"{h.product.title} {h.product.category}".lower()
                ):
                    items.append((h.product, f"goes well with your {anchor.title}: {target} complete the look"))
                    seen.add(h.product.id)
                    break
            if len(items) >= self.k:
                break
        return Recommendation(items, "goes_with", anchor)

    def personal(self, query: str, filters: SearchFilters, state: SessionState) -> Recommendation:
        q = query.strip() or "popular gift"
        res = self.retriever.search_products(q, filters, k=self.k * 3, parse=False)
        liked_colors = set()
        liked_cats = set()
        for pid in [*state.liked, *state.viewed[-5:]]:
            try:
                p = self.retriever.get_products([pid])[0]
            except NotFoundError:  # the item left the catalog since it was viewed
                continue
            except AisleError:
                log.warning("could not load viewed product %s for personalisation", pid, exc_info=True)
                continue
            liked_colors.update(p.colors)
            liked_cats.update(c.lower() for c in p.category_path[:2])
        scored = []
        for rank, h in enumerate(res.hits):
            p = h.product
            bonus = 0.0
            reasons = []
            if liked_colors & set(p.colors):
                bonus += 0.5
                reasons.append(f"in {min(liked_colors & set(p.colors))}, a colour you looked at")
            if liked_cats & {c.lower() for c in p.category_path[:2]}:
                bonus += 0.3
                reasons.append("close to what you browsed")
            if p.rating and p.rating >= 4:
                bonus += 0.2
                reasons.append(f"rated {p.rating:.1f}★")
            why = "; ".join(reasons) or h.why.sentence() or "matches what you asked for"
            scored.append((rank - bonus * 3, p, why))
        scored.sort(key=lambda t: t[0])
        constraints = ", ".join(filters.describe())
        items = [
            (p, f"{why}" + (f" ({constraints})" if constraints and "matches" not in why else ""))
            for _, p, why in scored[: self.k]
        ]
        return Recommendation(items, "personal", None)
