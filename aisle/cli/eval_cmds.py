"""``aisle eval retrieval|intents|conversations``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.cli._common import print_json, stack
from aisle.settings import PACKAGE_DATA

if TYPE_CHECKING:
    from aisle.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="evaluate retrieval, the intent router or scripted conversations")
    esub = ev.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = esub.add_parser("retrieval", help="nDCG@10, recall@10/50, MRR on graded judgments")
    p.add_argument("--queries", required=True, help='JSONL of {"qid","query","filters"?}')
    p.add_argument("--qrels", required=True, help='JSONL of {"qid","doc_id","grade"}')
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical", "all"], default="hybrid")
    p.add_argument("--per-query", action="store_true", help="include per-query figures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_retrieval)
    p = esub.add_parser("intents", help="accuracy, macro-F1, OOS recall/precision, ECE")
    p.add_argument("--data", required=True, help='JSONL of {"text","intent"}')
    p.add_argument("--model", help="model directory (default: the promoted router)")
    p.add_argument("--router", action="store_true",
                   help="score the agent's whole router (classifier + keyword tie-break + Chinese rules), not the classifier alone")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_intents)
    p = esub.add_parser("conversations", help="run scripted conversations against the agent")
    p.add_argument("--scripts", required=True, help='JSONL of {"id","turns":[{"user","expect":{…}}]}')
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_conversations)
    p = esub.add_parser("abuse", help="run the bad-input & abuse corpus (no crash, no leaks, sensible replies)")
    p.add_argument("--corpus", default=str(PACKAGE_DATA / "abuse" / "corpus.jsonl"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_abuse)


def _eval_abuse(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from agent.abuse import run_corpus
    from agent.scripts import isolated_agent

    with tempfile.TemporaryDirectory(prefix="aisle-abuse-") as tmp:
        result = run_corpus(isolated_agent(settings, Path(tmp)), Path(args.corpus))
    if args.json:
        print_json(result)
    else:
        print(f"{result['passed']}/{result['n']} abuse cases handled ({result['pass_rate']:.1%})")
        for cat, t in sorted(result["by_category"].items()):
            print(f"  {cat:<18} {t['passed']}/{t['n']}")
        for f in result["failures"][:20]:
            print(f"  ✗ {f['id']}: {f['problem']}")
    return 0 if result["passed"] == result["n"] else 1


def _eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.evaluation import evaluate, load_qrels, load_queries

    queries, qrels = load_queries(args.queries), load_qrels(args.qrels)
    retriever = stack(settings).retriever
    modes = ["lexical", "dense", "hybrid"] if args.mode == "all" else [args.mode]
    results = {}
    for mode in modes:
        res = evaluate(queries, qrels, lambda q, m=mode: [h.product.id for h in retriever.search_products(q.query, q.filters, k=50, mode=m).hits])
        if not args.per_query:
            res.pop("per_query")
        results[mode] = res
    out = results[modes[0]] if len(modes) == 1 else results
    if args.json:
        print_json(out)
    else:
        for mode, r in results.items():
            print(f"{mode:>8}: nDCG@10 {r['ndcg@10']:.4f}  recall@10 {r['recall@10']:.4f}  recall@50 {r['recall@50']:.4f}  MRR {r['mrr']:.4f}  (n={r['n']})")
    return 0


def _eval_intents(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.evaluate import evaluate_file

    model = Path(args.model) if args.model else None
    result = _evaluate_router(settings, Path(args.data), model) if args.router else evaluate_file(settings, Path(args.data), model)
    if args.json:
        print_json(result)
    else:
        for k, v in result.items():
            if not isinstance(v, (dict, list)):
                print(f"{k:>18}: {v}")
    return 0


def _evaluate_router(settings: Settings, data: Path, model: Path | None) -> dict:
    """The same report as the classifier's, for what the agent actually routes each message to."""
    import numpy as np

    from agent import slots
    from agent.router import Router
    from finetune.calibration import intent_metrics
    from finetune.schema import load_examples

    router = Router(settings, model_dir=model)
    examples = load_examples(data, strict_fields=False)
    preds = [router.route_message(ex.text, slots.extract(ex.text)).prediction for ex in examples]
    metrics = intent_metrics([ex.intent for ex in examples], [p.intent for p in preds], np.array([p.confidence for p in preds]), settings.intents.oos_label)
    return {**metrics, "model": str(router.classifier().model_dir), "scope": "router"}


def _eval_conversations(args: argparse.Namespace, settings: Settings) -> int:
    from agent.scripts import run_scripts

    result = run_scripts(settings, Path(args.scripts))
    if args.json:
        print_json(result)
    else:
        print(f"{result['passed']}/{result['n']} conversations passed ({result['pass_rate']:.1%})")
        for f in result["failures"]:
            print(f"  ✗ {f['id']} turn {f['turn']}: {f['reason']}")
    return 0 if result["passed"] == result["n"] else 1
