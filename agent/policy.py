"""The dialogue policy: given a routed message and the conversation so far, what to do this turn.

``DialoguePolicy.decide`` is pure: it reads the message's slots, the router's prediction and
the session state, asks two questions about the catalog through ``CatalogFacts`` (injected,
so tests pass a fake), and returns a ``Decision``. It performs nothing; the handlers in
``agent/handlers/`` do. The order, first match wins:

1. a prompt-injection attempt;
2. an explicit request for a person (the router's ``contact_human_agent``, or
   ``agent.human_request.explicit_human_request``), even while something is pending;
3. something the agent is waiting for (verification, yes/no, a clarification): ``PENDING``,
   handled by ``agent/flows.py``; when the flow does not claim the turn, ``decide`` is
   asked again with nothing pending;
4. an order id or e-mail address with an order-like (or unclear) message;
5. follow-ups that only make sense against what was just shown ("cheaper", "in blue",
   "the second one"): context beats the classifier;
6. a sensitive topic the router is only moderately sure of, or an upset shopper → a person;
7. an unclear message that names things the store sells → a search;
8. low confidence → one clarifying question; out of scope → say so;
9. the routed intent (``for_intent``).

Thresholds are ``Settings.policy`` (and ``Settings.agent.clarify_threshold``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from agent import slots as slot_lib
from agent.human_request import explicit_human_request
from agent.product_qa import aspect_of
from agent.recommend import GOES_WITH_RE
from agent.router import TIE_BREAK_BELOW, KeywordRouter
from agent.search import content_terms, is_refinement
from aisle.labels import (
    COMPLAINT_INTENTS,
    HUMAN_REQUEST,
    INVOICE_INTENTS,
    OOS,
    ORDER_INTENTS,
    PRODUCT_INTENTS,
    SENSITIVE_INTENTS,
    SMALL_TALK,
)
from finetune.classifier import IntentPrediction

if TYPE_CHECKING:
    from agent.session import SessionState
    from aisle.settings import AgentSettings, PolicySettings

SIMILAR_RE = re.compile(r"\b(similar|alternatives?|like (?:this|that|it))\b|类似|相似|差不多的|同款", re.IGNORECASE)
REFERS_RE = re.compile(
    r"\b(it|this|that|these|those|they|them|this one|that one)\b|这个|这款|这件|这双|这条|那个|那款|它", re.IGNORECASE
)
SHORT_MESSAGE = 40  # an ordinal in a message this short refers to the list shown, whatever the router says


class Route(str, Enum):
    """Which handler answers the turn."""

    INJECTION = "injection"
    PENDING = "pending"
    HANDOFF = "handoff"
    ORDERS = "orders"
    SEARCH = "search"
    MORE = "more"
    CHEAPER = "cheaper"
    REFINE = "refine"
    ORDINAL_OUT_OF_RANGE = "ordinal_out_of_range"
    PRODUCT_QUESTION = "product_question"
    RECOMMEND = "recommend"
    SMALL_TALK = "small_talk"
    FAQ = "faq"
    CLARIFY = "clarify"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Decision:
    """What to do this turn.

    ``intent`` is the intent the handler acts under (the order action, the FAQ or small-talk
    intent); ``reason`` and ``cite_intent`` are set for ``HANDOFF``; ``prediction`` replaces
    the router's when the policy overrides it (an unclear message rescued as a search).
    """

    route: Route
    intent: str
    reason: str | None = None
    cite_intent: str | None = None
    prediction: IntentPrediction | None = None


class CatalogFacts(Protocol):
    """The two questions the policy asks about the catalog (``agent/handlers/base.py::CatalogView``)."""

    def names_catalog_items(self, query_text: str) -> bool:
        """Whether the text names a kind of item the store sells ("kurta", "watch")."""
        ...

    def mentions_shown_product(self, text: str, product_ids: list[str]) -> bool:
        """Whether the text names one of the products just shown (by title words)."""
        ...


class DialoguePolicy:
    """Decides each turn (see the module docstring); holds thresholds only."""

    def __init__(self, policy: PolicySettings, agent: AgentSettings, oos_label: str = OOS) -> None:
        self.p = policy
        self.clarify_threshold = agent.clarify_threshold
        self.oos_label = oos_label

    def decide(
        self, text: str, slots: slot_lib.Slots, pred: IntentPrediction, state: SessionState, facts: CatalogFacts
    ) -> Decision:
        s, intent, conf = slots, pred.intent, pred.confidence
        if s.injection:
            return Decision(Route.INJECTION, intent)
        if explicit_human_request(text) or (intent == HUMAN_REQUEST and conf >= self.p.human_request_min_confidence):
            # before anything pending: "let me talk to a person" mid-verification is not an order number
            return Decision(Route.HANDOFF, HUMAN_REQUEST, reason="requested")
        if intent == HUMAN_REQUEST and conf >= self.clarify_threshold and state.pending is None:
            # the router alone, moderately sure, is mostly reacting to a word ("delivery agent never came", "a
            # bleaching agent"): ask, with "talk to a person" as one of the chips, rather than hand over
            return Decision(Route.CLARIFY, intent)
        if state.pending is not None:
            return Decision(Route.PENDING, intent)
        if (s.order_ids or s.emails) and (
            intent in ORDER_INTENTS | INVOICE_INTENTS or conf < self.p.order_confidence or pred.is_oos
        ):
            return Decision(Route.ORDERS, self.order_intent(text, pred))
        follow_up = self.follow_up(text, s, pred, state, facts)
        if follow_up is not None:
            return follow_up
        if intent in SENSITIVE_INTENTS and self.clarify_threshold <= conf < self.p.sensitive_min_confidence:
            return Decision(Route.HANDOFF, intent, reason="sensitive_low_confidence")
        if (pred.is_oos or conf < TIE_BREAK_BELOW) and s.negative >= self.p.strong_negative:
            return Decision(Route.HANDOFF, intent, reason="negative_sentiment", cite_intent="complaint")
        if (
            (pred.is_oos or conf < self.clarify_threshold)
            and self.shopping_plausible(pred)
            and facts.names_catalog_items(s.query_text)
        ):
            # before giving up, check the catalog: "analog watch for men" is a search even if the router balks
            rescued = IntentPrediction(
                "product_search", max(conf, self.p.catalog_grounded_confidence), pred.top_k, False, pred.model_version
            )
            return Decision(Route.SEARCH, "product_search", prediction=rescued)
        if conf < self.clarify_threshold and not pred.is_oos:
            return Decision(Route.CLARIFY, intent)
        if pred.is_oos:
            return Decision(Route.OUT_OF_SCOPE, self.oos_label)
        return self.for_intent(intent, s)

    def shopping_plausible(self, pred: IntentPrediction) -> bool:
        """Whether an unclear message may be read as a search: the router gives the shopping intents at least
        ``policy.catalog_rescue_min_product_prob`` together, and no other in-scope intent more. A catalog word
        ("mobile", "football") must not turn an account edit or the match score into a product search."""
        ranked = pred.alternatives or pred.top_k
        shopping = sum(p for label, p in ranked if label in PRODUCT_INTENTS)
        other = max((p for label, p in ranked if label not in PRODUCT_INTENTS and label != self.oos_label), default=0.0)
        return shopping >= self.p.catalog_rescue_min_product_prob and shopping >= other

    def for_intent(self, intent: str, slots: slot_lib.Slots) -> Decision:
        """The handler for a routed (or clarified) intent."""
        if intent in SMALL_TALK:
            return Decision(Route.SMALL_TALK, intent)
        if intent == "product_search":
            return Decision(Route.SEARCH, intent)
        if intent == "product_question":
            return Decision(Route.PRODUCT_QUESTION, intent)
        if intent == "recommendation":
            return Decision(Route.RECOMMEND, intent)
        if intent in ORDER_INTENTS or (intent in INVOICE_INTENTS and slots.order_ids):
            return Decision(Route.ORDERS, intent)
        if intent in COMPLAINT_INTENTS and slots.negative >= self.p.complaint_negative:
            return Decision(Route.HANDOFF, intent, reason="negative_sentiment", cite_intent="complaint")
        return Decision(Route.FAQ, intent)

    def follow_up(
        self, text: str, s: slot_lib.Slots, pred: IntentPrediction, state: SessionState, facts: CatalogFacts
    ) -> Decision | None:
        """Messages that only make sense against what was just shown; ``None`` when there is nothing shown or no reference."""
        if not state.last_results:
            return None
        intent = pred.intent
        new_words = content_terms(s.query_text)
        productish = intent in PRODUCT_INTENTS or pred.confidence < self.p.productish_below
        # a short message with no new words ("cheaper ones", "show me more") can only refer to the list shown,
        # whatever the router makes of two words; the same reading as for ordinals below
        refers_to_shown = productish or len(text) <= SHORT_MESSAGE
        if s.more and not new_words and refers_to_shown:
            return Decision(Route.MORE, intent)
        if (s.cheaper or s.pricier) and not new_words and refers_to_shown:
            return Decision(Route.CHEAPER, intent)
        if s.ordinal is not None and (productish or len(text) <= SHORT_MESSAGE):
            i = s.ordinal if s.ordinal >= 0 else len(state.last_results) + s.ordinal
            if not 0 <= i < len(state.last_results):
                return Decision(Route.ORDINAL_OUT_OF_RANGE, "product_question")
            return Decision(Route.PRODUCT_QUESTION, intent)
        if GOES_WITH_RE.search(text) or SIMILAR_RE.search(text):
            return Decision(Route.RECOMMEND, intent)
        if intent == "product_question":
            return None
        refers = s.ordinal is not None or REFERS_RE.search(text)
        if aspect_of(text) != "summary" and (refers or facts.mentions_shown_product(text, state.last_results)):
            # "what's it made of?" right after a search is about the shown items, whatever the router says
            return Decision(Route.PRODUCT_QUESTION, intent)
        if is_refinement(s.query_text, s.filters, state) and productish:
            return Decision(Route.REFINE, intent)
        return None

    def order_intent(self, text: str, pred: IntentPrediction) -> str:
        """Which order action a message with an order id/e-mail asks for: the router's intent, else its best
        order-related candidate (a low-confidence OOS call still ranks them), else the explicit words."""
        wanted = ORDER_INTENTS | INVOICE_INTENTS
        if pred.intent in wanted:
            return pred.intent
        for label, p in pred.alternatives or pred.top_k:
            if label in wanted and p >= self.p.order_alternative_min:
                return label
        rule = KeywordRouter.matched_rule(slot_lib.routing_text(text))
        return rule if rule in wanted else "track_order"
