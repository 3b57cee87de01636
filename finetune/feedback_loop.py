"""Retraining from reviewed feedback, behind the quality gate and the promotion gate (``aisle retrain``).

0. Only rows a staff reviewer accepted are used (``meta.reviewer``); the report names the
   reviewers. A shopper's correction never reaches training without one.
1. Feedback rows (``{text, intent, source, meta}``) are split by hashed session: ~20% is
   *held back* for evaluation only, never trained on.
2. The rest is merged into the base training set through the data-quality gate: exact
   duplicates of existing data and conflicting labels are dropped, and feedback that the
   out-of-fold model flags as likely mislabelled is rejected (the noise filter).
3. Weights: the configured scheme (importance by default) × per-example weights where
   feedback counts ``feedback_weight`` times, decayed by age (half-life), and ×
   ``hard_weight`` when the model that served it got it wrong.
4. Fine-tune a new registry version; evaluate it and ``current`` on the fixed dev set *and*
   on the held-back feedback; promote only if no tracked metric drops beyond the tolerance
   on either.
5. Write a report (Markdown + JSON): data added/rejected, metric deltas, per-intent F1
   changes, the decision.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from finetune.dataset import data_hash
from finetune.evaluate import evaluate_examples, metric_supports
from finetune.pipeline import gate_against_current, held_out_test, sample_weights, train_approach
from finetune.quality import flag_feedback_noise, run_gate
from finetune.registry import GateDecision, ModelRegistry, compare
from finetune.schema import Example, load_examples

if TYPE_CHECKING:
    from aisle.settings import IntentSettings, Settings

log = logging.getLogger(__name__)
FEEDBACK_PREFIX = "feedback"


@dataclass
class LoopConfig:
    holdout_fraction: float = 0.2
    feedback_weight: float = 2.0
    hard_weight: float = 1.5
    half_life_days: float = 30.0
    noise_filter: bool = True
    feedback_weighting: bool = True


def holdout_split(rows: list[Example], fraction: float) -> tuple[list[Example], list[Example]]:
    """Deterministic split by hashed session (a conversation never straddles the split)."""
    train, held = [], []
    for ex in rows:
        key = str(ex.meta.get("session") or ex.text)
        bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (held if bucket < fraction else train).append(ex)
    return train, held


def reviewed_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Only feedback a staff reviewer accepted trains the model; returns (those rows, how many were refused).

    ``agent.learning.accepted_examples`` already yields reviewed items only; this is the
    training side's own check, so a row that bypassed the review queue (a hand-made file, an
    old export with shopper corrections auto-accepted) is never trained on.
    """
    kept = [r for r in rows if str((r.get("meta") or {}).get("reviewer") or "").strip()]
    if len(kept) < len(rows):
        log.warning("refusing %d feedback row(s) without a reviewer in their provenance", len(rows) - len(kept))
    return kept, len(rows) - len(kept)


