"""The pending flow: what a "yes", a "no", an order number or a choice does to the open question."""

from __future__ import annotations

from agent import slots as slot_lib
from agent.composer import TemplateComposer
from agent.flows import PendingFlow
from agent.handlers.base import Draft, Turn
from agent.policy import Decision, DialoguePolicy, Route
from agent.session import Pending, SessionState
from aisle.settings import AgentSettings, PolicySettings
from finetune.classifier import IntentPrediction


class FakeOrders:
    def __init__(self) -> None:
        self.done: list[tuple[str, str]] = []

    def confirmed(self, turn: Turn, action: str, order_id: str, intent: str) -> Draft:
        self.done.append((action, order_id))
        return Draft("done", intent, turn.pred.confidence, action=action)


def flow() -> tuple[PendingFlow, FakeOrders, list[Decision]]:
    dispatched: list[Decision] = []

    def dispatch(turn: Turn, decision: Decision) -> Draft:
        dispatched.append(decision)
        return Draft(f"ran {decision.route.value}", decision.intent, turn.pred.confidence)

    orders = FakeOrders()
    return (
        PendingFlow(DialoguePolicy(PolicySettings(), AgentSettings()), TemplateComposer(), orders, dispatch),
        orders,
        dispatched,
    )  # type: ignore[arg-type]


def turn(text: str, pending: Pending, intent: str = "greeting", conf: float = 0.3) -> Turn:
    return Turn(
        "s", text, SessionState(pending=pending), slot_lib.extract(text), IntentPrediction(intent, conf, [(intent, conf)])
    )


def test_yes_carries_out_the_confirmed_cancel_once() -> None:
    f, orders, _ = flow()
    t = turn("yes please", Pending("confirm_cancel", "cancel_order", "ORD-10001"))
    draft = f.resume(t)
    assert draft is not None and draft.action == "cancel_order"
    assert orders.done == [("cancel_order", "ORD-10001")] and t.state.pending is None


def test_no_drops_the_action_and_does_nothing() -> None:
    f, orders, _ = flow()
    t = turn("no", Pending("confirm_return", "get_refund", "ORD-10001"))
    draft = f.resume(t)
    assert draft is not None and draft.action is None and orders.done == [] and t.state.pending is None


def test_something_else_clears_the_question_and_lets_the_policy_decide() -> None:
    f, orders, dispatched = flow()
    t = turn("show me red shoes", Pending("confirm_cancel", "cancel_order", "ORD-10001"), "product_search", 0.95)
    assert f.resume(t) is None and t.state.pending is None and orders.done == [] and dispatched == []


def test_an_order_number_continues_verification() -> None:
    f, _, dispatched = flow()
    t = turn("it's ORD-10001", Pending("verify", "get_refund"))
    f.resume(t)
    assert dispatched == [Decision(Route.ORDERS, "get_refund")]


def test_verification_asks_again_unless_the_shopper_clearly_moved_on() -> None:
    f, _, _ = flow()
    unsure = turn("hmm", Pending("verify", "track_order"), "greeting", 0.4)
    assert f.resume(unsure) is not None and unsure.state.pending is not None
    moved_on = turn("what is your return policy", Pending("verify", "track_order"), "check_refund_policy", 0.95)
    assert f.resume(moved_on) is None and moved_on.state.pending is None


def test_yes_to_an_offered_person_hands_over_with_the_offer_reason() -> None:
    f, _, dispatched = flow()
    f.resume(turn("yes", Pending("offer_human", "not_sure")))
    assert dispatched[0].route is Route.HANDOFF and dispatched[0].reason == "not_sure"


def test_a_clarification_choice_routes_the_chosen_intent_with_a_confidence_floor() -> None:
    f, _, dispatched = flow()
    t = turn("the second one", Pending("clarify", options=["track_order", "get_refund"]), "greeting", 0.3)
    f.resume(t)
    assert dispatched == [Decision(Route.ORDERS, "get_refund")]
    assert t.pred.intent == "get_refund" and t.pred.confidence == PolicySettings().clarify_choice_confidence


def test_a_confident_other_intent_overrides_the_clarification() -> None:
    f, _, dispatched = flow()
    t = turn("yes, and what is the weather", Pending("clarify", options=["track_order"]), "check_refund_policy", 0.9)
    assert f.resume(t) is None and dispatched == []
