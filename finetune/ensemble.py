"""Ensembles of routers: a weighted mixture of the members' calibrated probabilities.

A fine-tuned classifier is sharp on phrasings like its training data; a nearest-neighbour
vote over a general sentence encoder degrades more gracefully on phrasings unlike it. The
mixture ``p(c|x) = Σ_m w_m p_m(c|x)`` keeps both opinions; the weights are chosen on dev and
the mixture is calibrated again (temperature, OOS threshold) like any other router.

The ensemble directory is self-contained: each member is a complete router directory copied
under ``members/<name>/`` and listed with its weight in the manifest.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError, ModelNotFoundError
from finetune.embedding_router import EPS, best_macro_f1

if TYPE_CHECKING:
    from aisle.settings import IntentSettings
    from finetune.classifier import IntentClassifier
    from finetune.schema import Example
    from finetune.train import TrainResult

log = logging.getLogger(__name__)
WEIGHT_STEP = 0.1


class EnsembleScorer:
    """``finetune.classifier.Scorer`` for ensembles: log of the weighted mixture of member probabilities."""

    def __init__(self, model_dir: Path, manifest: dict[str, Any], device: str = "cpu") -> None:
        self.model_dir = Path(model_dir)
        self.manifest = manifest
        self.device = device
        self._members: list[tuple[IntentClassifier, float]] | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        from finetune.classifier import IntentClassifier

        if self._members is not None:
            return
        with self._lock:
            if self._members is not None:
                return
            labels = list(self.manifest["labels"])
            members = []
            for m in self.manifest.get("members", []):
                clf = IntentClassifier(self.model_dir / m["path"], device=self.device)
                if clf.labels != labels:
                    raise ModelNotFoundError(
                        f"{self.model_dir}: member {m['path']} has other labels than the ensemble; the directory is inconsistent, retrain it"
                    )
                clf.warm_up()
                members.append((clf, float(m["weight"])))
            if not members:
                raise ModelNotFoundError(f"{self.model_dir}: the ensemble lists no members; retrain it")
            self._members = members

    def member_probabilities(self, texts: list[str]) -> list[np.ndarray]:
        self.warm_up()
        assert self._members is not None
        return [clf.probabilities(texts) if w > 0 else np.zeros((len(texts), len(clf.labels))) for clf, w in self._members]

    def scores(self, texts: list[str]) -> np.ndarray:
        assert self.manifest.get("members")
        weights = [float(m["weight"]) for m in self.manifest["members"]]
        mix = sum(w * p for w, p in zip(weights, self.member_probabilities(texts)))
        return np.log(np.asarray(mix) / max(sum(weights), EPS) + EPS).astype(np.float32)


def weight_grid(n: int, step: float = WEIGHT_STEP) -> list[tuple[float, ...]]:
    """All weight vectors on the simplex with the given step (n members)."""
    ticks = round(1 / step)
    return [
        tuple(round(c * step, 4) for c in combo) for combo in itertools.product(range(ticks + 1), repeat=n) if sum(combo) == ticks
    ]


def build_ensemble(
    members: dict[str, Path],
    dev: list[Example],
    cfg: IntentSettings,
    out_dir: Path,
    data_info: dict[str, Any] | None = None,
    copy: bool = True,
) -> TrainResult:
    """Choose the members' weights on dev, calibrate the mixture and save a self-contained ensemble."""
    from finetune.classifier import IntentClassifier
    from finetune.train import calibrate_and_save

    if len(members) < 2:
        raise DataError("an ensemble needs at least two member routers")
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    placed: dict[str, Path] = {}
    for name, src in members.items():
        dst = out_dir / "members" / name
        if copy and Path(src).resolve() != dst.resolve():
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
        placed[name] = dst if copy else Path(src)
    clfs = {name: IntentClassifier(path) for name, path in placed.items()}
    labels = next(iter(clfs.values())).labels
    for name, clf in clfs.items():
        if clf.labels != labels:
            raise DataError(
                f"ensemble member {name} was trained on other labels ({len(clf.labels)} vs {len(labels)}); train the members on the same data"
            )
    label2id = {lbl: i for i, lbl in enumerate(labels)}
    dev = [ex for ex in dev if ex.intent in label2id]
    gold = np.array([label2id[ex.intent] for ex in dev])
    oos_index = label2id.get(cfg.oos_label)
    texts = [ex.text for ex in dev]
    probs = {name: clf.probabilities(texts) for name, clf in clfs.items()}
    names = list(probs)
    best: tuple[float, tuple[float, ...]] = (-1.0, ())
    for w in weight_grid(len(names)):
        f1 = best_macro_f1(sum(wi * probs[n] for wi, n in zip(w, names)), gold, oos_index)
        if f1 > best[0] + 1e-9:
            best = (f1, w)
    weights = dict(zip(names, best[1]))
    log.info("ensemble weights on dev: %s (macro-F1 %.4f)", weights, best[0])
    mix = sum(weights[n] * probs[n] for n in names)
    member_info = [
        {
            "name": n,
            "path": str(placed[n].relative_to(out_dir)) if copy else str(placed[n]),
            "weight": weights[n],
            "approach": clfs[n].approach,
        }
        for n in names
    ]
    training = {
        "seconds": round(time.perf_counter() - t0, 1),
        "n_dev": len(dev),
        "members": {n: clfs[n].manifest.get("training", {}) for n in names},
    }
    return calibrate_and_save(
        out_dir, labels, np.log(np.asarray(mix) + EPS), dev, cfg, "ensemble", training, data_info, {"members": member_info}
    )
