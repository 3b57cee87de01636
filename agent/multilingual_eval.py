"""Scoring the agent on a labelled message set in any language, through ``Agent.respond``
(``python -m agent.multilingual_eval --data aisle/data/eval/wild/zh.jsonl --out docs/results/wild-zh.json``).

Each message is sent in a fresh conversation on a copy of the store, and scored on what the
shopper sees:

* **routing accuracy**: the reply's intent equals the label; a row labelled ``other_faq`` (a
  store question the router has no class for) counts as right when the reply cites a
  help-centre article and is not a refusal;
* **out-of-scope recall / precision**: replies with intent ``out_of_scope`` against the rows
  labelled so;
* **answered in the message's language**: ``Reply.language`` is the message's language and,
  for Chinese, the reply's first line has Chinese characters (product titles and quoted
  help-centre bodies stay in English by design, so the first line is where the reply's own
  words are);
* **latency**: p50/p95 of ``Reply.latency_ms``.

Evaluation only: the wild sets are held out (see their README); nothing here trains or tunes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.language import detect
from retrieval.vocab import CJK_RE

if TYPE_CHECKING:
    from agent.agent import Agent
    from agent.types import Reply

OTHER_FAQ = "other_faq"
OOS = "out_of_scope"


def in_language(reply: Reply, language: str) -> bool:
    if reply.language != language:
        return False
    if language == "zh":
        return bool(CJK_RE.search(reply.text.split("\n")[0]))
    return True


def correct(reply: Reply, gold: str) -> bool:
    if gold == OTHER_FAQ:
        return bool(reply.citations) and reply.intent != OOS
    return reply.intent == gold


def evaluate(agent: Agent, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics over ``rows`` of ``{"text", "intent"}`` (optional ``id``, ``style``)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        reply = agent.respond(f"eval-{uuid.uuid4().hex[:10]}", row["text"])
        lang = getattr(detect(row["text"]), "value", "en")
        out.append(
            {
                "id": row.get("id"),
                "gold": row["intent"],
                "pred": reply.intent,
                "ok": correct(reply, row["intent"]),
                "language": lang,
                "in_language": in_language(reply, lang),
                "latency_ms": reply.latency_ms,
                "style": row.get("style", []),
                "handoff": reply.handoff,
            }
        )
    n = len(out)
    gold_oos = [r for r in out if r["gold"] == OOS]
    pred_oos = [r for r in out if r["pred"] == OOS]
    lat = [r["latency_ms"] for r in out]
    styles: Counter[str] = Counter()
    styles_ok: Counter[str] = Counter()
    for r in out:
        for st in r["style"]:
            styles[st] += 1
            styles_ok[st] += r["ok"]
    return {
        "n": n,
        "routing_accuracy": round(sum(r["ok"] for r in out) / n, 4),
        "in_scope_accuracy": round(np.mean([r["ok"] for r in out if r["gold"] != OOS]), 4),
        "oos_recall": round(sum(r["pred"] == OOS for r in gold_oos) / len(gold_oos), 4) if gold_oos else None,
        "oos_precision": round(sum(r["gold"] == OOS for r in pred_oos) / len(pred_oos), 4) if pred_oos else None,
        "answered_in_message_language": round(sum(r["in_language"] for r in out) / n, 4),
        "message_languages": dict(Counter(r["language"] for r in out)),
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 1), "p95": round(float(np.percentile(lat, 95)), 1)},
        "accuracy_by_style": {k: round(styles_ok[k] / v, 3) for k, v in sorted(styles.items())},
        "errors": [{k: r[k] for k in ("id", "gold", "pred")} for r in out if not r["ok"]],
    }


def main(argv: list[str] | None = None) -> int:
    from agent.scripts import isolated_agent
    from aisle.fileio import read_jsonl
    from aisle.settings import Settings

    ap = argparse.ArgumentParser(description="score Agent.respond on a labelled message set")
    ap.add_argument("--data", action="append", required=True, help="JSONL of {text, intent}; repeat for several sets")
    ap.add_argument("--out", help="write the results JSON here")
    args = ap.parse_args(argv)
    settings = Settings.load()
    results: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "store": str(settings.home), "sets": {}}
    with tempfile.TemporaryDirectory(prefix="aisle-wild-") as tmp:
        agent = isolated_agent(settings, Path(tmp))
        agent.warm_up()
        agent.respond("eval-warm-up", "你好")  # load the multilingual encoder before timing anything
        for path in args.data:
            rows = [obj for _, obj in read_jsonl(path)]
            results["sets"][path] = evaluate(agent, rows)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
