"""What the shopper notices of routing decisions: a person whenever they ask for one, no product cards for
non-shopping messages, the help centre before a refusal, and ``Reply.action`` only for what was done."""

from __future__ import annotations

import pytest

from agent.human_request import explicit_human_request
from finetune.classifier import IntentPrediction

# phrasings written for these tests (the wild evaluation set is never read by tests or rules)
ASKS_FOR_A_PERSON = [
    "can i talk to a human",
    "connect me with an agent please",
    "I need a real person",
    "agent pls",
    "HUMAN",
    "representative",
    "let me speak to someone from your team",
    "transfer me to a live agent",
    "put me through to a supervisor",
    "i don't want to talk to a bot",
    "no more bots, get me a person",
    "insaan se baat karao",
    "kisi aadmi se baat karni hai",
    "bot se baat nahi karni",
    "Real person please!!",
    "hmuan agent plz",  # one slip from "human"
    "represntative pls",
    "is there a real person there? connect me to them",  # the request refers back
    "stop this ai, i want someone from your support team",
    "kya main kisi executive se chat kar sakta hoon",
]
NOT_A_REQUEST = [
    "are you a bot?",
    "am i talking to a real person",
    "is this a human",
    "what is your customer care number",
    "the delivery agent was rude to me",
    "where is my order",
    "someone stole my parcel",
    "red shoes for men under 1000",
    "otp nahi ai abhi tak",  # Hinglish "ai" = came
    "is there a cleaning agent in this face wash",
    "no need to connect me to anyone, just the refund status",
    "how do i call the support people, is there a number",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_explicit_requests_for_a_person_are_recognised(text: str) -> None:
    assert explicit_human_request(text)


@pytest.mark.parametrize("text", NOT_A_REQUEST)
def test_questions_about_the_bot_and_other_messages_are_not_requests(text: str) -> None:
    assert not explicit_human_request(text)


def _policy():
    from agent.policy import DialoguePolicy
    from aisle.settings import Settings

    s = Settings()
    return DialoguePolicy(s.policy, s.agent)


class _Catalog:
    def __init__(self, names_items: bool) -> None:
        self.names_items = names_items

    def names_catalog_items(self, query_text: str) -> bool:
        return self.names_items

    def mentions_shown_product(self, text: str, product_ids: list[str]) -> bool:
        return False


def test_a_request_for_a_person_hands_off_even_while_verification_is_pending() -> None:
    from agent import slots
    from agent.policy import Route
    from agent.session import Pending, SessionState

    state = SessionState()
    state.pending = Pending("verify", "track_order")
    text = "let me talk to a real person"
    wrong = IntentPrediction("track_order", 0.6, [("track_order", 0.6)])  # whatever the router says
    decision = _policy().decide(text, slots.extract(text), wrong, state, _Catalog(False))
    assert decision.route is Route.HANDOFF and decision.reason == "requested" and decision.intent == "contact_human_agent"


@pytest.mark.parametrize(
    ("text", "confidence", "route"),
    [
        ("the pickup guy never showed up", 0.6, "clarify"),  # the router alone, moderately sure: ask, don't hand over
        ("the pickup guy never showed up", 0.95, "handoff"),  # the router alone, sure
        ("can i talk to somebody from your team", 0.6, "handoff"),  # explicit words: always
    ],
)
def test_the_router_alone_hands_over_only_when_sure(text: str, confidence: float, route: str) -> None:
    from agent import slots
    from agent.policy import Route
    from agent.session import SessionState

    ranked = [("contact_human_agent", confidence), ("track_order", round(1 - confidence, 2))]
    pred = IntentPrediction("contact_human_agent", confidence, ranked)
    decision = _policy().decide(text, slots.extract(text), pred, SessionState(), _Catalog(False))
    assert decision.route is Route(route), decision


@pytest.mark.parametrize(
    ("ranked", "searched"),
    [
        ([("out_of_scope", 0.55), ("product_search", 0.3), ("edit_account", 0.1)], True),  # unsure, but shopping
        ([("out_of_scope", 0.5), ("edit_account", 0.4), ("product_search", 0.05)], False),  # an account edit naming "mobile"
        ([("out_of_scope", 0.97), ("product_search", 0.01)], False),  # clearly not shopping: the match score
    ],
)
def test_catalog_words_make_a_search_only_when_shopping_is_plausible(ranked: list[tuple[str, float]], searched: bool) -> None:
    from agent import slots
    from agent.policy import Route
    from agent.session import SessionState

    pred = IntentPrediction("out_of_scope", ranked[0][1], ranked[:3], True, "test", ranked)
    decision = _policy().decide(
        "mobile football something", slots.extract("mobile football something"), pred, SessionState(), _Catalog(True)
    )
    assert (decision.route is Route.SEARCH) is searched


def test_clarify_options_come_from_articles_then_the_router() -> None:
    from agent.handlers.rescue import clarify_options
    from retrieval.schema import FaqEntry, FaqHit, MatchExplanation

    def hit(intents: list[str]) -> FaqHit:
        return FaqHit(FaqEntry(id="x", title="t", body="b", intents=intents), 0.5, MatchExplanation())

    options = clarify_options(
        [hit(["get_refund", "check_refund_policy"]), hit([])], [("out_of_scope", 0.5), ("get_refund", 0.2), ("track_refund", 0.1)]
    )
    assert options == ["get_refund", "check_refund_policy", "track_refund"]


def test_rescue_thresholds_are_set_by_the_out_of_scope_budget() -> None:
    from agent.handlers.rescue import threshold_for_rate

    oos = [0.1 * i for i in range(1, 10)] + [0.95]  # ten out-of-scope scores, the two highest 0.9 and 0.95
    assert 0.9 < threshold_for_rate(oos, 0.1) <= 0.95  # one of ten may pass
    assert threshold_for_rate(oos, 0.0) > 0.95  # none may


# --- the real agent over the demo store ---------------------------------------------------------------------


def test_help_centre_question_the_router_cannot_place_is_answered_not_refused(demo_stack) -> None:
    from agent.composer import TemplateComposer
    from agent.handlers.base import Turn
    from agent.handlers.rescue import HelpCentreRescue, RescueThresholds
    from agent.session import SessionState

    rescue = HelpCentreRescue(demo_stack.retriever, TemplateComposer(), RescueThresholds(answer=0.5, clarify=0.4))

    def turn(text: str) -> Turn:
        from agent import slots

        return Turn(
            "s1", text, SessionState(), slots.extract(text), IntentPrediction("out_of_scope", 0.9, [("out_of_scope", 0.9)], True)
        )

    draft = rescue.run(turn("can you gift wrap my order for a birthday?"))
    assert draft is not None and draft.citations and "gift" in draft.citations[0].title.lower()
    assert draft.text.startswith("I think you're asking about")
    assert rescue.run(turn("what is the capital of mongolia")) is None


def test_action_names_only_what_was_done(store_agent, store_settings, tmp_path) -> None:
    from tests.security._agent_store import private_agent, private_store

    store_agent = private_agent(store_agent, private_store(store_settings, tmp_path))  # cancels an order: own copy
    r = store_agent.respond("act-1", "I want to cancel ORD-17004, my email is karan.iyer1@example.com")  # shipped: refused
    assert r.action is None and r.action_status == "refused"
    open_order = store_agent.db.query(
        "SELECT order_id, email FROM orders WHERE status IN ('pending', 'processing') ORDER BY order_id LIMIT 1"
    )[0]  # other suites may have cancelled the first ones on the shared store before this copy was made
    r = store_agent.respond("act-2", f"cancel order {open_order['order_id']}, my email is {open_order['email']}")
    assert r.action is None and r.action_status == "pending_confirmation"
    r = store_agent.respond("act-2", "yes")
    assert r.action == "cancel_order" and r.action_status == "done"
    r = store_agent.respond("act-3", "where is ORD-17006? my email is vikram.nair3@example.com")
    assert r.action == "order_status" and r.action_status == "done"


def test_question_gate_and_catalog_threshold_are_chosen_by_right_decisions() -> None:
    from agent.handlers.rescue import calibrate_catalog_rescue, calibrate_clarify_gate

    cases = [(0.3, "get_refund"), (0.6, "track_order"), (0.97, "out_of_scope"), (0.999, "out_of_scope"), (0.95, "out_of_scope")]
    # 40 dev OOS messages, 1 already answered from an article: the 8 % budget allows 2 more (3/40), so the
    # question may go to messages the router gives OOS < 0.99 (the 0.95 and 0.97 ones), not to the 0.999 one
    assert calibrate_clarify_gate(cases, n_oos=40, oos_answered=1)["rescue_clarify_max_oos_prob"] == 0.99
    assert calibrate_clarify_gate(cases, n_oos=10, oos_answered=1)["rescue_clarify_max_oos_prob"] <= 0.9  # a tighter budget
    shopping = [
        ([("out_of_scope", 0.5), ("product_search", 0.4)], "product_search"),
        ([("out_of_scope", 0.9), ("recommendation", 0.08)], "out_of_scope"),
    ]
    assert calibrate_catalog_rescue(shopping)["catalog_rescue_min_product_prob"] <= 0.4
