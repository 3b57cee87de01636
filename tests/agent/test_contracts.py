"""Contract tests for the seams in ``agent/protocols.py``: one suite per Protocol, run against the real
implementation and the deterministic fake in ``tests/fakes.py`` (as Haystack tests its document stores).

The fakes' cases are ``unit``; the real embedder and router load their models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from agent import slots as slot_lib
from agent.composer import TemplateComposer
from agent.orders import ActionResult, Order
from agent.protocols import Composer, Embedder, IntentRouter, Reranker
from retrieval.rerank import DiversityReranker
from retrieval.schema import MatchExplanation, Product, ProductHit
from tests.fakes import FakeEmbedder, FakeRouter, IdentityReranker

unit = pytest.mark.unit


# --- Embedder ---------------------------------------------------------------------------------------
@pytest.fixture(params=[pytest.param("fake", marks=unit), "real"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "fake":
        return FakeEmbedder()
    from aisle.settings import EmbeddingSettings

    return request.getfixturevalue("embedders").get(EmbeddingSettings())


def test_embedder_returns_unit_vectors_of_its_dimension(embedder: Embedder) -> None:
    docs = embedder.embed_documents(["red cotton kurta", "steel water bottle"])
    q = embedder.embed_query("red kurta")
    assert docs.shape == (2, embedder.dimension) and q.shape == (embedder.dimension,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3) and abs(float(np.linalg.norm(q)) - 1.0) < 1e-3


def test_embedder_puts_a_query_nearer_the_document_it_describes(embedder: Embedder) -> None:
    docs = embedder.embed_documents(["red cotton kurta for women", "steel water bottle 1 litre"])
    sims = docs @ embedder.embed_query("red kurta")
    assert sims[0] > sims[1]


def test_embedder_is_deterministic(embedder: Embedder) -> None:
    assert np.allclose(embedder.embed_query("analog watch"), embedder.embed_query("analog watch"), atol=1e-5)


# --- IntentRouter -----------------------------------------------------------------------------------
@pytest.fixture(params=[pytest.param("fake", marks=unit), "real"])
def intent_router(request: pytest.FixtureRequest) -> IntentRouter:
    if request.param == "fake":
        return FakeRouter({"where is my order": ("track_order", 0.95), "hello": ("greeting", 0.99)})
    from agent.router import Router

    return Router(request.getfixturevalue("store_settings"))


def test_router_answers_with_a_known_label_and_a_probability(intent_router: IntentRouter) -> None:
    assert isinstance(intent_router, IntentRouter)
    intent_router.warm_up()
    for text in ("where is my order", "hello", "what's the capital of France"):
        pred = intent_router.route_message(text, slot_lib.extract(text)).prediction
        assert pred.intent in set(intent_router.labels) and 0.0 <= pred.confidence <= 1.0
        assert pred.is_oos == (pred.intent == "out_of_scope")


def test_router_routes_plain_requests(intent_router: IntentRouter) -> None:
    assert (
        intent_router.route_message("where is my order", slot_lib.extract("where is my order")).prediction.intent == "track_order"
    )
    assert intent_router.route_message("hello", slot_lib.extract("hello")).prediction.intent == "greeting"


# --- Composer ---------------------------------------------------------------------------------------
ORDER = Order("ORD-10001", "a@example.com", "A", "delivered", [{"product_id": "P1", "qty": 1, "price": 499}], total=499.0,
              delivered_at="2026-11-20T10:00:00+00:00", refund_amount=499.0, refund_status="issued", refund_issued_at="2026-11-21")  # fmt: skip
PRODUCT = Product(id="P1", title="red cotton kurta", price=499.0)
CALLS: dict[str, Callable[[Any], Any]] = {
    "chip": lambda c: c.chip("in_color", color="blue"), "intent_chip": lambda c: c.intent_chip("track_order"),
    "placeholder": lambda c: c.placeholder(), "welcome_chips": lambda c: " ".join(c.welcome_chips()), "system_error": lambda c: c.system_error(),
    "empty_query": lambda c: c.empty_query(), "which_order": lambda c: c.which_order(), "orders_unavailable": lambda c: c.orders_unavailable(),
    "no_thanks": lambda c: c.no_thanks(), "product_answer": lambda c: c.product_answer("Kurta", "It is cotton."),
    "faq_guess": lambda c: c.faq_guess("Returns", "30 days."),
    "small_talk": lambda c: c.small_talk("greeting"), "out_of_scope": lambda c: c.out_of_scope(True), "clarify": lambda c: c.clarify(["track_order"]),
    "empty": lambda c: c.empty(), "truncated": lambda c: c.truncated(2000), "injection": lambda c: c.injection(), "degraded": lambda c: c.degraded(),
    "products": lambda c: c.products([PRODUCT], "kurta", ["red"], []), "recommendations": lambda c: c.recommendations([(PRODUCT, "similar")], "similar", PRODUCT),
    "ordinal_out_of_range": lambda c: c.ordinal_out_of_range(3), "which_product": lambda c: c.which_product(),
    "faq": lambda c: c.faq("Returns", "30 days."), "faq_not_sure": lambda c: c.faq_not_sure("Returns"),
    "ask_verification": lambda c: c.ask_verification("track_order", "ORD-10001", None), "verification_failed": lambda c: c.verification_failed(2),
    "verification_locked": lambda c: c.verification_locked(), "order_status": lambda c: c.order_status(ORDER), "invoice": lambda c: c.invoice(ORDER),
    "refund_status": lambda c: c.refund_status(ORDER), "confirm": lambda c: c.confirm("cancel_order", ORDER),
    "action_result": lambda c: c.action_result(ActionResult(True, "cancel_order", "cancel_done", ORDER)), "declined": lambda c: c.declined(),
    "handoff": lambda c: c.handoff("requested"), "offer_human": lambda c: c.offer_human(),
}  # fmt: skip


def _composers() -> list[Any]:
    from agent.composer import composer_for

    return [
        pytest.param(TemplateComposer(), marks=unit, id="en"),
        pytest.param(composer_for("zh", "Aisle Demo Store"), marks=unit, id="zh"),
    ]


@pytest.mark.parametrize("composer", _composers())
def test_composer_writes_every_reply_the_protocol_names(composer: Composer) -> None:
    assert isinstance(composer, Composer)
    protocol_methods = {n for n in vars(Composer) if not n.startswith("_") and callable(getattr(Composer, n))}
    assert protocol_methods == set(CALLS)  # a method added to the Protocol needs a case here
    for name, call in CALLS.items():
        text = call(composer)
        assert isinstance(text, str) and text.strip(), name


@pytest.mark.parametrize("composer", _composers())
def test_composer_states_only_the_facts_it_is_given(composer: Composer) -> None:
    assert "ORD-10001" in composer.order_status(ORDER) and "499" in composer.order_status(ORDER)
    assert "a@example.com" not in composer.order_status(ORDER)  # the e-mail is never echoed


# --- Reranker ---------------------------------------------------------------------------------------
def _hit(pid: str, title: str, score: float) -> ProductHit:
    return ProductHit(Product(id=pid, title=title), score, MatchExplanation())


@pytest.fixture(params=[pytest.param(IdentityReranker(), id="fake"), pytest.param(DiversityReranker(), id="diversity")])
def reranker(request: pytest.FixtureRequest) -> Reranker:
    return request.param


@unit
def test_reranker_keeps_the_hits_and_the_best_first(reranker: Reranker) -> None:
    hits = [
        _hit("a", "red cotton kurta", 1.0),
        _hit("b", "red cotton kurta xl", 0.95),
        _hit("c", "blue silk saree", 0.9),
        _hit("d", "steel bottle", 0.5),
    ]
    out = reranker("red kurta", hits)
    assert sorted(h.product.id for h in out) == ["a", "b", "c", "d"] and out[0].product.id == "a"
    assert reranker("x", []) == []


@unit
def test_diversity_reranker_moves_a_near_duplicate_down() -> None:
    hits = [_hit("a", "red cotton kurta", 1.0), _hit("b", "red cotton kurta", 0.99), _hit("c", "blue silk saree", 0.9)]
    assert [h.product.id for h in DiversityReranker(0.7)("kurta", hits)] == ["a", "c", "b"]
    assert [h.product.id for h in DiversityReranker(1.0)("kurta", hits)] == ["a", "b", "c"]  # λ=1: fused order
