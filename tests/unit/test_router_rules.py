"""The router around the model, with a scripted classifier: small-talk lexicon, keyword tie-break
and rescue, and the keyword fallback when no model exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.router import RESCUE_MIN_PROB, RULE_CONFIDENCE, TIE_BREAK_BELOW, Router
from aisle.settings import Settings
from finetune.classifier import IntentPrediction
from tests.fakes import FakeClassifier

LABELS = ["cancel_order", "get_refund", "track_order", "check_refund_policy", "greeting", "out_of_scope"]


def router(tmp_path: Path, scripted: dict[str, list[tuple[str, float]]], keyword_tie_break: bool = True) -> Router:
    r = Router(Settings(home=tmp_path), model_dir=tmp_path / "no-model", keyword_tie_break=keyword_tie_break)
    fake = FakeClassifier(scripted, LABELS)
    r.classifier = lambda: fake  # type: ignore[method-assign]
    return r


def pred(ranked: list[tuple[str, float]], oos: bool = False) -> IntentPrediction:
    return IntentPrediction("out_of_scope" if oos else ranked[0][0], ranked[0][1], ranked[:3], oos, "test", ranked)


def test_explicit_words_break_a_tie_among_the_models_candidates(tmp_path: Path) -> None:
    r = router(tmp_path, {})
    p = r.tie_break(pred([("cancel_order", 0.5), ("get_refund", 0.4), ("track_order", 0.1)]), "I want a refund")
    assert p.intent == "get_refund" and p.confidence == max(0.4, RULE_CONFIDENCE)


def test_a_confident_call_is_never_overridden(tmp_path: Path) -> None:
    r = router(tmp_path, {})
    p = pred([("cancel_order", TIE_BREAK_BELOW), ("get_refund", 0.1)])
    assert r.tie_break(p, "refund") is p


def test_words_cannot_pick_a_label_the_model_did_not_consider(tmp_path: Path) -> None:
    r = router(tmp_path, {})
    p = pred([("cancel_order", 0.5), ("track_order", 0.4)])
    assert r.tie_break(p, "I want a refund").intent == "cancel_order"


@pytest.mark.parametrize(
    ("ranked", "rescued"),
    [
        ([("cancel_order", 0.41), ("get_refund", 0.35), ("out_of_scope", 0.2)], True),  # OOS only by threshold: rescued
        ([("cancel_order", 0.41), ("get_refund", RESCUE_MIN_PROB - 0.01), ("out_of_scope", 0.2)], False),  # too unlikely
        ([("out_of_scope", 0.6), ("get_refund", 0.3)], False),  # the model's best guess is OOS itself
    ],
)
def test_rescue_of_an_out_of_scope_call(tmp_path: Path, ranked: list[tuple[str, float]], rescued: bool) -> None:
    r = router(tmp_path, {})
    p = r.tie_break(pred(ranked, oos=True), "I want to return my order for a refund")
    assert (p.intent == "get_refund" and not p.is_oos) is rescued


def test_route_batch_uses_the_lexicon_before_the_model_and_tie_breaks_after(tmp_path: Path) -> None:
    r = router(tmp_path, {"refund my order please": [("cancel_order", 0.5), ("get_refund", 0.45)]})
    hello, refund = r.route_batch(["hello!", "refund my order please"])
    assert hello.prediction.intent == "greeting" and hello.prediction.model_version == "lexicon"
    assert refund.prediction.intent == "get_refund" and not refund.degraded


def test_the_tie_break_is_off_unless_configured(tmp_path: Path) -> None:
    scripted = {"refund my order please": [("cancel_order", 0.5), ("get_refund", 0.45)]}
    assert not Settings().intents.keyword_tie_break
    off = router(tmp_path, scripted, keyword_tie_break=Settings().intents.keyword_tie_break)
    assert off.route_batch(["refund my order please"])[0].prediction.intent == "cancel_order"


def test_without_a_model_the_keyword_rules_answer_and_say_so(tmp_path: Path) -> None:
    r = Router(Settings(home=tmp_path), model_dir=tmp_path / "missing")
    routed = r.route("where is my order ORD-10001")
    assert routed.degraded and routed.prediction.intent == "track_order"
    assert r.route("qwerty zxcv").prediction.is_oos
