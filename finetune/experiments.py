"""Reproducible experiments: weighting ablation and the CLINC150 external benchmark.

Each writes ``results.json`` and a Markdown table into its output folder (figures for the
README come from these files, never typed by hand).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisle.fileio import read_jsonl, write_jsonl
from finetune.pipeline import train_router

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)
KEYS = ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece")


def _table(rows: dict[str, dict[str, Any]], first: str) -> str:
    head = f"| {first} | " + " | ".join(KEYS) + " | train s |\n|---|" + "---|" * (len(KEYS) + 1) + "\n"
    body = "".join(
        f"| {name} | " + " | ".join(f"{r['metrics'].get(k)}" for k in KEYS) + f" | {r['training']['seconds']} |\n"
        for name, r in rows.items()
    )
    return head + body


def weighting_ablation(
    settings: Settings,
    data_dir: Path,
    out_dir: Path,
    schemes: tuple[str, ...] = ("none", "balanced", "importance"),
    epochs: int | None = None,
) -> dict[str, Any]:
    """Train one router per weighting scheme on the same data and seed; compare on dev."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    for scheme in schemes:
        cfg = settings.intents.model_copy(update={"weighting": scheme, **({"epochs": epochs} if epochs else {})})
        log.info("ablation: training with %s weights", scheme)
        rows[scheme] = train_router(
            settings, data_dir / "train.jsonl", data_dir / "dev.jsonl", out_dir / scheme, cfg, promote=False
        )
    result = {
        "experiment": "weighting-ablation",
        "data": str(data_dir),
        "rows": {k: {"metrics": v["metrics"], "training": v["training"]} for k, v in rows.items()},
    }
    (out_dir / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out_dir / "results.md").write_text(_table(result["rows"], "weighting"), encoding="utf-8")
    return result


def clinc_benchmark(settings: Settings, out_dir: Path, epochs: int | None = None) -> dict[str, Any]:
    """CLINC150 (150 intents + out_of_scope): train on train, evaluate on dev, same code as the router."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "data"
    for split in ("train", "dev"):
        rows = [
            {"text": o["text"], "intent": o["intent"]} for _, o in read_jsonl(settings.source_file(f"clinc150/{split}.jsonl"))
        ]
        write_jsonl(data / f"{split}.jsonl", rows)
    cfg = settings.intents.model_copy(update={"max_length": 32, **({"epochs": epochs} if epochs else {})})
    summary = train_router(settings, data / "train.jsonl", data / "dev.jsonl", out_dir / "model", cfg, promote=False)
    result = {
        "experiment": "clinc150",
        "metrics": summary["metrics"],
        "training": summary["training"],
        "reference": "Larson et al. 2019, An Evaluation Dataset for Intent Classification and Out-of-Scope Prediction (EMNLP)",
        "targets": {"in_scope_accuracy": 0.95, "oos_recall": 0.85},
    }
    (out_dir / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result
