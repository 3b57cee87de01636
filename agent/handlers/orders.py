"""Orders: verify the shopper (order id + the e-mail on the order), then show or act.

Nothing about an order is shown or changed before verification. Wrong pairs are counted per
order and per client in SQLite, across sessions and processes (``agent/verification.py``):
too many lock the order (or the client) and hand over to a person, and replies never say
which half was wrong. The e-mail under verification is kept only as a keyed digest until the
pair is checked. A verified order stays verified in its session until it has been idle for
``agent.verification_idle_s``, and is used only when the message names it ("where is my
order?" asks which one). Cancelling and starting a return ask for a yes first (the pending
flow, ``agent/flows.py``, carries the answer out).

Before any lookup the order store's health is checked (``agent/store_health.py``): a store
that vanished, was replaced or lost its orders answers degraded and offers a person, and the
miss is not counted against the shopper.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agent.handlers.base import CatalogView, Draft, Turn, cards, citation
from agent.privacy import StoreSecret
from agent.session import Pending
from agent.store_health import StoreGuard
from agent.verification import OrderVerifier, Outcome, email_digest, grant, prune, usable
from aisle.labels import INVOICE_INTENTS, ORDER_INTENTS

if TYPE_CHECKING:
    from agent.faq import FaqAnswerer
    from agent.handlers.handoff import HandoffHandler
    from agent.orders import ActionResult, Order, OrderStore
    from agent.protocols import Composer
    from agent.types import Citation
    from aisle.settings import AgentSettings


def outcome(result: ActionResult) -> dict[str, str | None]:
    """``Reply.action``/``action_status`` of a cancel or return attempt: named only when it was carried out."""
    return {"action": result.action, "action_status": "done"} if result.ok else {"action": None, "action_status": "refused"}


RETURN_INSTEAD_MIN_PROB = 0.15  # top-k weight for get_refund that lets a delivered order's state pick it over cancel


class OrderHandler:
    def __init__(
        self,
        orders: OrderStore,
        catalog: CatalogView,
        faq: FaqAnswerer,
        compose: Composer,
        handoff: HandoffHandler,
        settings: AgentSettings,
        *,
        verifier: OrderVerifier | None = None,
        guard: StoreGuard | None = None,
        secret: StoreSecret | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.orders = orders
        self.catalog = catalog
        self.faq = faq
        self.compose = compose
        self.handoff = handoff
        self.settings = settings
        self.secret = secret or StoreSecret.load_or_create(orders.settings.home)
        self.verifier = verifier or OrderVerifier.from_settings(orders.db, self.secret, settings, clock)
        self.guard = guard or StoreGuard(orders.settings, orders.db)
        self.clock = clock

    def run(self, turn: Turn) -> Draft:
        intent = turn.decision.intent if turn.decision else turn.pred.intent
        return self.verify(turn, intent)

    def _yes_no(self) -> list[str]:
        return [self.compose.chip("yes"), self.compose.chip("no")]

    def verify(self, turn: Turn, intent: str) -> Draft:
        """Collect order id and e-mail (across turns), check them, then ``perform`` ``intent``."""
        st, s, conf = turn.state, turn.slots, turn.pred.confidence
        citations = citation(self.faq.entry_for(intent))
        if not self.guard.check().ok:
            return self.store_unavailable(turn, intent, citations)
        now, idle = self.clock(), self.settings.verification_idle_s
        prune(st.verified, now, idle)
        pending = st.pending if st.pending is not None and st.pending.kind == "verify" else None
        order_id = s.order_ids[0] if s.order_ids else (pending.order_id if pending else None)
        digest = email_digest(self.secret, s.emails[0]) if s.emails else (pending.email_digest if pending else None)
        if order_id and usable(st.verified, order_id, now, idle):  # named, and verified in this session
            st.pending = None
            return self.perform(turn, intent, self.orders.get(order_id), citations)
        client = turn.client_id or turn.session_id
        if self.verifier.locked(order_id, client):
            return self.locked(turn, intent, citations)
        if not order_id and st.verified and not digest:
            st.pending = Pending("verify", intent)  # a verified order is never guessed: the shopper names it
            return Draft(
                self.compose.which_order(), intent, conf, citations=citations, suggestions=[self.compose.chip("talk_to_person")]
            )
        if not order_id or not digest:
            st.pending = Pending("verify", intent, order_id, digest)
            return Draft(
                self.compose.ask_verification(intent, order_id, digest),
                intent,
                conf,
                citations=citations,
                suggestions=[self.compose.chip("talk_to_person")],
            )
        result = self.verifier.verify(order_id, digest, client, turn.session_id)
        st.pending = None  # the digest is dropped whatever the outcome
        if result.outcome is Outcome.LOCKED:
            return self.locked(turn, intent, citations)
        if result.outcome is Outcome.MISMATCH or result.order is None:
            st.pending = Pending("verify", intent)
            return Draft(
                self.compose.verification_failed(result.attempts_left), intent, conf, citations=citations, understood=False
            )
        grant(st.verified, result.order.order_id, now)
        return self.perform(turn, intent, result.order, citations)

    def locked(self, turn: Turn, intent: str, citations: list[Citation]) -> Draft:
        """Too many wrong pairs for this order or client: hand over (once per conversation), compare nothing."""
        turn.state.pending = None
        if not turn.state.handed_off:
            return self.handoff.escalate(turn, "verification_locked")
        return Draft(self.compose.verification_locked(), intent, turn.pred.confidence, citations=citations)

    def store_unavailable(self, turn: Turn, intent: str, citations: list[Citation]) -> Draft:
        """The order store vanished or lost its orders: say so (not "details don't match") and offer a person."""
        turn.degraded = True
        turn.state.pending = Pending("offer_human", "order_store_unavailable")
        return Draft(
            self.compose.orders_unavailable(),
            intent,
            turn.pred.confidence,
            citations=citations,
            suggestions=[self.compose.chip("talk_to_person")],
        )

    def perform(self, turn: Turn, intent: str, order: Order, citations: list[Citation]) -> Draft:
        """Show or act on a verified order; cancel and return ask for confirmation when allowed."""
        st, conf, sid = turn.state, turn.pred.confidence, turn.session_id
        items = self.catalog.products_by_id([i["product_id"] for i in order.items][:5])
        shown = cards([(p, f"in order {order.order_id}") for p in items])
        # The router is often torn between "cancel" and "return" ("send it back"); when the order's state
        # rules out cancelling and the router gave "return" real weight, the order decides.
        torn = any(label == "get_refund" and prob >= RETURN_INSTEAD_MIN_PROB for label, prob in turn.pred.top_k)
        if intent == "cancel_order" and torn and not order.is_cancellable(self.settings.cancellable_statuses):
            intent = "get_refund"

        def draft(text: str, **extra: Any) -> Draft:  # every reply about this order shows its items and sources
            return Draft(text, intent, conf, products=shown, citations=citations, **extra)

        def ask_to_confirm(kind: str, action: str) -> Draft:
            st.pending = Pending(kind, intent, order.order_id)
            return draft(self.compose.confirm(action, order), suggestions=self._yes_no(), action_status="pending_confirmation")

        if intent == "cancel_order":
            if order.is_cancellable(self.settings.cancellable_statuses):
                return ask_to_confirm("confirm_cancel", "cancel_order")
            result = self.orders.cancel(order.order_id, sid)  # records the denial and why
            return draft(self.compose.action_result(result), **outcome(result))
        if intent == "get_refund":
            if order.status in ("cancelled", "returned") or (order.refund_status and order.status != "delivered"):
                return draft(self.compose.refund_status(order), action="refund_status", action_status="done")
            if order.is_returnable(datetime.now(UTC), self.settings.return_window_days, self.settings.returnable_statuses):
                return ask_to_confirm("confirm_return", "start_return")
            result = self.orders.start_return(order.order_id, sid)  # records the denial and why
            return draft(self.compose.action_result(result), **outcome(result))
        if intent == "track_refund":
            self.orders.record("refund_status", "shown", order.order_id, sid)
            return draft(self.compose.refund_status(order), action="refund_status", action_status="done")
        if intent in INVOICE_INTENTS:
            self.orders.record("invoice", "shown", order.order_id, sid)
            return draft(self.compose.invoice(order), action="invoice", action_status="done")
        self.orders.record("order_status", "shown", order.order_id, sid)
        # the chips name the order: a verified order is only used when the message names it
        return Draft(
            self.compose.order_status(order),
            intent if intent in ORDER_INTENTS else "track_order",
            conf,
            products=shown,
            citations=citations,
            action="order_status",
            action_status="done",
            suggestions=[
                self.compose.chip("cancel_order", order_id=order.order_id),
                self.compose.chip("return_order", order_id=order.order_id),
                self.compose.chip("talk_to_person"),
            ],
        )

    def confirmed(self, turn: Turn, action: str, order_id: str, intent: str) -> Draft:
        """Carry out a cancel or return the shopper just said yes to (still verified, on a healthy store)."""
        if not self.guard.check().ok:
            return self.store_unavailable(turn, intent, [])
        if not usable(turn.state.verified, order_id, self.clock(), self.settings.verification_idle_s):
            turn.state.pending = Pending("verify", intent, order_id)
            return Draft(
                self.compose.ask_verification(intent, order_id, None),
                intent,
                turn.pred.confidence,
                suggestions=[self.compose.chip("talk_to_person")],
            )
        if action == "cancel_order":
            result = self.orders.cancel(order_id, turn.session_id)
        else:
            result = self.orders.start_return(order_id, turn.session_id)
        return Draft(self.compose.action_result(result), intent, turn.pred.confidence, **outcome(result))
