"""One turn's answer: the policy decides, the pending flow or a handler drafts the reply.

``Dialogue.run(turn) -> Draft`` is everything ``Agent`` delegates between reading the
session and saving the turn. ``Dialogue.build`` wires the standard handlers; tests and
other stores may pass their own ``handlers`` mapping instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from agent.composer import composer_for
from agent.faq import FaqAnswerer
from agent.flows import PendingFlow
from agent.handlers import (
    CatalogView,
    ClarifyHandler,
    Draft,
    FaqHandler,
    Handler,
    HandoffHandler,
    InjectionHandler,
    OrderHandler,
    OrdinalOutOfRangeHandler,
    OutOfScopeHandler,
    ProductQuestionHandler,
    RecommendationHandler,
    SearchHandler,
    SmallTalkHandler,
    Turn,
)
from agent.handlers.rescue import HelpCentreRescue, RescueThresholds
from agent.policy import Decision, DialoguePolicy, Route
from agent.recommend import Recommender
from agent.search import ProductDialog

if TYPE_CHECKING:
    from agent.composer import TemplateComposer
    from agent.orders import OrderStore
    from aisle.settings import Settings
    from retrieval.retriever import HybridRetriever


class Dialogue:
    def __init__(
        self,
        policy: DialoguePolicy,
        catalog: CatalogView,
        handlers: Mapping[Route, Handler],
        orders: OrderHandler,
        compose: TemplateComposer,
    ) -> None:
        missing = set(Route) - {Route.PENDING} - set(handlers)
        if missing:
            raise ValueError(f"no handler for route(s) {sorted(r.value for r in missing)}")
        self.policy = policy
        self.catalog = catalog
        self.handlers = dict(handlers)
        self.flow = PendingFlow(policy, compose, orders, self.dispatch)

    @classmethod
    def build(cls, settings: Settings, retriever: HybridRetriever, orders: OrderStore, compose: TemplateComposer) -> Dialogue:
        """The standard handlers over one retriever and order store."""
        oos = settings.intents.oos_label
        catalog = CatalogView(retriever)
        faq = FaqAnswerer(retriever, settings)
        products = ProductDialog(retriever, settings)
        handoff = HandoffHandler(compose, faq, oos)
        search = SearchHandler(products, catalog, compose)
        order_handler = OrderHandler(orders, catalog, faq, compose, handoff, settings.agent)
        handlers: dict[Route, Handler] = {
            Route.INJECTION: InjectionHandler(compose),
            Route.HANDOFF: handoff,
            Route.ORDERS: order_handler,
            Route.SEARCH: search, Route.MORE: search, Route.CHEAPER: search, Route.REFINE: search,
            Route.ORDINAL_OUT_OF_RANGE: OrdinalOutOfRangeHandler(compose),
            Route.PRODUCT_QUESTION: ProductQuestionHandler(products, catalog, compose),
            Route.RECOMMEND: RecommendationHandler(Recommender(retriever, settings.agent.max_products), compose),
            Route.SMALL_TALK: SmallTalkHandler(compose),
            Route.FAQ: FaqHandler(faq, compose),
            Route.CLARIFY: ClarifyHandler(compose, handoff, settings.agent, oos),
            Route.OUT_OF_SCOPE: OutOfScopeHandler(compose, handoff, settings.agent, oos,
                                                  rescue=HelpCentreRescue(retriever, compose, RescueThresholds.from_settings(settings.policy), oos)),
        }  # fmt: skip
        policy = DialoguePolicy(settings.policy, settings.agent, oos)
        return cls(policy, catalog, handlers, order_handler, compose)

    def run(self, turn: Turn) -> Draft:
        decision = self.policy.decide(turn.text, turn.slots, turn.pred, turn.state, self.catalog)
        if decision.route is Route.PENDING:
            draft = self.flow.resume(turn)
            if draft is not None:
                return draft
            decision = self.policy.decide(turn.text, turn.slots, turn.pred, turn.state, self.catalog)  # nothing pending now
        return self.dispatch(turn, decision)

    def dispatch(self, turn: Turn, decision: Decision) -> Draft:
        """Run ``decision`` through its handler (the policy may have replaced the router's prediction)."""
        turn.decision = decision
        if decision.prediction is not None:
            turn.pred = decision.prediction
        return self.handlers[decision.route].run(turn)


class Dialogues:
    """One ``Dialogue`` per reply language (its handlers write through that language's composer), built on first use.

    An injected ``dialogue`` serves every language (tests, custom stores).
    """

    def __init__(self, settings: Settings, retriever: HybridRetriever, orders: OrderStore, compose: TemplateComposer,
                 dialogue: Dialogue | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.retriever = retriever
        self.orders = orders
        self.default = dialogue or Dialogue.build(settings, retriever, orders, compose)
        self._custom = dialogue is not None
        self._composers: dict[str, TemplateComposer] = {compose.language: compose}
        self._dialogues: dict[str, Dialogue] = {compose.language: self.default}
        self._store_name = compose.store

    def composer(self, language: str) -> TemplateComposer:
        """The composer for replies in ``language`` (English templates for languages without their own)."""
        if language not in self._composers:
            self._composers[language] = composer_for(language, self._store_name)
        return self._composers[language]

    def for_language(self, language: str) -> Dialogue:
        compose = self.composer(language)
        if self._custom:
            return self.default
        if compose.language not in self._dialogues:
            self._dialogues[compose.language] = Dialogue.build(self.settings, self.retriever, self.orders, compose)
        return self._dialogues[compose.language]
