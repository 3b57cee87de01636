"""Calibration and out-of-scope decisions (pure numpy): temperature scaling, ECE, OOS threshold, metrics.

The router reports a *calibrated* confidence (softmax of ``logits / T``), so a threshold on
it means the same thing for every model version; ``T`` is fitted on dev by minimising the
negative log-likelihood (Guo et al., 2017). A message is out of scope when the model
predicts the explicit ``out_of_scope`` class *or* its calibrated top probability is below
``τ``, tuned on dev.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aisle.labels import OOS


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0)).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The ``T > 0`` minimising dev NLL (bounded scalar search over log T)."""
    from scipy.optimize import minimize_scalar

    if len(y) == 0:
        return 1.0
    res = minimize_scalar(lambda lt: nll(logits, y, float(np.exp(lt))), bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: bin-weighted |accuracy − confidence| over equal-width confidence bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(correct[m].mean() - confidence[m].mean())
    return float(total)


def decide(probs: np.ndarray, labels: Sequence[str], oos_label: str | None, threshold: float) -> tuple[list[str], np.ndarray]:
    """Predicted label per row (OOS by class or by low confidence) and the top calibrated probability."""
    top = probs.argmax(axis=1)
    conf = probs[np.arange(len(top)), top]
    preds = []
    for t, c in zip(top, conf):
        lbl = labels[t]
        preds.append(oos_label if oos_label and (lbl == oos_label or c < threshold) else lbl)
    return preds, conf


def intent_metrics(
    gold: Sequence[str], pred: Sequence[str], confidence: np.ndarray, oos_label: str = OOS
) -> dict[str, float | int]:
    """The report ``aisle eval intents`` prints (OOS metrics are ``None`` when the data has no OOS)."""
    from sklearn.metrics import f1_score

    gold_a, pred_a = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    correct = gold_a == pred_a
    in_scope = gold_a != oos_label
    gold_oos, pred_oos = ~in_scope, pred_a == oos_label
    labels = sorted(set(gold_a))
    return {
        "n": len(gold_a),
        "accuracy": round(float(correct.mean()), 4) if len(gold_a) else 0.0,
        "macro_f1": round(float(f1_score(gold_a, pred_a, labels=labels, average="macro", zero_division=0)), 4)
        if len(gold_a)
        else 0.0,
        "in_scope_accuracy": round(float(correct[in_scope].mean()), 4) if in_scope.any() else None,
        "oos_recall": round(float(pred_oos[gold_oos].mean()), 4) if gold_oos.any() else None,
        "oos_precision": round(float(gold_oos[pred_oos].mean()), 4) if pred_oos.any() else None,
        "ece": round(expected_calibration_error(np.asarray(confidence, dtype=np.float64), correct.astype(np.float64)), 4),
    }


def tune_oos_threshold(probs: np.ndarray, labels: Sequence[str], gold: Sequence[str], oos_label: str | None) -> float:
    """The threshold maximising dev macro-F1 with OOS as one class (smallest such τ on ties)."""
    from sklearn.metrics import f1_score

    if not oos_label or oos_label not in set(gold):
        return 0.0
    best_t, best_f = 0.0, -1.0
    classes = sorted(set(gold))
    for t in np.round(np.arange(0.0, 0.96, 0.01), 2):
        preds, _ = decide(probs, labels, oos_label, float(t))
        f = f1_score(list(gold), preds, labels=classes, average="macro", zero_division=0)
        if f > best_f + 1e-9:
            best_t, best_f = float(t), f
    return best_t
