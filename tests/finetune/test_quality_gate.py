"""The training-data quality gate, on small hand-made data (no model needed)."""

from __future__ import annotations

import pytest

from aisle.errors import DataError
from aisle.settings import QualitySettings
from finetune.quality import flag_label_noise, out_of_fold_probabilities, run_gate
from finetune.schema import Example


def ex(text: str, intent: str, group: str = "") -> Example:
    return Example(text, intent, group=group)


def test_duplicates_conflicts_and_leakage_are_removed_and_counted() -> None:
    train = [
        ex("Where is my order?", "track_order"), ex("where is my order", "track_order"),  # duplicate after normalising
        ex("track my parcel please", "track_order"), ex("cancel it", "cancel_order"), ex("cancel it", "track_order"),  # conflict
        ex("please cancel my order", "cancel_order"), ex("stop my order", "cancel_order", group="g1"),
    ]
    dev = [
        ex("where is my order?", "track_order"),  # exact leak
        ex("please cancel my order now", "cancel_order"),  # near-duplicate (Jaccard 0.8 with threshold 0.75)
        ex("halt the order", "cancel_order", group="g1"),  # same template group as train
        ex("has my package shipped yet", "track_order"),  # genuinely new
    ]
    result = run_gate(train, dev, QualitySettings(near_duplicate_jaccard=0.75), noise=False)
    c = result.report.counts
    assert c["train: exact duplicate dropped"] == 1
    assert c["conflicting labels (all copies dropped)"] == 2
    assert c["dev: exact copy of a train text (leak) removed"] == 1
    assert c["dev: near-duplicate of train removed"] == 1
    assert c["dev: template group also in train removed"] == 1
    assert [e.text for e in result.dev] == ["has my package shipped yet"]
    assert all(e.text != "cancel it" for e in result.train)


def test_a_label_with_one_example_is_a_clear_error() -> None:
    train = [ex("hi", "greeting"), ex("hello", "greeting"), ex("where is my order", "track_order")]
    with pytest.raises(DataError, match="track_order"):
        run_gate(train, [], QualitySettings(min_examples_per_label=2), noise=False)


def test_confident_learning_flags_injected_wrong_labels() -> None:
    clean = {
        "greeting": ["hi", "hello there", "hey", "good morning", "hello", "hi there", "hey there", "good evening", "howdy", "greetings"],
        "track_order": ["where is my order", "track my order", "order status please", "where's my package", "track package",
                        "has my order shipped", "when will my order arrive", "status of my order", "track my parcel", "where is my parcel"],
        "cancel_order": ["cancel my order", "i want to cancel", "cancel the order please", "please cancel it", "cancel purchase",
                         "stop my order", "cancel order now", "how to cancel my order", "cancel my purchase", "cancel this order"],
    }
    texts, labels = [], []
    for label, items in clean.items():
        texts += items
        labels += [label] * len(items)
    flipped = {texts.index("track my order"): "greeting", texts.index("cancel order now"): "greeting"}
    for i, wrong in flipped.items():
        labels[i] = wrong
    probs, classes = out_of_fold_probabilities(texts, labels, folds=5)
    flags = set(flag_label_noise(probs, classes, labels, margin=0.2, max_given=0.3))
    assert set(flipped) <= flags
    assert len(flags) <= 4  # few false alarms on clean rows


def test_feedback_noise_rule_flags_corrections_that_disagree_with_their_look_alikes() -> None:
    import numpy as np

    from finetune.quality import flag_feedback_noise

    classes = ["cancel_order", "greeting", "track_order"]
    probs = np.array([
        [0.05, 0.05, 0.90],  # base row, ignored
        [0.10, 0.05, 0.85],  # "mera order kahan hai" corrected to track_order: plausible
        [0.62, 0.03, 0.35],  # corrected to greeting, the folds say cancel_order: flagged
        [0.40, 0.20, 0.40],  # corrected to greeting with p=0.2: uncertain, kept
    ])
    labels = ["track_order", "track_order", "greeting", "greeting"]
    assert flag_feedback_noise(probs, classes, labels, [1, 2, 3], max_given=0.1, min_pred=0.3) == [2]
