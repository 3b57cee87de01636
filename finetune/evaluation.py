"""Intent evaluation reports (``aisle eval intents``): what a shopper would notice, per source and per intent.

The scorer is independent of what produced the answers. ``aisle eval intents`` feeds it either
the classifier's predictions or, with ``--router``, the intent of the agent's whole reply
(``Agent.respond`` in a fresh session per message: router, grounding, fallbacks).

Inputs are JSONL rows ``{"text", "intent"}`` with optional ``id``, ``source`` and ``style``
(a tag or a list of tags, as in the wild sets). An external data set is scored through a
label map (``finetune.label_maps``): its labels become store labels, ``null`` labels are
skipped, and labels the map does not list become out of scope or are skipped (``unknown``).

Scoring rules:

* the prediction is the reply's intent; a reply is an **out-of-scope refusal** when its intent
  is the OOS label and it carries no product, no help-centre citation and no handoff;
* gold ``other_faq`` (wild sets: a real store question no intent covers, e.g. gift wrapping)
  is in scope and counts as correct when the reply is not a refusal *and* cites a help-centre
  article. The classifier alone cannot cite, so in classifier mode it counts as correct when
  the prediction is not out of scope (an upper bound, reported per source);
* headline: n, accuracy, macro-F1 (over the gold labels), in-scope accuracy, OOS recall and
  precision, ECE, and ``in_scope_refused_rate``: the share of in-scope messages answered
  "outside what I can help with".

``write_reports`` writes ``report.json`` (everything), ``misrouted.jsonl``, ``confusion.png``
and ``summary.md`` to a folder.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from aisle.errors import DataError
from aisle.fileio import read_jsonl
from aisle.labels import OOS, OTHER_FAQ
from aisle.text import clean_text
from finetune.calibration import intent_metrics
from finetune.label_maps import UNKNOWN, LabelMap

Unknown = Literal["oos", "skip"]


@dataclass
class EvalItem:
    """One message to score: its gold store label, where it comes from, and its style tags."""

    text: str
    gold: str
    id: str = ""
    source: str = ""
    style: list[str] = field(default_factory=list)
    original: str = ""


@dataclass
class Outcome:
    """What the system under test did with one message."""

    intent: str
    confidence: float
    refused: bool
    cited: bool = False
    products: int = 0
    handoff: bool = False
    reply: str = ""
    top_k: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class LoadInfo:
    rows: int = 0
    skipped_null: int = 0
    skipped_unknown: int = 0
    unknown_as_oos: int = 0
    unknown_labels: list[str] = field(default_factory=list)


def load_items(
    path: str | Path, label_map: LabelMap | None = None, unknown: Unknown = "oos", oos_label: str = OOS
) -> tuple[list[EvalItem], LoadInfo]:
    """Read an evaluation JSONL (``{"text", "intent"}`` + optional ``id``, ``source``, ``style``), mapping labels if asked."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"evaluation file not found: {path}")
    info = LoadInfo()
    unknown_seen: Counter[str] = Counter()
    items: list[EvalItem] = []
    for lineno, obj in read_jsonl(path):
        loc = f"{path}:{lineno}"
        text, label = clean_text(str(obj.get("text") or "")), str(obj.get("intent") or "").strip()
        if not text or not label:
            raise DataError('expected {"text": …, "intent": …} with both non-empty', loc)
        info.rows += 1
        style = obj.get("style") or []
        style = [style] if isinstance(style, str) else [str(s) for s in style]
        source = str(obj.get("source") or "")
        gold = label
        if label_map is not None:
            target = label_map.target(label)
            if target is None:
                info.skipped_null += 1
                continue
            if target is UNKNOWN:
                unknown_seen[label] += 1
                if unknown == "skip":
                    info.skipped_unknown += 1
                    continue
                info.unknown_as_oos += 1
                target = oos_label
            gold = str(target)
            kind = "oos" if label == oos_label else ("as-oos" if gold == oos_label else "in-scope")
            source = source or f"{label_map.name}:{kind}"
        items.append(EvalItem(text, gold, str(obj.get("id") or f"{path.stem}-{lineno}"), source or path.stem, style, label))
    info.unknown_labels = sorted(unknown_seen)
    if not items:
        raise DataError(f"{path}: no rows left to score (after the label map)")
    return items, info


def _prf(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float | int]]:
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(gold) | set(pred))
    p, r, f, n = precision_recall_fscore_support(list(gold), list(pred), labels=labels, zero_division=0)
    return {
        lbl: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(n[i]),
        }
        for i, lbl in enumerate(labels)
    }


