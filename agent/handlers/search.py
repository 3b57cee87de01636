"""Product search and its follow-ups: a new search, the next page, cheaper/pricier, a refinement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.handlers.base import CatalogView, Draft, Turn, cards
from agent.policy import Route
from agent.search import content_terms
from aisle.labels import PRODUCT_INTENTS

if TYPE_CHECKING:
    from agent.protocols import Composer
    from agent.search import ProductDialog, SearchOutcome

CHIP_COLORS = ("blue", "black", "red", "white")


class SearchHandler:
    """Runs ``Route.SEARCH``, ``MORE``, ``CHEAPER`` and ``REFINE`` through ``ProductDialog``."""

    def __init__(self, products: ProductDialog, catalog: CatalogView, compose: Composer) -> None:
        self.products = products
        self.catalog = catalog
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        route = turn.decision.route if turn.decision else Route.SEARCH
        st, s = turn.state, turn.slots
        if route is Route.MORE:
            return self.draft(turn, self.products.more(st), paged=True)
        if route is Route.CHEAPER:
            return self.draft(turn, self.products.cheaper(st, self.catalog.products_by_id(st.last_results), pricier=s.pricier))
        if route is Route.REFINE:
            return self.draft(turn, self.products.refine(s.filters, st))
        if not content_terms(s.query_text) and s.filters.is_empty():
            return Draft(self.compose.empty_query(), "product_search", turn.pred.confidence)
        outcome = self.products.new_search(
            s.query_text, s.filters, st, sort_by_price=s.wants_cheap and s.filters.max_price is None
        )
        return self.draft(turn, outcome)

    def draft(self, turn: Turn, outcome: SearchOutcome, paged: bool = False) -> Draft:
        products = [p for p, _ in outcome.hits]
        text = self.compose.products(products, outcome.query, outcome.filters.describe(), outcome.relaxed, outcome.note, paged)
        if outcome.degraded:
            text += self.compose.degraded()
        chips = []
        if products:
            chips = [self.compose.chip(k) for k in ("cheaper", "more", "first_one")]
            colors = [c for c in CHIP_COLORS if c not in outcome.filters.colors]
            chips.insert(1, self.compose.chip("in_color", color=colors[0]))
        intent = turn.pred.intent if turn.pred.intent in PRODUCT_INTENTS else "product_search"
        turn.degraded = turn.degraded or outcome.degraded
        return Draft(
            text,
            intent,
            turn.pred.confidence,
            products=cards(outcome.hits),
            suggestions=chips,
            understood=bool(products) or outcome.note is not None,
        )
