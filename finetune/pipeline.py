"""One training run from files to a registered (and possibly promoted) model.

``aisle train intents``, ``aisle setup`` and the feedback loop's ``aisle retrain`` all call
``train_router``: load → quality gate → weights → train (the configured approach) → gate
against ``current`` → promote or refuse, with every decision logged in the registry.

``train_approach`` is the one switch between approaches (``intents.approach``): the full
fine-tune, embedding heads over frozen or SetFit-tuned encoders, or an ensemble of them.
A run can report its progress to a small JSON status file (``JobStatus``), which is how
the staff console follows a background training started by ``aisle setup``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from finetune.dataset import data_hash
from finetune.evaluate import evaluate_examples, metric_supports
from finetune.quality import run_gate
from finetune.registry import GateDecision, GateSplit, ModelRegistry, gate_candidate
from finetune.schema import Example, load_examples
from finetune.train import MANIFEST, TrainResult, train_intent_classifier
from finetune.weighting import balanced_weights, combine, importance_weights

if TYPE_CHECKING:
    from aisle.settings import IntentSettings, Settings

log = logging.getLogger(__name__)


def sample_weights(
    train: list[Example], scheme: str, cfg: IntentSettings, oof: np.ndarray | None, classes: list[str] | None
) -> np.ndarray | None:
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


def gate_against_current(
    registry: ModelRegistry,
    candidate: Path,
    dev: list[Example],
    settings: Settings,
    test: list[Example] | None = None,
    cfg: IntentSettings | None = None,
) -> GateDecision:
    """Compare the candidate with the best of ``current`` and the last promoted versions on the fixed dev set
    and, when given, the frozen test split (``finetune.registry.gate_candidate``)."""
    from finetune.classifier import IntentClassifier

    cfg = cfg or settings.intents
    splits = [
        GateSplit(
            "dev", dev, data_hash(dev), ("dev_file_sha256", "dev_sha256"), metric_supports(dev, cfg.oos_label), unrecorded_ok=True
        )
    ]
    if test:
        splits.append(GateSplit("test", test, data_hash(test), ("test_sha256",), metric_supports(test, cfg.oos_label)))
    return gate_candidate(
        registry,
        candidate,
        splits,
        lambda path, rows: evaluate_examples(IntentClassifier(path), rows, cfg.oos_label),
        cfg.gate_metrics,
        cfg.gate_tolerance,
        cfg.gate_z,
    )


def held_out_test(dev_file: Path) -> list[Example]:
    """The frozen test split beside a dev file (``test.jsonl``), used only by the promotion gate; [] if absent."""
    path = dev_file.with_name("test.jsonl")
    return load_examples(path) if path.exists() else []


def train_approach(
    approach: str,
    train: list[Example],
    dev: list[Example],
    cfg: IntentSettings,
    out_dir: Path,
    weights: np.ndarray | None = None,
    data_info: dict[str, Any] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train one router of the given approach into ``out_dir`` (calibrated on dev, manifest written)."""
    if approach == "finetune":
        return train_intent_classifier(train, dev, cfg, out_dir, weights, data_info, progress)
    if approach == "tfidf":
        from finetune.tfidf_router import train_tfidf_router

        return train_tfidf_router(train, dev, cfg, out_dir, weights, data_info)
    if approach == "setfit":
        from finetune.setfit import train_setfit_router

        return train_setfit_router(train, dev, cfg, out_dir, weights=weights, data_info=data_info, progress=progress)
    if approach == "ensemble":
        from finetune.ensemble import build_ensemble

        t0 = time.perf_counter()
        members: dict[str, Path] = {}
        for name in dict.fromkeys(cfg.ensemble_members):
            member_dir = out_dir / "members" / name
            log.info("ensemble: training member %s", name)
            train_approach(name, train, dev, cfg, member_dir, weights, data_info, progress)
            members[name] = member_dir
        result = build_ensemble(members, dev, cfg, out_dir, data_info)
        result.manifest["training"]["seconds"] = round(time.perf_counter() - t0, 1)  # members included
        (out_dir / MANIFEST).write_text(json.dumps(result.manifest, indent=2), encoding="utf-8")
        return result
    from finetune.embedding_router import train_embedding_router

    return train_embedding_router(
        train, dev, cfg, out_dir, heads=tuple(approach.split("+")), weights=weights, data_info=data_info, progress=progress
    )