def _headline(items: Sequence[EvalItem], outcomes: Sequence[Outcome], scored: Sequence[str], oos_label: str) -> dict[str, Any]:
    gold = [it.gold for it in items]
    conf = np.array([o.confidence for o in outcomes], dtype=np.float64)
    m = dict(intent_metrics(gold, list(scored), conf, oos_label))
    # macro-F1 over the gold labels, the usual definition (intent_metrics already restricts to them)
    in_scope = [i for i, it in enumerate(items) if it.gold != oos_label]
    m["n_in_scope"] = len(in_scope)
    m["n_oos"] = len(items) - len(in_scope)
    m["in_scope_refused_rate"] = round(sum(outcomes[i].refused for i in in_scope) / len(in_scope), 4) if in_scope else None
    return m


def score(
    items: Sequence[EvalItem], outcomes: Sequence[Outcome], oos_label: str = OOS, mode: str = "classifier"
) -> dict[str, Any]:
    """The full report for ``outcomes`` on ``items`` (see module docstring for the rules)."""
    if len(items) != len(outcomes):
        raise ValueError(f"{len(items)} items but {len(outcomes)} outcomes")
    scored: list[str] = []
    for it, o in zip(items, outcomes):
        if it.gold == OTHER_FAQ:
            ok = (not o.refused and o.intent != oos_label) if mode == "classifier" else (not o.refused and o.cited)
            scored.append(OTHER_FAQ if ok else (oos_label if o.refused else o.intent))
        else:
            scored.append(oos_label if o.refused else o.intent)
    report: dict[str, Any] = {"mode": mode, **_headline(items, outcomes, scored, oos_label)}
    report["per_intent"] = _prf([it.gold for it in items], scored)
    for key, groups in (("per_source", _group(items, lambda it: [it.source])), ("per_style", _group(items, lambda it: it.style))):
        if key == "per_style" and not groups:
            continue
        report[key] = {
            name: {
                k: v
                for k, v in _headline(
                    [items[i] for i in rows], [outcomes[i] for i in rows], [scored[i] for i in rows], oos_label
                ).items()
            }
            for name, rows in sorted(groups.items())
        }
    report["misrouted"] = [
        {
            "id": it.id,
            "text": it.text,
            "gold": it.gold,
            "predicted": s,
            "reply_intent": o.intent,
            "confidence": round(float(o.confidence), 4),
            "refused": o.refused,
            "cited": o.cited,
            "products": o.products,
            "handoff": o.handoff,
            "source": it.source,
            "style": it.style,
            "top_k": [[lbl, round(float(p), 4)] for lbl, p in o.top_k[:3]],
            "reply": o.reply[:300],
        }
        for it, o, s in zip(items, outcomes, scored)
        if s != it.gold
    ]
    report["_scored"] = scored
    return report


def _group(items: Sequence[EvalItem], keys: Callable[[EvalItem], list[str]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        for k in keys(it):
            if k:
                out[k].append(i)
    return out


def write_reports(report: dict[str, Any], items: Sequence[EvalItem], out_dir: Path, title: str) -> list[Path]:
    """``report.json``, ``misrouted.jsonl``, ``confusion.png`` and ``summary.md`` in ``out_dir``."""
    from finetune.plots import confusion_matrix_png

    out_dir.mkdir(parents=True, exist_ok=True)
    scored = report["_scored"]
    public = {k: v for k, v in report.items() if not k.startswith("_")}
    paths = [out_dir / "report.json", out_dir / "misrouted.jsonl", out_dir / "confusion.png", out_dir / "summary.md"]
    paths[0].write_text(json.dumps(public, indent=2, ensure_ascii=False), encoding="utf-8")
    paths[1].write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in report["misrouted"]), encoding="utf-8")
    labels = sorted({it.gold for it in items} | set(scored))
    confusion_matrix_png([it.gold for it in items], scored, labels, paths[2], title=f"{title} (row-normalised)")
    paths[3].write_text(summary_markdown(public, title), encoding="utf-8")
    return paths


