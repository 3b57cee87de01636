"""Router approaches other than the fine-tune: kNN / centroid / logistic heads, SetFit batches, ensembles,
the background-training status and the hooks the agent's ``Router`` offers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from aisle.errors import ModelNotFoundError
from finetune.classifier import IntentClassifier, IntentPrediction
from finetune.embedding_router import best_macro_f1, knn_probabilities, macro_f1_ids
from finetune.ensemble import weight_grid
from finetune.schema import Example, load_examples
from finetune.setfit import SetFitConfig, contrastive_batches

# --- pure parts (no model) -------------------------------------------------------------------------


def test_knn_vote_follows_the_nearest_examples_and_sends_far_messages_out_of_scope() -> None:
    bank_labels = np.array([0, 0, 1, 1, 2])  # 2 = out_of_scope
    near_label_1 = np.array([[0.2, 0.25, 0.9, 0.85, 0.1]])
    p = knn_probabilities(near_label_1, bank_labels, 3, k=3, tau=0.05)
    assert p.argmax() == 1 and p[0, 1] > 0.9
    far_from_all = np.array([[0.21, 0.2, 0.22, 0.19, 0.1]])
    # without a background vote the least-far intent wins; with one, the message is out of scope
    assert knn_probabilities(far_from_all, bank_labels, 3, k=3, tau=0.05).argmax() != 2
    assert knn_probabilities(far_from_all, bank_labels, 3, k=3, tau=0.05, background=0.5, oos_index=2).argmax() == 2
    # and the background never overrides a close neighbour
    assert knn_probabilities(near_label_1, bank_labels, 3, k=3, tau=0.05, background=0.5, oos_index=2).argmax() == 1
    assert np.allclose(p.sum(axis=1), 1.0)


def test_fast_macro_f1_matches_sklearn() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 5, 300)
    pred = np.where(rng.random(300) < 0.7, gold, rng.integers(0, 6, 300))
    assert macro_f1_ids(gold, pred, 6) == pytest.approx(f1_score(gold, pred, labels=sorted(set(gold)), average="macro"))
    probs = np.eye(6)[pred] * 0.6 + 0.4 / 6
    assert best_macro_f1(probs, gold, oos_index=5) >= macro_f1_ids(gold, pred, 6) - 1e-9


def test_ensemble_weight_grid_covers_the_simplex() -> None:
    grid = weight_grid(2)
    assert len(grid) == 11 and (0.0, 1.0) in grid and (1.0, 0.0) in grid
    assert all(abs(sum(w) - 1) < 1e-9 for w in weight_grid(3))


def test_setfit_batches_never_hold_an_intent_twice_and_pair_same_intent_texts() -> None:
    train = [Example(f"{label} text {i}", label, "gen") for label in ("a", "b", "c", "d") for i in range(10)]
    train += [Example(f"flight {i}", "out_of_scope", "clinc:book_flight") for i in range(5)]
    train += [Example(f"recipe {i}", "out_of_scope", "clinc:recipe") for i in range(5)]
    batches = contrastive_batches(train, SetFitConfig(per_label=8, batch_size=4), "out_of_scope", seed=1)
    label_of = {ex.text: ex.intent for ex in train}
    source_of = {ex.text: ex.source for ex in train}
    assert batches and all(len(b) <= 4 for b in batches)
    for batch in batches:
        labels = [label_of[a] for a, _ in batch]
        assert len(labels) == len(set(labels)), "an intent twice in one batch makes its pairs false negatives"
        for anchor, positive in batch:
            assert label_of[positive] == label_of[anchor] and positive != anchor
            if label_of[anchor] == "out_of_scope":  # "book a flight" is not pulled towards "a recipe"
                assert source_of[positive] == source_of[anchor]
    assert sum(len(b) for b in batches) == 5 * 8  # every capped anchor used once


def test_job_status_and_router_status_without_a_model(settings) -> None:
    from agent.router import router_status
    from finetune.pipeline import job_status

    state = router_status(settings)
    assert state.version is None and state.approach is None and state.training == {"state": "idle"}
    status = job_status(settings)
    status.update(state="running", approach="finetune", pid=2**22 + 12345)  # no such process
    assert router_status(settings).training["state"] == "interrupted"
    status.update(state="running", pid=os.getpid())
    assert router_status(settings).to_dict()["training"]["state"] == "running"


def test_unknown_approach_in_a_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "aisle_intents.json").write_text(json.dumps({"labels": ["a"], "approach": "magic"}))
    with pytest.raises(ModelNotFoundError, match="unknown approach"):
        IntentClassifier(tmp_path)


# --- with the real packaged encoder (seconds) ----------------------------------------------------------


@pytest.fixture(scope="module")
def knn_router(tiny_intents: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from aisle.settings import Settings
    from finetune.pipeline import train_approach

    out = tmp_path_factory.mktemp("knn") / "router"
    cfg = Settings(home=tmp_path_factory.mktemp("home")).intents
    train_approach(
        "knn+logreg",
        load_examples(tiny_intents / "train.jsonl"),
        load_examples(tiny_intents / "dev.jsonl"),
        cfg,
        out,
        progress=False,
    )
    return out


def test_embedding_router_trains_in_seconds_and_routes_unseen_phrasings(knn_router: Path) -> None:
    clf = IntentClassifier(knn_router)
    manifest = clf.manifest
    assert manifest["approach"] == "knn+logreg" and manifest["training"]["seconds"] < 60
    assert set(manifest["heads"]["mix"]) == {"knn", "logreg"} and manifest["temperature"] > 0
    assert (knn_router / "bank.npz").exists() and (knn_router / "reliability.png").exists()
    # phrasings written for this test, not taken from the data
    assert clf.classify("hey where's my parcel, it hasn't come yet").intent == "track_order"
    assert clf.classify("please cancel the order i placed yesterday").intent == "cancel_order"
    pred = clf.classify("good morning!")
    assert pred.intent == "greeting" and 0 < pred.confidence <= 1 and pred.model_version == knn_router.name


def test_embedding_router_checks_its_files_on_load(knn_router: Path, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(knn_router, broken)
    manifest = json.loads((broken / "aisle_intents.json").read_text())
    manifest["labels"] = manifest["labels"][:2]  # the bank and head have more labels than the manifest
    (broken / "aisle_intents.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelNotFoundError, match="inconsistent|rows for"):
        IntentClassifier(broken).classify("hello")
    (knn_router / "bank.npz").rename(tmp_path / "bank.npz")
    try:
        with pytest.raises(ModelNotFoundError, match="bank"):
            IntentClassifier(knn_router).classify("hello")
    finally:
        (tmp_path / "bank.npz").rename(knn_router / "bank.npz")


def test_ensemble_of_two_routers_is_self_contained_and_calibrated(knn_router: Path, tiny_intents: Path, tmp_path: Path) -> None:
    from aisle.settings import Settings
    from finetune.ensemble import build_ensemble
    from finetune.pipeline import train_approach

    cfg = Settings(home=tmp_path / "home").intents
    train, dev = load_examples(tiny_intents / "train.jsonl"), load_examples(tiny_intents / "dev.jsonl")
    centroid = tmp_path / "centroid"
    train_approach("centroid", train, dev, cfg, centroid, progress=False)
    result = build_ensemble({"knn": knn_router, "centroid": centroid}, dev, cfg, tmp_path / "ens")
    members = result.manifest["members"]
    assert abs(sum(m["weight"] for m in members) - 1) < 1e-6
    assert all((tmp_path / "ens" / m["path"] / "aisle_intents.json").exists() for m in members)
    clf = IntentClassifier(tmp_path / "ens")
    assert clf.approach == "ensemble"
    assert clf.classify("where is my order? it's late").intent == "track_order"
    assert np.allclose(clf.probabilities(["hi", "cancel it"]).sum(axis=1), 1.0, atol=1e-4)


def test_router_hot_swaps_between_approaches_and_delegates_to_a_language_router(settings, knn_router: Path) -> None:
    import shutil

    from agent.router import Router, router_status
    from finetune.registry import ModelRegistry

    registry = ModelRegistry(settings.intent_models_dir)
    first = registry.new_version_dir()
    shutil.copytree(knn_router, first)
    registry.promote(first.name)

    class Claims:
        def handles(self, text: str) -> bool:
            return text.startswith("¿")

        def classify(self, text: str, product_words: bool = False) -> IntentPrediction | None:
            return IntentPrediction("track_order", 0.8, [("track_order", 0.8)], False, "fake-multilingual")

    router = Router(settings, multilingual=Claims())
    assert router.route("where is my parcel").prediction.model_version == first.name
    assert router.route("¿dónde está mi pedido?").prediction.model_version == "fake-multilingual"
    status = router_status(settings, router)
    assert status.version == first.name and status.approach == "knn+logreg" and status.serving["version"] == first.name
    assert status.dev_metrics["macro_f1"] is not None


def test_setup_defers_only_what_is_missing(settings) -> None:
    from agent.setup import deferred_work, start_background_training
    from finetune.pipeline import job_status
    from finetune.registry import ModelRegistry

    settings.multilingual.enabled = False
    settings.intents.approach = "ensemble"
    settings.intents.fast_approach = "knn"
    registry = ModelRegistry(settings.intent_models_dir)
    fast = registry.new_version_dir()
    fast.mkdir(parents=True)
    (fast / "aisle_intents.json").write_text(json.dumps({"labels": ["a"], "approach": "knn", "heads": {"mix": {"knn": 1.0}}}))
    registry.promote(fast.name)
    assert deferred_work(settings) == ["the ensemble intent router"]
    job_status(settings).update(state="running", pid=os.getpid())  # a run in progress is not started twice
    assert start_background_training(settings) is None
    job_status(settings).update(state="done", approach="ensemble")  # refused or promoted before: not retried
    assert deferred_work(settings) == []
    settings.intents.approach = "knn"
    job_status(settings).update(state="idle", approach=None)
    assert deferred_work(settings) == []  # the fast router already is the configured approach


@pytest.mark.slow
def test_setup_serves_a_fast_router_at_once_and_swaps_in_the_slower_one_from_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aisle setup` promotes the fast approach, a background process trains the configured one and the
    running router picks it up without a restart (here: kNN first, then a logistic head, to stay quick)."""
    import subprocess
    import sys
    import time

    from agent.router import Router, router_status
    from agent.setup import AISLE_CLI
    from aisle.settings import Settings

    config = tmp_path / "aisle.toml"
    config.write_text(
        '[intents]\napproach = "logreg"\nfast_approach = "knn"\n[multilingual]\nenabled = false\ncatalog_vectors = false\n'
    )
    monkeypatch.setenv("AISLE_CONFIG", str(config))
    home = tmp_path / "store"
    demo = tmp_path / "demo.jsonl"
    subprocess.run([sys.executable, "-c", AISLE_CLI, "demo-data", "--catalog-out", str(demo)], check=True)
    monkeypatch.setenv("AISLE_DATA__PRODUCTS", str(demo))
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", AISLE_CLI, "--home", str(home), "setup"], check=True, capture_output=True, text=True
    ).stdout
    assert "finishing in the background" in out and "ready." in out
    settings = Settings.load().with_home(home)
    state = router_status(settings)
    assert state.approach == "knn" and state.training["state"] == "running"
    router = Router(settings)
    assert router.route("where is my parcel").prediction.model_version == state.version  # chat works at once
    deadline = time.perf_counter() + 600
    while router_status(settings).training.get("state") == "running" and time.perf_counter() < deadline:
        time.sleep(2)
    final = router_status(settings, router)
    assert final.training["state"] == "done", final.training
    if final.training["result"]["promoted"]:
        assert final.approach == "logreg"
        assert router.route("where is my parcel").prediction.model_version == final.version  # hot-swapped, no restart
    else:  # the gate may refuse it; then the fast router stays, and the refusal is what the console shows
        assert final.approach == "knn" and final.training["result"]["gate"]["passed"] is False
    assert time.perf_counter() - t0 < 900


def test_character_ngram_router_reads_typos_and_reloads_without_pickles(tiny_intents: Path, tmp_path: Path) -> None:
    from aisle.settings import Settings
    from finetune.pipeline import train_approach

    out = tmp_path / "tfidf"
    cfg = Settings(home=tmp_path / "home").intents
    train_approach(
        "tfidf", load_examples(tiny_intents / "train.jsonl"), load_examples(tiny_intents / "dev.jsonl"), cfg, out, progress=False
    )
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".npz", ".pkl", ".joblib")) == ["tfidf.npz"]
    clf = IntentClassifier(out)
    assert clf.approach == "tfidf"
    for text, intent in (("pls cancle my oder", "cancel_order"), ("wher is my pakage", "track_order")):
        in_scope = [label for label, _ in clf.classify(text).top_k if label != "out_of_scope"]
        assert in_scope[0] == intent, (text, clf.classify(text).top_k)  # 16 examples per label: the best in-scope guess
