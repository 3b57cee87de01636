"""The pending flow: answers to what the agent asked last turn.

``SessionState.pending`` records one open question:

* ``verify``: order id and/or e-mail still needed (``OrderHandler.verify`` continues it);
* ``confirm_cancel`` / ``confirm_return``: a yes carries the action out, a no drops it;
* ``offer_human``: a yes hands over, a no moves on;
* ``clarify``: the shopper picks one of the offered intents (by ordinal, yes, or its words).

``PendingFlow.resume`` either answers the turn (a ``Draft``) or returns ``None`` with the
question cleared, and the policy then decides the turn as if nothing were pending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.composer import INTENT_PHRASES
from agent.handlers.base import Draft
from agent.policy import Decision, Route
from aisle.labels import ORDER_INTENTS
from finetune.classifier import IntentPrediction

if TYPE_CHECKING:
    from collections.abc import Callable

    from agent.handlers.base import Turn
    from agent.handlers.orders import OrderHandler
    from agent.policy import DialoguePolicy
    from agent.protocols import Composer

MIN_PHRASE_WORD = 5  # words of an intent's phrase this long identify the option ("refund", "invoice")


class PendingFlow:
    """Continues ``turn.state.pending``; ``dispatch`` runs a ``Decision`` through its handler."""

    def __init__(
        self, policy: DialoguePolicy, compose: Composer, orders: OrderHandler, dispatch: Callable[[Turn, Decision], Draft]
    ) -> None:
        self.policy = policy
        self.compose = compose
        self.orders = orders
        self.dispatch = dispatch

    def resume(self, t: Turn) -> Draft | None:
        st, s = t.state, t.slots
        p = st.pending
        if p is None:
            return None
        if p.kind == "verify":
            if s.order_ids or s.emails:
                return self.dispatch(t, Decision(Route.ORDERS, p.intent))
            if t.pred.confidence >= self.policy.p.moved_on_confidence and t.pred.intent not in ORDER_INTENTS:
                st.pending = None  # the shopper moved on
                return None
            return Draft(
                self.compose.ask_verification(p.intent, p.order_id, p.email_digest), p.intent, t.pred.confidence, understood=False
            )
        st.pending = None
        if p.kind in ("confirm_cancel", "confirm_return"):
            if s.yes and not s.no:
                action = "cancel_order" if p.kind == "confirm_cancel" else "start_return"
                return self.orders.confirmed(t, action, p.order_id or "", p.intent)
            if s.no:
                return Draft(self.compose.declined(), p.intent, t.pred.confidence)
            return None
        if p.kind == "offer_human":
            if s.yes and not s.no:
                return self.dispatch(t, Decision(Route.HANDOFF, t.pred.intent, reason=p.intent or "requested"))
            if s.no:
                return Draft(self.compose.no_thanks(), t.pred.intent, t.pred.confidence)
            return None
        if p.kind == "clarify":
            choice = self._choice(t, p.options)
            sure_of_other = t.pred.confidence >= self.policy.p.clarify_choice_confidence and t.pred.intent != choice
            if choice is not None and not sure_of_other:
                floor = max(t.pred.confidence, self.policy.p.clarify_choice_confidence)
                t.pred = IntentPrediction(choice, floor, t.pred.top_k, False, t.pred.model_version)
                return self.dispatch(t, self.policy.for_intent(choice, s))
            return None
        return None

    def _choice(self, t: Turn, options: list[str]) -> str | None:
        s = t.slots
        if s.ordinal is not None and abs(s.ordinal) < len(options):
            return options[s.ordinal]
        if s.yes and options:
            return options[0]
        lowered = t.text.lower()
        chip = next(
            (o for o in options if self.compose.intent_chip(o).lower() in lowered), None
        )  # a clicked chip, in the reply's language
        return chip or next(
            (o for o in options if any(w in lowered for w in INTENT_PHRASES.get(o, o).split() if len(w) >= MIN_PHRASE_WORD)), None
        )