def summary_markdown(report: dict[str, Any], title: str) -> str:
    def f(v: Any) -> str:
        return "–" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v)

    head = ("n", "accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece", "in_scope_refused_rate")
    lines = [
        f"# {title}",
        "",
        f"mode: {report['mode']}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        "| " + " | ".join(f(report.get(k)) for k in head) + " |",
        "",
    ]
    for key in ("per_source", "per_style"):
        if key in report:
            lines += [f"## {key.replace('_', ' ')}", "", "| group | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
            lines += ["| " + name + " | " + " | ".join(f(m.get(k)) for k in head) + " |" for name, m in report[key].items()]
            lines.append("")
    lines += ["## per intent", "", "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [
        f"| {lbl} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        for lbl, m in report["per_intent"].items()
    ]
    lines += ["", f"{len(report['misrouted'])} misrouted messages: misrouted.jsonl"]
    return "\n".join(lines) + "\n"


def outcome_of_prediction(pred: Any, oos_label: str) -> Outcome:
    """Classifier mode: an ``IntentPrediction`` as an outcome (a predicted OOS is the refusal)."""
    return Outcome(pred.intent, float(pred.confidence), pred.intent == oos_label, top_k=list(pred.top_k))


def outcome_of_reply(reply: Any, oos_label: str) -> Outcome:
    """Agent mode: a ``Reply``. A refusal is an OOS reply with no product, citation or handoff."""
    refused = reply.intent == oos_label and not reply.products and not reply.citations and not reply.handoff
    return Outcome(
        reply.intent,
        float(reply.confidence),
        refused,
        bool(reply.citations),
        len(reply.products),
        bool(reply.handoff),
        reply.text,
        list(reply.top_k or []),
    )


def public(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if not k.startswith("_")}


def stratified_sample(examples: Sequence[Any], n: int, seed: int = 13) -> list[Any]:
    """``n`` examples spread evenly over their sources (``source`` up to the first ``:``), seeded.

    A benchmark or a quick check on "the first 800 dev rows" measures whichever source the file
    starts with (Bitext, in the old dev set); this takes the sources in turn instead.
    """
    rng = random.Random(seed)
    by: dict[str, list[Any]] = defaultdict(list)
    for ex in examples:
        by[str(getattr(ex, "source", "") or "").split(":")[0]].append(ex)
    queues = {k: rng.sample(v, len(v)) for k, v in sorted(by.items())}
    out: list[Any] = []
    while len(out) < n and any(queues.values()):
        for k in sorted(queues):
            if queues[k] and len(out) < n:
                out.append(queues[k].pop())
    return out


def read_handoff_set(path: Path) -> list[tuple[str, bool]]:
    """``(text, human_request)`` rows of a handoff set; a malformed row is a ``DataError`` naming its line."""
    rows = []
    for lineno, obj in read_jsonl(path):
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not isinstance(obj.get("human_request"), bool):
            raise DataError(f'{path}:{lineno}: expected {{"text": str, "human_request": true|false}}')
        rows.append((obj["text"], obj["human_request"]))
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def handoff_report(rows: Sequence[tuple[str, bool]], replies: Sequence[Any] | None = None) -> dict[str, Any]:
    """Recall on explicit requests for a person and the false-handoff rate, for the rule detector alone
    (``agent.human_request``) and, given the agent's replies, for what the shopper gets (a handoff)."""
    from agent.human_request import explicit_human_request

    detector = [explicit_human_request(text) for text, _ in rows]
    # reached a person: handed off (a clarifying question with a "talk to a person" chip is not enough)
    reached = {"detector": detector}
    # taken for a request for a person (a handoff for another reason, e.g. an angry complaint, is policy, not an error)
    taken = {"detector": detector}
    if replies is not None:
        reached["agent"] = [bool(r.handoff) for r in replies]
        taken["agent"] = [bool(r.handoff) and r.handoff_reason == "requested" for r in replies]
    paths: dict[str, dict[str, Any]] = {}
    for name, got in reached.items():
        requests = sum(1 for _, want in rows if want)
        hits = sum(1 for (_, want), g in zip(rows, got) if want and g)
        false = sum(1 for (_, want), g in zip(rows, taken[name]) if not want and g)
        non = len(rows) - requests
        paths[name] = {
            "requests": requests,
            "handed_off": hits,
            "recall": round(hits / requests, 4) if requests else None,
            "non_requests": non,
            "false_handoffs": false,
            "false_handoff_rate": round(false / non, 4) if non else None,
            "other_handoffs": sum(1 for (_, want), g, t in zip(rows, got, taken[name]) if not want and g and not t),
        }
    final, final_taken = reached.get("agent", detector), taken.get("agent", detector)
    return {
        "n": len(rows),
        "paths": paths,
        "missed": [text for (text, want), g in zip(rows, final) if want and not g],
        "false_handoffs": [text for (text, want), g in zip(rows, final_taken) if not want and g],
    }
