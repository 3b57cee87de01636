"""Multi-turn product search: new searches, refinements, paging and zero-result relaxation.

The session keeps the last query, its filters and the products shown, so follow-ups work:

* "in blue", "for men", "under 800", "size M"  → same query, that facet replaced;
* "cheaper ones" / "more expensive"             → price bound moved past what was shown;
* "show me more"                                 → same search, shown items excluded;
* zero results                                   → drop the least important filter, say which.

A relevance floor keeps filters from padding the list with unrelated items: a hit must
share a content word with the query or be semantically close to it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from statistics import median
from typing import TYPE_CHECKING

from aisle.errors import InputError
from aisle.text import tokenize
from retrieval.schema import Product, ProductHit, SearchFilters
from retrieval.vocab import AMBIGUOUS_COLOR_WORDS, COLOR_FAMILIES, COLOR_SYNONYMS, GENDER_SYNONYMS

if TYPE_CHECKING:
    from agent.session import SessionState
    from aisle.settings import Settings
    from retrieval.retriever import HybridRetriever

log = logging.getLogger(__name__)

# least important first: what to drop when nothing matches
RELAX_ORDER = ("sizes", "brands", "genders", "colors", "categories", "min_price", "max_price")
DENSE_FLOOR = 0.42
FILLER = frozenset(
    {"in", "on", "for", "of", "a", "an", "the", "show", "me", "some", "any", "only", "please", "ones", "one", "just", "also", "too", "something", "anything", "stuff", "items", "things", "do", "you", "have", "got", "what", "about", "how", "colour", "color", "size", "sizes", "cheap", "cheaper", "cheapest", "budget", "affordable", "more", "options", "search", "find", "looking", "buy", "want", "need", "see", "list", "display", "browse", "get", "i'd", "like", "pair", "pairs", "under", "below", "above", "over", "between", "and", "or", "less", "than", "rupees", "rs", "inr", "price", "priced", "cost", "costing", "within", "upto", "up", "to", "around", "range", "ok", "okay", "now", "instead"}
)  # fmt: skip
_NOT_CONTENT = (
    FILLER
    | set(COLOR_FAMILIES)
    | set(COLOR_SYNONYMS)
    | set(GENDER_SYNONYMS)
    | {"women", "men", "kid", "girl", "boy", "xl", "xxl", "xs"}
) - AMBIGUOUS_COLOR_WORDS


def content_terms(text: str) -> set[str]:
    """Query words that name *what* is wanted (not how: colour, audience, size, price, filler)."""
    return {t for t in tokenize(text) if t not in _NOT_CONTENT and not t.isdigit() and len(t) > 1}


# ambiguous colour words ("coffee" mug, "steel" bottle) are only filters when said as colours: keep them in the query
_FACET_WORDS = (
    set(COLOR_FAMILIES) | set(COLOR_SYNONYMS) | set(GENDER_SYNONYMS) | {"womens", "mens", "ladies", "kids"}
) - AMBIGUOUS_COLOR_WORDS


def core_query(text: str) -> str:
    """The query without facet words: "red women's sandals" → "sandals" (facets live in filters)."""
    kept = [w for w in text.split() if re.sub(r"('s|s'|’s)$", "", w.lower().strip(",.!?")) not in _FACET_WORDS]
    return " ".join(kept) or text


def headline(text: str) -> str:
    """The words of a query worth echoing back ("do you have any bluetooth speakers?" → "bluetooth speakers")."""
    wanted = content_terms(text)
    kept = [w.strip(",.!?") for w in core_query(text).split() if (toks := tokenize(w)) and all(t in wanted for t in toks)]
    return " ".join(kept) or core_query(text).strip(" ?!.")


def with_facets(core: str, f: SearchFilters) -> str:
    """Core query plus the current colour/audience words, so ranking follows a refinement."""
    return " ".join([*f.colors, *(g for g in f.genders if g != "unspecified"), core]).strip()


GENERIC_CATEGORY_WORDS = {
    "accessory",
    "accessorie",
    "and",
    "wear",
    "care",
    "supply",
    "supplie",
    "other",
    "for",
    "set",
    "kit",
    "combo",
    "item",
    "product",
    "part",
    "spare",
    "essential",
    "need",
    "festive",
    "home",
    "personal",
    "general",
}


def catalog_terms(category_names: set[str]) -> set[str]:
    """Words that name what the store sells, from its category tree ("watch", "sandal", "mug")."""
    terms: set[str] = set()
    for name in category_names:
        terms.update(t for t in tokenize(name) if len(t) > 2 and t not in GENERIC_CATEGORY_WORDS)
    return terms


def is_refinement(query_text: str, filters: SearchFilters, state: SessionState) -> bool:
    """A follow-up that only changes constraints of the previous search ("in blue", "under 800")."""
    return bool(state.last_query) and not content_terms(query_text) and not filters.is_empty()


@dataclass
class SearchOutcome:
    hits: list[tuple[Product, str]] = field(default_factory=list)
    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    relaxed: list[str] = field(default_factory=list)
    degraded: bool = False
    note: str | None = None  # e.g. "these are the cheapest I have"


def _describe(key: str, f: SearchFilters) -> str:
    return {
        "sizes": f"size {', '.join(f.sizes)}",
        "brands": f"brand {', '.join(f.brands)}",
        "genders": f"for {', '.join(f.genders)}",
        "colors": f"in {', '.join(f.colors)}",
        "categories": f"in {', '.join(f.categories)}",
        "min_price": f"over ₹{f.min_price:,.0f}" if f.min_price is not None else "",
        "max_price": f"under ₹{f.max_price:,.0f}" if f.max_price is not None else "",
    }[key]


def _drop(key: str, f: SearchFilters) -> SearchFilters:
    d = f.to_dict()
    d[key] = None if key in ("min_price", "max_price") else []
    return SearchFilters(**d)


class ProductDialog:
    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    @property
    def k(self) -> int:
        return self.settings.agent.max_products

    def _relevant(self, hits: list[ProductHit], query: str) -> list[ProductHit]:
        terms = content_terms(query)
        if not terms:
            return hits
        return [h for h in hits if terms & set(h.why.matched_terms) or (h.why.dense_score or 0.0) >= DENSE_FLOOR]

    def search(
        self,
        query: str,
        filters: SearchFilters,
        exclude: list[str] | None = None,
        sort_by_price: bool = False,
        relax: bool = True,
    ) -> SearchOutcome:
        """Search; on zero relevant results drop filters (least important first) and report them."""
        f = SearchFilters(**{**filters.to_dict(), "exclude_ids": list(exclude or [])})
        relaxed: list[str] = []
        degraded = False
        order = [k for k in RELAX_ORDER if getattr(f, k) not in (None, [])]
        while True:
            try:
                res = self.retriever.search_products(query, f, k=self.k * 4, parse=False)
                hits, degraded = self._relevant(res.hits, query), degraded or res.degraded
            except InputError:  # an empty query with no filters left
                hits = []
            if hits or not relax or not order:
                break
            key = order.pop(0)
            relaxed.append(_describe(key, f))
            f = _drop(key, f)
        if sort_by_price:
            hits.sort(key=lambda h: (h.product.price is None, h.product.price or 0))
        hits = hits[: self.k]
        return SearchOutcome([(h.product, h.why.sentence()) for h in hits], query, f, relaxed, degraded)

    # --- dialogue moves ----------------------------------------------------------------------
    def new_search(self, query: str, filters: SearchFilters, state: SessionState, sort_by_price: bool = False) -> SearchOutcome:
        outcome = self.search(query, filters, sort_by_price=sort_by_price)
        self._remember(state, outcome, reset=True)
        return outcome

    def refine(self, filters: SearchFilters, state: SessionState) -> SearchOutcome:
        """Replace the facets named in ``filters`` on the last search and run it again."""
        base = SearchFilters.from_dict(state.last_filters)
        merged = base.to_dict()
        for key, value in filters.to_dict().items():
            if key == "exclude_ids":
                continue
            if value not in (None, []):
                merged[key] = value
        if filters.min_price is not None or filters.max_price is not None:
            merged["min_price"], merged["max_price"] = filters.min_price, filters.max_price
        f = SearchFilters(**merged)
        outcome = self.search(with_facets(state.last_query, f), f)
        self._remember(state, outcome, reset=True)
        return outcome

    def more(self, state: SessionState) -> SearchOutcome:
        shown = list(dict.fromkeys([*state.viewed_in_search, *state.last_results]))
        f = SearchFilters.from_dict(state.last_filters)
        outcome = self.search(with_facets(state.last_query, f), f, exclude=shown, relax=False)
        if not outcome.hits:
            outcome.note = "no_more"
        self._remember(state, outcome, reset=False)
        return outcome

    def cheaper(self, state: SessionState, shown: list[Product], pricier: bool = False) -> SearchOutcome:
        prices = [p.price for p in shown if p.price]
        base = SearchFilters.from_dict(state.last_filters)
        if not prices:
            return self.refine(SearchFilters(), state)
        d = base.to_dict()
        if pricier:
            d["min_price"], d["max_price"] = round(max(prices) + 0.01, 2), None
        else:
            d["max_price"], d["min_price"] = round(min(prices) - 0.01, 2), None
        q = with_facets(state.last_query, base)
        outcome = self.search(q, SearchFilters(**d), sort_by_price=not pricier, relax=False)
        if not outcome.hits and not pricier:
            # nothing strictly cheaper: other items within the same budget, said as such
            d["max_price"] = round(median(prices), 2)
            outcome = self.search(q, SearchFilters(**d), exclude=[p.id for p in shown], sort_by_price=True, relax=False)
            if outcome.hits:
                outcome.note = "same_budget"
        if not outcome.hits:
            outcome.note = "no_more_expensive" if pricier else "cheapest_already"
            return outcome
        self._remember(state, outcome, reset=True)
        return outcome

    @staticmethod
    def _remember(state: SessionState, outcome: SearchOutcome, reset: bool) -> None:
        """A new result page: ``reset`` starts a new search; otherwise the old page joins the seen list."""
        ids = [p.id for p, _ in outcome.hits]
        if not ids:
            return
        if reset:
            state.viewed_in_search = []
            state.last_query = core_query(outcome.query)
            state.last_filters = {k: v for k, v in outcome.filters.to_dict().items() if k != "exclude_ids"}
        else:
            state.viewed_in_search = list(dict.fromkeys([*state.viewed_in_search, *state.last_results]))[-60:]
        state.last_results = ids
        state.focus = None
        state.remember_view(ids)


def title_overlap(text: str, product: Product) -> float:
    """Share of a product's title words the message mentions (to resolve "the kolhapuri ones")."""
    words = content_terms(product.title)
    if not words:
        return 0.0
    return len(words & content_terms(text)) / len(words)


def mentioned_product(text: str, candidates: list[Product]) -> Product | None:
    best = max(candidates, key=lambda p: title_overlap(text, p), default=None)
    if best is not None and title_overlap(text, best) >= 0.34:
        return best
    return None
