"""Questions about one product ("is it waterproof?", "the second one"): find the product meant,
answer from its listing, and offer a person when the listing cannot answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.handlers.base import CatalogView, Draft, Turn
from agent.product_qa import answer as answer_product_question
from agent.search import content_terms, mentioned_product
from agent.session import Pending
from agent.types import ProductCard
from aisle.labels import PRODUCT_INTENTS
from aisle.text import tokenize
from retrieval.schema import SearchFilters

if TYPE_CHECKING:
    from agent.protocols import Composer
    from agent.search import ProductDialog
    from retrieval.schema import Product


class ProductQuestionHandler:
    def __init__(self, products: ProductDialog, catalog: CatalogView, compose: Composer) -> None:
        self.products = products
        self.catalog = catalog
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        product = self.target(turn)
        if product is None:
            return Draft(self.compose.which_product(), "product_question", turn.pred.confidence, understood=False)
        turn.state.focus = product.id
        turn.state.remember_view([product.id])
        ans = answer_product_question(turn.text, product, self.catalog.retriever, turn.slots.filters)
        shown = [ProductCard.from_product(product, f"the item you asked about ({ans.aspect})")]
        shown += [ProductCard.from_product(v, "another listing of the same item") for v in ans.variants]
        text = self.compose.product_answer(product.title, ans.text)
        if not ans.found:
            turn.state.pending = Pending("offer_human", "unanswerable_product_question")
            text += " " + self.compose.offer_human()
        intent = turn.pred.intent if turn.pred.intent in PRODUCT_INTENTS else "product_question"
        return Draft(
            text,
            intent,
            turn.pred.confidence,
            products=shown,
            suggestions=[self.compose.chip("similar"), self.compose.chip("goes_with")],
        )

    def target(self, turn: Turn) -> Product | None:
        """The product meant: an ordinal, a title mentioned, the one in focus, a catalog match, else the first shown."""
        st, s = turn.state, turn.slots
        shown = self.catalog.products_by_id(st.last_results)
        if s.ordinal is not None and shown:
            i = s.ordinal if s.ordinal >= 0 else len(shown) + s.ordinal
            if 0 <= i < len(shown):
                return shown[i]
        named = mentioned_product(turn.text, shown) if shown else None
        if named is not None:
            return named
        kinds = self.catalog.catalog_words(s.query_text)

        def fits(p: Product) -> bool:  # "the fabric of the kurta" is not about the speaker in focus
            return not kinds or bool(kinds & set(tokenize(f"{p.title} {p.category}")))

        if st.focus:
            focus = self.catalog.products_by_id([st.focus])
            if focus and fits(focus[0]):
                return focus[0]
        terms = content_terms(s.query_text)
        if kinds or len(terms) >= 2:
            res = self.products.search(s.query_text, SearchFilters(), relax=False)
            if res.hits:
                return res.hits[0][0]
        return shown[0] if shown and fits(shown[0]) else None
