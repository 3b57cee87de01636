"""Per-example training weights (pure functions).

* ``importance``: the seed formula ``w_i = p(y_i | x_i) / p(y_i)``, with ``p(y|x)`` from an
  out-of-fold model (never the model being trained) and ``p(y)`` the label prior. Examples
  the labels agree with are up-weighted relative to their class's frequency, while likely
  mislabelled ones (low ``p(y_i|x_i)``) are down-weighted.
* ``balanced``: inverse class frequency ``N / (K · n_y)``.

Both are clipped to ``[lo, hi]`` and then normalised to mean 1, so the loss scale (and
therefore the learning-rate schedule) does not change with the scheme.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _clip_normalise(w: np.ndarray, lo: float, hi: float) -> np.ndarray:
    w = np.clip(w, lo, hi)
    return w / w.mean()


def balanced_weights(labels: Sequence[str], lo: float = 0.2, hi: float = 5.0) -> np.ndarray:
    classes, inverse, counts = np.unique(np.asarray(labels), return_inverse=True, return_counts=True)
    w = len(labels) / (len(classes) * counts[inverse])
    return _clip_normalise(w.astype(np.float64), lo, hi)


def importance_weights(
    labels: Sequence[str], oof_probs: np.ndarray, classes: Sequence[str], lo: float = 0.2, hi: float = 5.0
) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[lbl] for lbl in labels])
    prior = np.bincount(y, minlength=len(classes)) / len(y)
    p_given = oof_probs[np.arange(len(y)), y]
    w = p_given / prior[y]
    return _clip_normalise(w, lo, hi)


def combine(*weights: np.ndarray) -> np.ndarray:
    """Product of several weightings (e.g. scheme × per-example recency), renormalised to mean 1."""
    w = np.ones_like(weights[0], dtype=np.float64)
    for x in weights:
        w = w * x
    return w / w.mean()
