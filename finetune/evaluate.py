"""Evaluating a router on any JSONL of ``{"text", "intent"}`` (``aisle eval intents``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.labels import OOS
from finetune.calibration import intent_metrics
from finetune.classifier import IntentClassifier
from finetune.registry import ModelRegistry
from finetune.schema import Example, load_examples

if TYPE_CHECKING:
    from aisle.settings import Settings


def evaluate_examples(classifier: IntentClassifier, examples: list[Example], oos_label: str = OOS) -> dict[str, Any]:
    """Metrics of ``classifier`` on ``examples``; gold labels the model does not know count as errors."""
    preds = classifier.classify_batch([ex.text for ex in examples])
    gold = [ex.intent for ex in examples]
    metrics = intent_metrics(gold, [p.intent for p in preds], np.array([p.confidence for p in preds]), oos_label)
    unknown = sorted({g for g in gold if g not in classifier.labels} - {oos_label})
    if unknown:
        metrics["unknown_labels"] = unknown
    return metrics


def metric_supports(examples: list[Example], oos_label: str = OOS) -> dict[str, int]:
    """How many examples stand behind each metric (for the promotion gate's noise margin)."""
    n_oos = sum(1 for ex in examples if ex.intent == oos_label)
    n = len(examples)
    return {"accuracy": n, "macro_f1": n, "in_scope_accuracy": n - n_oos, "oos_recall": n_oos, "oos_precision": n_oos}


def evaluate_file(settings: Settings, data: Path, model_dir: Path | None = None) -> dict[str, Any]:
    model_dir = model_dir or ModelRegistry(settings.intent_models_dir).current_path()
    clf = IntentClassifier(model_dir, top_k=settings.intents.top_k, quantize=settings.intents.quantize)
    examples = load_examples(data, strict_fields=False)
    return {**evaluate_examples(clf, examples, settings.intents.oos_label), "model": str(model_dir)}
