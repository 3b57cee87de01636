"""Order actions as LangChain tools, for a tool-calling chat model or an external agent framework.

The tools run the same code as the conversation: ``OrderVerifier`` checks the (order id,
e-mail) pair with the same per-order and per-client lockouts, ``OrderStore`` applies the same
cancel/return rules (``Order.is_cancellable`` / ``Order.is_returnable``) and records every
action. Nothing is returned or changed before the pair is verified, a wrong pair never says
which half was wrong, and no tool output contains the e-mail address.

    tools = order_tools(agent.orders, OrderVerifier.from_settings(...), client_id="caller-42")
    chat_model.bind_tools(tools)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from agent.verification import Outcome, email_digest

if TYPE_CHECKING:
    from agent.orders import ActionResult, Order, OrderStore
    from agent.verification import OrderVerifier

SHOWN_FIELDS = ("order_id", "status", "placed_at", "shipped_at", "delivered_at", "carrier", "tracking_number", "total", "currency",
                "return_status", "refund_status", "refund_amount", "refund_issued_at")  # fmt: skip


class OrderCredentials(BaseModel):
    """What every order tool needs: the order number and the e-mail address on the order."""

    order_id: str = Field(description="the order number, e.g. ORD-10234")
    email: str = Field(description="the e-mail address the order was placed with")


def public_view(order: Order) -> dict[str, Any]:
    """The order as a tool may show it: status, dates, totals; no e-mail, name or items' buyer data."""
    return {k: getattr(order, k) for k in SHOWN_FIELDS}


def _action(result: ActionResult) -> dict[str, Any]:
    return {"ok": result.ok, "action": result.action, "outcome": result.message_key, "detail": result.detail,
            "order": public_view(result.order) if result.order else None}  # fmt: skip


def order_tools(orders: OrderStore, verifier: OrderVerifier, client_id: str, session_id: str | None = None) -> list[BaseTool]:
    """``order_status``, ``cancel_order`` and ``start_return`` for one caller (``client_id`` counts its failures)."""

    def verified(order_id: str, email: str) -> tuple[Order | None, dict[str, Any]]:
        res = verifier.verify(order_id, email_digest(verifier.secret, email), client_id, session_id)
        if res.outcome is Outcome.VERIFIED and res.order is not None:
            return res.order, {}
        if res.outcome is Outcome.LOCKED:
            return None, {
                "ok": False,
                "error": "too many wrong attempts; try again later",
                "retry_after_s": round(res.retry_after_s),
            }
        return None, {
            "ok": False,
            "error": "the order number and e-mail address do not match",
            "attempts_left": res.attempts_left,
        }

    def order_status(order_id: str, email: str) -> dict[str, Any]:
        order, refusal = verified(order_id, email)
        if order is None:
            return refusal
        orders.record("order_status", "shown", order.order_id, session_id, {"via": "tool"})
        return {"ok": True, "order": public_view(order)}

    def cancel_order(order_id: str, email: str) -> dict[str, Any]:
        order, refusal = verified(order_id, email)
        return refusal if order is None else _action(orders.cancel(order.order_id, session_id))

    def start_return(order_id: str, email: str) -> dict[str, Any]:
        order, refusal = verified(order_id, email)
        return refusal if order is None else _action(orders.start_return(order.order_id, session_id))

    def tool(fn: Any, description: str) -> BaseTool:
        return StructuredTool.from_function(fn, name=fn.__name__, description=description, args_schema=OrderCredentials)

    return [
        tool(order_status, "Status, tracking and refund of one order, after checking the order number against the e-mail on it."),
        tool(
            cancel_order,
            "Cancel an order that has not shipped yet (refunded in full), after checking the order number and e-mail.",
        ),
        tool(
            start_return,
            "Start a return of a delivered order within the return window, after checking the order number and e-mail.",
        ),
    ]