JOB_STATUS_FILE = "training.json"


def job_status(settings: Settings) -> JobStatus:
    """The status file of the store's router training runs (beside the registry's versions)."""
    return JobStatus(settings.intent_models_dir / JOB_STATUS_FILE)


class JobStatus:
    """A training run's state in a small JSON file, replaced atomically (read by ``agent.router.router_status``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def update(self, **fields: Any) -> None:
        state = {**self.read(), **fields, "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(state, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, self.path)

    def read(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            return {}


def train_router(
    settings: Settings,
    train_file: Path,
    dev_file: Path,
    out: Path | None = None,
    cfg: IntentSettings | None = None,
    promote: bool = True,
    progress: bool = True,
    extra_train: list[Example] | None = None,
    status: JobStatus | None = None,
) -> dict[str, Any]:
    """Train from files; if ``out`` is None the model goes into the registry and through the gate."""
    cfg = cfg or settings.intents
    if status is None:
        return _train_router(settings, train_file, dev_file, out, cfg, promote, progress, extra_train)
    status.update(
        state="running",
        approach=cfg.approach,
        pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        finished_at=None,
        error=None,
        result=None,
    )
    try:
        summary = _train_router(settings, train_file, dev_file, out, cfg, promote, progress, extra_train)
    except BaseException as exc:
        status.update(
            state="failed", error=f"{type(exc).__name__}: {exc}", finished_at=datetime.now(UTC).isoformat(timespec="seconds")
        )
        raise
    status.update(
        state="done",
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        result={k: summary.get(k) for k in ("model", "metrics", "promoted", "gate")},
    )
    return summary


def _train_router(
    settings: Settings,
    train_file: Path,
    dev_file: Path,
    out: Path | None,
    cfg: IntentSettings,
    promote: bool,
    progress: bool,
    extra_train: list[Example] | None,
) -> dict[str, Any]:
    train = load_examples(train_file) + list(extra_train or [])
    dev = load_examples(dev_file)
    gate = run_gate(train, dev, settings.quality, noise=cfg.weighting == "importance", seed=cfg.seed)
    weights = sample_weights(gate.train, cfg.weighting, cfg, gate.oof_probs, gate.oof_classes)
    registry = ModelRegistry(settings.intent_models_dir)
    out_dir = out or registry.new_version_dir()
    test = held_out_test(dev_file)
    info = {
        "approach": cfg.approach,
        "train_file": str(train_file),
        "dev_file": str(dev_file),
        "train_sha256": data_hash(gate.train),
        "dev_sha256": data_hash(gate.dev),
        "dev_file_sha256": data_hash(dev),
        **({"test_sha256": data_hash(test)} if test else {}),
        "quality_gate": gate.report.counts,
    }
    in_registry = out_dir.parent.resolve() == registry.root.resolve()
    # a version appears in the registry only once complete (a background run takes minutes)
    work_dir = out_dir.with_name(f".{out_dir.name}.partial") if in_registry else out_dir
    result = train_approach(cfg.approach, gate.train, gate.dev, cfg, work_dir, weights, info, progress)
    if work_dir != out_dir:
        os.replace(work_dir, out_dir)
    summary: dict[str, Any] = {
        "model": str(out_dir),
        "approach": cfg.approach,
        "metrics": result.metrics,
        "training": result.manifest["training"],
        "quality_gate": gate.report.counts,
    }
    if in_registry:
        decision = gate_against_current(registry, out_dir, dev, settings, test)
        summary["gate"] = decision.to_dict()
        if promote and decision.passed:
            registry.promote(out_dir.name, reason=decision.reason)
            summary["promoted"] = True
        else:
            registry.log(
                {
                    "event": "refused" if promote else "registered",
                    "version": out_dir.name,
                    "reason": decision.reason,
                    "deltas": decision.deltas,
                }
            )
            summary["promoted"] = False
    return summary
