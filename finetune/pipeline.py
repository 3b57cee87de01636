"""One training run from files to a registered (and possibly promoted) model.

``aisle train intents``, ``aisle setup`` and the feedback loop's ``aisle retrain`` all call
``train_router``: load → quality gate → weights → fine-tune → gate against ``current`` →
promote or refuse, with every decision logged in the registry.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from finetune.dataset import data_hash
from finetune.evaluate import evaluate_examples, metric_supports
from finetune.quality import run_gate
from finetune.registry import GateDecision, ModelRegistry, compare
from finetune.schema import Example, load_examples
from finetune.train import TrainResult, train_intent_classifier
from finetune.weighting import balanced_weights, combine, importance_weights

if TYPE_CHECKING:
    from aisle.settings import IntentSettings, Settings

log = logging.getLogger(__name__)


def sample_weights(train: list[Example], scheme: str, cfg: IntentSettings, oof: np.ndarray | None, classes: list[str] | None) -> np.ndarray | None:
    """Scheme weights × each example's own weight (e.g. recency of feedback), mean 1; None if all 1."""
    labels = [ex.intent for ex in train]
    if scheme == "balanced":
        w = balanced_weights(labels, cfg.weight_clip_min, cfg.weight_clip_max)
    elif scheme == "importance":
        assert oof is not None and classes is not None
        w = importance_weights(labels, oof, classes, cfg.weight_clip_min, cfg.weight_clip_max)
    else:
        w = np.ones(len(train))
    own = np.array([ex.weight for ex in train], dtype=np.float64)
    if scheme == "none" and np.allclose(own, 1.0):
        return None
    return combine(w, own)


def gate_against_current(registry: ModelRegistry, candidate: Path, dev: list[Example], settings: Settings) -> GateDecision:
    """Evaluate candidate and current on the same dev examples and compare."""
    from finetune.classifier import IntentClassifier

    cur = registry.current()
    cand_metrics = evaluate_examples(IntentClassifier(candidate), dev, settings.intents.oos_label)
    if cur is None:
        return GateDecision(True, "no current model", cand_metrics, {}, {})
    cur_metrics = evaluate_examples(IntentClassifier(cur.path), dev, settings.intents.oos_label)
    cfg = settings.intents
    return compare(cand_metrics, cur_metrics, cfg.gate_metrics, cfg.gate_tolerance, metric_supports(dev, cfg.oos_label), cfg.gate_z)


def train_router(
    settings: Settings,
    train_file: Path,
    dev_file: Path,
    out: Path | None = None,
    cfg: IntentSettings | None = None,
    promote: bool = True,
    progress: bool = True,
    extra_train: list[Example] | None = None,
) -> dict[str, Any]:
    """Train from files; if ``out`` is None the model goes into the registry and through the gate."""
    cfg = cfg or settings.intents
    train = load_examples(train_file) + list(extra_train or [])
    dev = load_examples(dev_file)
    gate = run_gate(train, dev, settings.quality, noise=cfg.weighting == "importance", seed=cfg.seed)
    weights = sample_weights(gate.train, cfg.weighting, cfg, gate.oof_probs, gate.oof_classes)
    registry = ModelRegistry(settings.intent_models_dir)
    out_dir = out or registry.new_version_dir()
    info = {
        "train_file": str(train_file), "dev_file": str(dev_file),
        "train_sha256": data_hash(gate.train), "dev_sha256": data_hash(gate.dev),
        "quality_gate": gate.report.counts,
    }
    result: TrainResult = train_intent_classifier(gate.train, gate.dev, cfg, out_dir, weights, info, progress)
    summary: dict[str, Any] = {"model": str(out_dir), "metrics": result.metrics, "training": result.manifest["training"], "quality_gate": gate.report.counts}
    in_registry = out_dir.parent.resolve() == registry.root.resolve()
    if in_registry:
        decision = gate_against_current(registry, out_dir, gate.dev, settings)
        summary["gate"] = decision.to_dict()
        if promote and decision.passed:
            registry.promote(out_dir.name, reason=decision.reason)
            summary["promoted"] = True
        else:
            registry.log({"event": "refused" if promote else "registered", "version": out_dir.name, "reason": decision.reason, "deltas": decision.deltas})
            summary["promoted"] = False
    return summary
