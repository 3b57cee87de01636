"""Pure maths: sample weights, temperature scaling, ECE, the OOS decision and metrics."""

from __future__ import annotations

import numpy as np
import pytest

from finetune.calibration import decide, expected_calibration_error, fit_temperature, intent_metrics, softmax, tune_oos_threshold
from finetune.registry import compare
from finetune.weighting import balanced_weights, importance_weights

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`


def test_balanced_weights_equalise_class_mass() -> None:
    labels = ["a"] * 8 + ["b"] * 2
    w = balanced_weights(labels)
    assert w.mean() == pytest.approx(1.0)
    assert w[:8].sum() == pytest.approx(w[8:].sum())


def test_importance_weights_follow_the_seed_formula() -> None:
    labels = ["a", "a", "a", "b"]
    classes = ["a", "b"]
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8]])  # row 2 looks mislabelled
    w = importance_weights(labels, probs, classes, lo=0.01, hi=100)
    raw = np.array([0.9 / 0.75, 0.8 / 0.75, 0.1 / 0.75, 0.8 / 0.25])
    assert np.allclose(w, raw / raw.mean())
    assert w[2] == w.min() and w[3] == w.max()
    clipped = importance_weights(labels, probs, classes, lo=0.5, hi=2.0)
    assert clipped.mean() == pytest.approx(1.0)


def test_temperature_scaling_recovers_overconfidence() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(2000, 5)) * 2
    y = np.array([rng.choice(5, p=p) for p in softmax(true_logits)])
    t = fit_temperature(true_logits * 3.0, y)  # a model 3x overconfident
    assert t == pytest.approx(3.0, rel=0.15)


def test_ece_is_zero_when_confidence_matches_accuracy() -> None:
    conf = np.array([0.8] * 10)
    correct = np.array([1] * 8 + [0] * 2, dtype=float)
    assert expected_calibration_error(conf, correct) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([1.0] * 4), np.array([0.0] * 4)) == pytest.approx(1.0)


def test_oos_by_class_or_low_confidence() -> None:
    labels = ["greeting", "out_of_scope", "track_order"]
    probs = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.4, 0.25, 0.35]])
    preds, _conf = decide(probs, labels, "out_of_scope", threshold=0.5)
    assert preds == ["greeting", "out_of_scope", "out_of_scope"]
    gold = ["greeting", "out_of_scope", "out_of_scope"]
    assert tune_oos_threshold(probs, labels, gold, "out_of_scope") > 0.4


def test_metrics_and_the_promotion_gate() -> None:
    m = intent_metrics(
        ["a", "b", "out_of_scope", "out_of_scope"], ["a", "out_of_scope", "out_of_scope", "b"], np.array([0.9, 0.6, 0.8, 0.7])
    )
    assert m["accuracy"] == 0.5 and m["oos_recall"] == 0.5 and m["oos_precision"] == 0.5 and m["in_scope_accuracy"] == 0.5
    ok = compare({"macro_f1": 0.90, "accuracy": 0.95}, {"macro_f1": 0.902, "accuracy": 0.94}, ["macro_f1", "accuracy"], 0.005)
    assert ok.passed
    bad = compare({"macro_f1": 0.85, "accuracy": 0.95}, {"macro_f1": 0.90, "accuracy": 0.94}, ["macro_f1", "accuracy"], 0.005)
    assert not bad.passed and "macro_f1" in bad.reason


def test_the_gate_allows_sampling_noise_on_small_supports_only() -> None:
    cur, cand = {"oos_recall": 0.36}, {"oos_recall": 0.28}  # 2 of 25 out-of-scope utterances
    assert not compare(cand, cur, ["oos_recall"], 0.02).passed
    assert compare(cand, cur, ["oos_recall"], 0.02, {"oos_recall": 25}, z=1.64).passed
    # the same drop measured on 2,000 utterances is real, and a collapse is refused whatever the support
    assert not compare(cand, cur, ["oos_recall"], 0.02, {"oos_recall": 2000}, z=1.64).passed
    assert not compare({"oos_recall": 0.04}, cur, ["oos_recall"], 0.02, {"oos_recall": 25}, z=1.64).passed
