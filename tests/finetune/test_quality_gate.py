"""The training-data quality gate, on small hand-made data (no model needed)."""

from __future__ import annotations

import pytest

from aisle.errors import DataError
from aisle.settings import QualitySettings
from finetune.quality import flag_label_noise, out_of_fold_probabilities, run_gate
from finetune.schema import Example

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`


def ex(text: str, intent: str, group: str = "") -> Example:
    return Example(text, intent, group=group)


def test_duplicates_conflicts_and_leakage_are_removed_and_counted() -> None:
    train = [
        ex("Where is my order?", "track_order"),
        ex("where is my order", "track_order"),  # duplicate after normalising
        ex("track my parcel please", "track_order"),
        ex("cancel it", "cancel_order"),
        ex("cancel it", "track_order"),  # conflict
        ex("please cancel my order", "cancel_order"),
        ex("stop my order", "cancel_order", group="g1"),
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
        "greeting": [
            "hi",
            "hello there",
            "hey",
            "good morning",
            "hello",
            "hi there",
            "hey there",
            "good evening",
            "howdy",
            "greetings",
        ],
        "track_order": [
            "where is my order",
            "track my order",
            "order status please",
            "where's my package",
            "track package",
            "has my order shipped",
            "when will my order arrive",
            "status of my order",
            "track my parcel",
            "where is my parcel",
        ],
        "cancel_order": [
            "cancel my order",
            "i want to cancel",
            "cancel the order please",
            "please cancel it",
            "cancel purchase",
            "stop my order",
            "cancel order now",
            "how to cancel my order",
            "cancel my purchase",
            "cancel this order",
        ],
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
    probs = np.array(
        [
            [0.05, 0.05, 0.90],  # base row, ignored
            [0.10, 0.05, 0.85],  # "mera order kahan hai" corrected to track_order: plausible
            [0.62, 0.03, 0.35],  # corrected to greeting, the folds say cancel_order: flagged
            [0.40, 0.20, 0.40],  # corrected to greeting with p=0.2: uncertain, kept
        ]
    )
    labels = ["track_order", "track_order", "greeting", "greeting"]
    assert flag_feedback_noise(probs, classes, labels, [1, 2, 3], max_given=0.1, min_pred=0.3) == [2]


def test_the_test_split_is_cleaned_and_kept_apart_from_train_and_dev() -> None:
    train = [
        ex("where is my order", "track_order", "fam-a"),
        ex("track my parcel", "track_order", "fam-a"),
        ex("cancel my order", "cancel_order", "fam-b"),
        ex("please cancel it", "cancel_order", "fam-b"),
    ]
    dev = [ex("has my package shipped yet", "track_order", "fam-c"), ex("stop the purchase", "cancel_order", "fam-d")]
    test = [
        ex("Where is my order?", "track_order", "fam-e"),  # exact copy of a train text
        ex(
            "is my parcel on its way", "track_order", "fam-c"
        ),  # same family as a dev row: the group rule fires (no split in the name)
        ex("i changed my mind, call off the order", "cancel_order", "fam-f"),  # new
    ]
    result = run_gate(train, dev, QualitySettings(near_duplicate_jaccard=0.75), noise=False, test=test)
    c = result.report.counts
    assert c["test: exact copy of a train text (leak) removed"] == 1
    assert c["test: template group also in dev removed"] == 1
    assert [e.text for e in result.test] == ["i changed my mind, call off the order"]
    assert len(result.dev) == 2


# --- the promotion gate: best of the recent versions, per split --------------------------------
def test_small_allowed_drops_cannot_add_up() -> None:
    from finetune.registry import compare, compare_with_best

    v1, v2 = {"macro_f1": 0.900}, {"macro_f1": 0.891}  # v2 was promoted 0.9 points below v1 (within tolerance)
    candidate = {"macro_f1": 0.882}  # another 0.9 points below v2
    assert compare(candidate, v2, ["macro_f1"], 0.01).passed  # against `current` alone it would slip through
    d = compare_with_best(candidate, {"v0001": v1, "v0002": v2}, ["macro_f1"], 0.01)
    assert not d.passed and "v0001" in d.reason and d.current["set_by"]["macro_f1"] == "v0001"
    assert compare_with_best({"macro_f1": 0.895}, {"v0001": v1, "v0002": v2}, ["macro_f1"], 0.01).passed
    assert compare_with_best(candidate, {}, ["macro_f1"], 0.01).passed  # nothing to compare with


def _version(root, name: str, data: dict) -> None:
    import json

    d = root / name
    d.mkdir(parents=True)
    (d / "aisle_intents.json").write_text(json.dumps({"labels": ["a"], "metrics": {}, "data": data}))


def test_gate_compares_with_versions_trained_on_the_same_splits_only(tmp_path) -> None:
    from finetune.registry import GateSplit, ModelRegistry, gate_candidate

    reg = ModelRegistry(tmp_path / "models")
    _version(reg.root, "v0001-a", {"dev_file_sha256": "D", "test_sha256": "T"})  # strong, promoted earlier
    _version(reg.root, "v0002-a", {"dev_file_sha256": "D", "test_sha256": "T"})  # current, 0.9 pt lower
    _version(reg.root, "v0003-a", {"dev_sha256": "OLD"})  # trained on other data (may have seen today's test rows)
    _version(reg.root, "v0004-a", {"dev_file_sha256": "D", "test_sha256": "T"})  # the candidate
    for v in ("v0003-a", "v0001-a", "v0002-a"):
        reg.promote(v)
    scores = {
        ("v0001-a", "dev"): 0.90,
        ("v0002-a", "dev"): 0.891,
        ("v0003-a", "dev"): 0.99,
        ("v0004-a", "dev"): 0.893,
        ("v0001-a", "test"): 0.80,
        ("v0002-a", "test"): 0.80,
        ("v0003-a", "test"): 0.99,
        ("v0004-a", "test"): 0.75,
    }
    calls: list[str] = []

    def evaluate(path, rows):
        calls.append(path.name)
        return {"macro_f1": scores[(path.name, rows[0])]}

    splits = [
        GateSplit("dev", ["dev"], "D", ("dev_file_sha256", "dev_sha256"), unrecorded_ok=True),
        GateSplit("test", ["test"], "T", ("test_sha256",)),
    ]
    d = gate_candidate(reg, reg.root / "v0004-a", splits, evaluate, ["macro_f1"], 0.01, history=3)
    assert not d.passed
    assert "dev: not worse" in d.reason  # 0.893 vs the best 0.90: within 1 point
    assert "test: worse than the best" in d.reason  # 0.75 vs 0.80
    assert "v0003" not in "".join(d.current["dev"]["set_by"].values())  # a model trained on other data never sets the bar
    assert d.deltas["test_macro_f1"] == pytest.approx(-0.05)
    # reference metrics are cached beside each model: a second gate does not re-evaluate them
    calls.clear()
    gate_candidate(reg, reg.root / "v0004-a", splits, evaluate, ["macro_f1"], 0.01, history=3)
    assert set(calls) == {"v0004-a"}
    # a version that records no dev set at all (older scripts) is still compared on dev, never on test
    _version(reg.root, "v0005-a", {"simulation": "base"})
    reg.promote("v0005-a")
    scores[("v0005-a", "dev")] = 0.95
    d = gate_candidate(reg, reg.root / "v0004-a", splits, evaluate, ["macro_f1"], 0.01, history=3)
    assert d.current["dev"]["set_by"]["macro_f1"] == "v0005-a" and "v0005" not in str(d.current["test"])
