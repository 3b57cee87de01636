"""``aisle experiment router``: every router approach trained on the same data, scored on the same sets.

Arms (``--approaches``, comma-separated):

* ``finetune``: the full fine-tune (``finetune.train``);
* ``knn``, ``centroid``, ``logreg``, ``knn+logreg``: heads over the *frozen* packaged encoder
  (``finetune.embedding_router``);
* ``setfit``: contrastive encoder tuning, then kNN + logistic heads (``finetune.setfit``);
* ``tfidf``: character n-gram TF-IDF + logistic head (``finetune.tfidf_router``);
* ``ensemble[a|b|…]``: a dev-weighted mixture of arms trained above (``finetune.ensemble``).

Each arm is scored on dev (which chose its settings), on test and on every extra set given
(the hand-written wild set, CLINC150 dev through its label map), at two levels: the
classifier alone, and the agent's ``Router`` (lexicon, keyword tie-break on and off). Rows
whose label the routers do not have (the wild set's ``other_faq``) are left out of these
figures and counted; the agent-level figures come from ``aisle eval intents --router``.

Results: ``results.json`` and a Markdown table in ``--out``. Models go to ``--models`` and are
reused when the data and settings match (re-running the table does not retrain them).
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError
from finetune.schema import Example, load_examples

if TYPE_CHECKING:
    from aisle.settings import Settings
    from finetune.classifier import IntentClassifier

log = logging.getLogger(__name__)

DEFAULT_ARMS = (
    "finetune",
    "knn",
    "centroid",
    "logreg",
    "knn+logreg",
    "setfit",
    "ensemble[finetune|knn+logreg]",
    "ensemble[finetune|setfit]",
)
KEYS = ("accuracy", "macro_f1", "in_scope_accuracy", "in_scope_as_oos", "oos_recall", "oos_precision", "ece")
ENSEMBLE_RE = re.compile(r"^ensemble\[([\w+]+(?:\|[\w+]+)+)\]$")
LATENCY_PROBES = 40
# settings that do not change what an arm learns (a model trained under other values is reused)
NOT_TRAINING = {
    "approach",
    "fast_approach",
    "ensemble_members",
    "keyword_tie_break",
    "background_training",
    "quantize",
    "top_k",
    "gate_tolerance",
    "gate_metrics",
    "gate_z",
}


def parse_arms(spec: str | None) -> list[str]:
    arms = [a.strip() for a in (spec.split(",") if spec else DEFAULT_ARMS) if a.strip()]
    simple = {"finetune", "knn", "centroid", "logreg", "knn+logreg", "setfit", "tfidf"}
    for arm in arms:
        m = ENSEMBLE_RE.match(arm)
        members = set(m.group(1).split("|")) if m else set()
        if arm not in simple and not (m and members <= simple):
            raise DataError(f"unknown router approach {arm!r}; use {', '.join(sorted(simple))} or ensemble[a|b|…] of them")
        if m and not members <= set(arms[: arms.index(arm)]):
            raise DataError(
                f"{arm} needs its members trained before it: list {', '.join(sorted(members))} earlier in --approaches"
            )
    return arms


def label_mapped_examples(path: Path, label_map: str, unknown: str = "oos") -> list[Example]:
    """An external JSONL scored through a packaged label map (``finetune.label_maps``); None targets are skipped."""
    from finetune.label_maps import UNKNOWN, load_label_map

    lm = load_label_map(label_map)
    out = []
    for ex in load_examples(path, strict_fields=False):
        target = lm.target(ex.intent)
        if target is UNKNOWN:
            if unknown == "skip":
                continue
            target = "out_of_scope"
        if target is None:
            continue
        out.append(Example(ex.text, str(target), ex.source))
    return out


def _metrics(gold: list[str], preds: list[str], conf: np.ndarray, oos: str) -> dict[str, Any]:
    from finetune.calibration import intent_metrics

    m = intent_metrics(gold, preds, conf, oos)
    in_scope = [p for g, p in zip(gold, preds) if g != oos]
    m["in_scope_as_oos"] = round(sum(p == oos for p in in_scope) / len(in_scope), 4) if in_scope else None
    return m


def score_classifier(clf: IntentClassifier, examples: list[Example], oos: str) -> dict[str, Any]:
    preds = clf.classify_batch([ex.text for ex in examples])
    return _metrics([ex.intent for ex in examples], [p.intent for p in preds], np.array([p.confidence for p in preds]), oos)


def score_router(settings: Settings, model_dir: Path, examples: list[Example], tie_break: bool) -> dict[str, Any]:
    from agent import slots
    from agent.router import Router

    router = Router(settings, model_dir=model_dir, keyword_tie_break=tie_break)
    preds = [
        r.prediction for r in router.route_messages([ex.text for ex in examples], [slots.extract(ex.text) for ex in examples])
    ]
    return _metrics(
        [ex.intent for ex in examples],
        [p.intent for p in preds],
        np.array([p.confidence for p in preds]),
        settings.intents.oos_label,
    )


def latency_ms(clf: IntentClassifier, texts: list[str]) -> dict[str, float]:
    clf.warm_up()
    times = []
    for text in texts[:LATENCY_PROBES]:
        t0 = time.perf_counter()
        clf.classify(text)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 2), "p95": round(times[int(0.95 * (len(times) - 1))], 2)}


def _reusable(model_dir: Path, fingerprint: dict[str, Any]) -> bool:
    try:
        manifest = json.loads((model_dir / "aisle_intents.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return manifest.get("data", {}).get("experiment_fingerprint") == fingerprint


def run_router_experiment(
    settings: Settings,
    data_dir: Path,
    out_dir: Path,
    models_dir: Path,
    arms: list[str],
    extra_sets: dict[str, list[Example]],
    retrain: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Train (or reuse) every arm, score it on dev, test and the extra sets, write results.json + results.md."""
    from finetune.classifier import IntentClassifier
    from finetune.dataset import data_hash
    from finetune.ensemble import build_ensemble
    from finetune.pipeline import train_approach
    from finetune.quality import run_gate

    cfg = settings.intents
    oos = cfg.oos_label
    train = load_examples(data_dir / "train.jsonl")
    dev = load_examples(data_dir / "dev.jsonl")
    test = load_examples(data_dir / "test.jsonl", strict_fields=False) if (data_dir / "test.jsonl").exists() else []
    gate = run_gate(train, dev, settings.quality, noise=False, seed=cfg.seed)
    fingerprint = {
        "train": data_hash(gate.train),
        "dev": data_hash(gate.dev),
        "settings": cfg.model_dump(mode="json", exclude=NOT_TRAINING),
    }
    sets: dict[str, list[Example]] = {"dev": gate.dev, **({"test": test} if test else {}), **extra_sets}
    models_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    for arm in arms:
        model_dir = models_dir / arm.replace("[", "-").replace("|", "-").replace("]", "")
        m = ENSEMBLE_RE.match(arm)
        if retrain or not _reusable(model_dir, fingerprint):
            log.info("experiment: training %s", arm)
            info = {"experiment_fingerprint": fingerprint}
            if m:
                members = {name: models_dir / name for name in m.group(1).split("|")}
                result = build_ensemble(members, gate.dev, cfg, model_dir, info, copy=False)
                member_seconds = [IntentClassifier(d).manifest.get("training", {}).get("seconds") or 0 for d in members.values()]
                result.manifest["training"]["seconds"] = round(result.manifest["training"]["seconds"] + sum(member_seconds), 1)
                (model_dir / "aisle_intents.json").write_text(json.dumps(result.manifest, indent=2), encoding="utf-8")
            else:
                train_approach(arm, gate.train, gate.dev, cfg, model_dir, None, info, progress)
        clf = IntentClassifier(model_dir, top_k=cfg.top_k)
        row: dict[str, Any] = {
            "approach": arm,
            "model": str(model_dir),
            "train_seconds": clf.manifest.get("training", {}).get("seconds"),
            "settings": clf.manifest.get("heads") or {k: clf.manifest.get(k) for k in ("members",) if k in clf.manifest},
            "latency_ms": latency_ms(clf, [ex.text for ex in gate.dev[::37]]),
            "sets": {},
        }
        for name, examples in sets.items():
            known = [ex for ex in examples if ex.intent in clf.labels or ex.intent == oos]
            entry = {"n_skipped_unknown_label": len(examples) - len(known), "classifier": score_classifier(clf, known, oos)}
            for tie_break in (True, False):
                entry["router" + ("" if tie_break else "_no_rules")] = score_router(settings, model_dir, known, tie_break)
            row["sets"][name] = entry
            log.info("%s on %s: %s", arm, name, {k: entry["classifier"].get(k) for k in ("accuracy", "macro_f1", "oos_recall")})
        rows[arm] = row
    result = {
        "experiment": "router-approaches",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": str(data_dir),
        "n": {name: len(ex) for name, ex in sets.items()},
        "train_n": len(gate.train),
        "note": "dev chose every arm's settings (k, τ, mixture weights, temperature, OOS threshold); test and the extra sets did not",
        "rows": rows,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out_dir / "results.md").write_text(markdown_table(result), encoding="utf-8")
    return result


def markdown_table(result: dict[str, Any]) -> str:
    """One table per set: approach × metrics at the classifier and router levels."""
    lines = [f"Router approaches ({result['created_at']}, {result['train_n']} training examples; {result['note']}).", ""]
    first = next(iter(result["rows"].values()), None)
    if first is None:
        return "\n".join(lines)
    for name in first["sets"]:
        skipped = first["sets"][name]["n_skipped_unknown_label"]
        lines += [
            f"### {name} (n={result['n'][name] - skipped}"
            + (f"; {skipped} rows with labels no router has left out" if skipped else "")
            + ")",
            "",
            "| approach | level | " + " | ".join(KEYS) + " | train s | p50 ms |",
            "|---|---|" + "---|" * (len(KEYS) + 2),
        ]
        for arm, row in result["rows"].items():
            for level in ("classifier", "router", "router_no_rules"):
                m = row["sets"][name][level]
                lines.append(
                    f"| {arm} | {level} | "
                    + " | ".join("" if m.get(k) is None else f"{m[k]:.4f}" for k in KEYS)
                    + f" | {row['train_seconds']} | {row['latency_ms']['p50']} |"
                )
        lines.append("")
    return "\n".join(lines)