def reviewer_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Provenance for the report: how many training rows each reviewer accepted."""
    counts: dict[str, int] = {}
    for r in rows:
        who = str(r["meta"]["reviewer"])
        counts[who] = counts.get(who, 0) + 1
    return dict(sorted(counts.items()))


def feedback_example(row: dict[str, Any]) -> Example:
    return Example(
        row["text"], row["intent"], row.get("source", FEEDBACK_PREFIX), row.get("group", ""), 1.0, dict(row.get("meta") or {})
    )


def per_example_weights(train: list[Example], cfg: LoopConfig, now: datetime | None = None) -> np.ndarray:
    """Feedback up-weighted by recency and hardness; base data weight 1."""
    now = now or datetime.now(UTC)
    w = np.ones(len(train))
    if not cfg.feedback_weighting:
        return w
    for i, ex in enumerate(train):
        if not ex.source.startswith(FEEDBACK_PREFIX):
            continue
        age = 0.0
        if ex.meta.get("at"):
            try:
                age = max(0.0, (now - datetime.fromisoformat(str(ex.meta["at"]))).total_seconds() / 86400)
            except ValueError:
                age = 0.0
        recency = 0.5 + 0.5 * math.exp(-math.log(2) * age / cfg.half_life_days)
        hard = cfg.hard_weight if ex.meta.get("predicted") and ex.meta["predicted"] != ex.intent else 1.0
        w[i] = cfg.feedback_weight * recency * hard
    return w


def per_intent_f1(gold: list[str], pred: list[str]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    labels = sorted(set(gold))
    scores = f1_score(gold, pred, labels=labels, average=None, zero_division=0)
    return {lbl: round(float(s), 4) for lbl, s in zip(labels, scores)}


def merge_through_gate(
    base: list[Example], feedback: list[Example], dev: list[Example], settings: Settings, cfg: LoopConfig, seed: int
) -> tuple[list[Example], dict[str, Any], Any]:
    """Base + feedback through the quality gate; returns the training set, what happened to feedback, and the gate."""
    gate = run_gate(base + feedback, dev, settings.quality, noise=True, seed=seed)
    kept_texts = {(ex.text, ex.intent) for ex in gate.train}
    flagged_feedback = {(f["text"], f["given"]) for f in gate.noise_flags if str(f.get("source", "")).startswith(FEEDBACK_PREFIX)}
    fb_rows = [i for i, ex in enumerate(gate.train) if ex.source.startswith(FEEDBACK_PREFIX)]
    if gate.oof_probs is not None and gate.oof_classes is not None:
        q = settings.quality
        implausible = flag_feedback_noise(
            gate.oof_probs,
            gate.oof_classes,
            [ex.intent for ex in gate.train],
            fb_rows,
            q.feedback_noise_max_given,
            q.feedback_noise_min_pred,
        )
        flagged_feedback |= {(gate.train[i].text, gate.train[i].intent) for i in implausible}
    train = gate.train
    if cfg.noise_filter and flagged_feedback:
        train = [ex for ex in train if not (ex.source.startswith(FEEDBACK_PREFIX) and (ex.text, ex.intent) in flagged_feedback)]
    fb_in_train = [ex for ex in train if ex.source.startswith(FEEDBACK_PREFIX)]
    info = {
        "feedback_kept": sorted({(ex.text, ex.intent) for ex in fb_in_train}),
        "feedback_offered": len(feedback),
        "feedback_added": len(fb_in_train),
        "feedback_rejected_duplicate_or_conflict": sum(1 for ex in feedback if (ex.text, ex.intent) not in kept_texts),
        "feedback_rejected_noise": len(flagged_feedback) if cfg.noise_filter else 0,
        "feedback_flagged_noise": sorted([{"text": t, "label": lbl} for t, lbl in flagged_feedback], key=lambda d: d["text"])[
            :50
        ],
    }
    return train, info, gate


def _gate_oof(gate: Any, train: list[Example]) -> tuple[np.ndarray | None, list[str] | None]:
    """OOF probabilities aligned with ``train`` (rows dropped by the noise filter removed)."""
    if gate.oof_probs is None:
        return None, None
    index = {(ex.text, ex.intent): i for i, ex in enumerate(gate.train)}
    rows = [index[(ex.text, ex.intent)] for ex in train]
    return gate.oof_probs[rows], gate.oof_classes


def retrain(
    settings: Settings,
    base_train: Path | list[Example],
    base_dev: Path | list[Example],
    feedback_rows: list[dict[str, Any]],
    cfg: LoopConfig | None = None,
    intents: IntentSettings | None = None,
    out_dir: Path | None = None,
    promote: bool = True,
    progress: bool = True,
    write_report: bool = True,
) -> dict[str, Any]:
    """One feedback → retrain → gated promotion round (see module docstring)."""
    cfg = cfg or LoopConfig()
    icfg = intents or settings.intents
    base = load_examples(base_train) if isinstance(base_train, Path) else list(base_train)
    dev = load_examples(base_dev) if isinstance(base_dev, Path) else list(base_dev)
    reviewed, unreviewed = reviewed_rows(feedback_rows)
    fb = [feedback_example(r) for r in reviewed]
    fb_train, fb_held = holdout_split(fb, cfg.holdout_fraction)
    train, info, gate = merge_through_gate(base, fb_train, dev, settings, cfg, icfg.seed)
    oof, classes = _gate_oof(gate, train)
    scheme = (
        sample_weights(train, icfg.weighting, icfg, oof, classes) if icfg.weighting != "importance" or oof is not None else None
    )
    weights = (scheme if scheme is not None else np.ones(len(train))) * per_example_weights(train, cfg)
    weights = weights / weights.mean()
    registry = ModelRegistry(settings.intent_models_dir)
    out = out_dir or registry.new_version_dir()
    test = held_out_test(base_dev) if isinstance(base_dev, Path) else []
    fingerprints = {"dev_file_sha256": data_hash(dev), **({"test_sha256": data_hash(test)} if test else {})}
    result = train_approach(
        icfg.approach, train, gate.dev, icfg, out, weights, {"feedback": info, "base_train": len(base), **fingerprints}, progress
    )

    from finetune.classifier import IntentClassifier

    candidate = IntentClassifier(out)
    cur = registry.current()
    cand_dev = evaluate_examples(candidate, gate.dev, icfg.oos_label)
    cand_fb = evaluate_examples(candidate, fb_held, icfg.oos_label) if fb_held else {}
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "candidate": out.name,
        "current": cur.name if cur else None,
        "data": {
            **info,
            "feedback_held_back": len(fb_held),
            "train_examples": len(train),
            "dev_examples": len(gate.dev),
            "feedback_refused_unreviewed": unreviewed,
            "feedback_reviewers": reviewer_counts(reviewed),
        },
        "candidate_metrics": {"dev": cand_dev, "feedback_holdout": cand_fb},
        "training": result.manifest["training"],
    }
    if cur is not None:
        cur_clf = IntentClassifier(cur.path)
        cur_dev = evaluate_examples(cur_clf, gate.dev, icfg.oos_label)
        cur_fb = evaluate_examples(cur_clf, fb_held, icfg.oos_label) if fb_held else {}
        # dev (and test): against the best of current and the last promoted versions, so allowed drops cannot add up
        d_dev = gate_against_current(registry, out, dev, settings, test, icfg)
        d_fb = (
            compare(cand_fb, cur_fb, ["accuracy"], icfg.gate_tolerance, metric_supports(fb_held, icfg.oos_label), icfg.gate_z)
            if fb_held
            else GateDecision(True, "no held-back feedback")
        )
        decision = GateDecision(
            d_dev.passed and d_fb.passed,
            f"dev: {d_dev.reason}; held-back feedback: {d_fb.reason}",
            cand_dev,
            cur_dev,
            {**d_dev.deltas, **{f"feedback_{k}": v for k, v in d_fb.deltas.items()}},
        )
        gold = [ex.intent for ex in gate.dev]
        report["current_metrics"] = {"dev": cur_dev, "feedback_holdout": cur_fb}
        report["per_intent_f1"] = {
            "current": per_intent_f1(gold, [p.intent for p in cur_clf.classify_batch([ex.text for ex in gate.dev])]),
            "candidate": per_intent_f1(gold, [p.intent for p in candidate.classify_batch([ex.text for ex in gate.dev])]),
        }
    else:
        decision = GateDecision(True, "no current model")
    report["gate"] = decision.to_dict()
    if promote and decision.passed:
        registry.promote(out.name, reason="retrain: " + decision.reason)
        report["decision"] = "promoted"
    else:
        registry.log({"event": "refused" if promote else "registered", "version": out.name, "reason": decision.reason})
        report["decision"] = "refused" if promote else "registered"
    if write_report:
        report["report_files"] = [str(p) for p in write_retrain_report(report, settings.reports_dir)]
    return report


def write_retrain_report(report: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report["at"].replace(":", "").replace("-", "")
    js, md = folder / f"retrain-{stamp}.json", folder / f"retrain-{stamp}.md"
    js.write_text(json.dumps(report, indent=2), encoding="utf-8")
    d = report["data"]
    reviewers = ", ".join(f"{k} ({v})" for k, v in d.get("feedback_reviewers", {}).items())
    lines = [
        f"# Retrain {report['candidate']} — {report['decision'].upper()}",
        "",
        f"- current: {report['current']}; decision: **{report['decision']}** ({report['gate']['reason']})",
        (
            f"- feedback offered {d['feedback_offered']}, added {d['feedback_added']}, held back {d['feedback_held_back']}, "
            f"rejected as duplicate/conflict {d['feedback_rejected_duplicate_or_conflict']}, rejected as likely label noise {d['feedback_rejected_noise']}"
        ),
        (f"- reviewed by: {reviewers or 'nobody'}; refused without a reviewer: {d.get('feedback_refused_unreviewed', 0)}"),
        "",
        "| metric | current | candidate | delta |",
        "|---|---|---|---|",
    ]
    cur = report.get("current_metrics", {}).get("dev", {})
    cand = report["candidate_metrics"]["dev"]
    for k in ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece"):
        c, n = cur.get(k), cand.get(k)
        delta = f"{n - c:+.4f}" if isinstance(c, (int, float)) and isinstance(n, (int, float)) else ""
        lines.append(f"| dev {k} | {c} | {n} | {delta} |")
    fc, fn = (
        report.get("current_metrics", {}).get("feedback_holdout", {}).get("accuracy"),
        report["candidate_metrics"]["feedback_holdout"].get("accuracy"),
    )
    lines.append(f"| held-back feedback accuracy | {fc} | {fn} | {'' if fc is None or fn is None else f'{fn - fc:+.4f}'} |")
    if "per_intent_f1" in report:
        lines += ["", "## Per-intent F1 changes (dev)", "", "| intent | current | candidate |", "|---|---|---|"]
        a, b = report["per_intent_f1"]["current"], report["per_intent_f1"]["candidate"]
        for lbl in sorted(a, key=lambda k: b.get(k, 0) - a[k]):
            if abs(b.get(lbl, 0) - a[lbl]) >= 0.005:
                lines.append(f"| {lbl} | {a[lbl]} | {b.get(lbl)} |")
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [js, md]
