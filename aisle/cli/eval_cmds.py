"""``aisle eval retrieval|intents|conversations``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.cli._common import print_json, stack
from aisle.errors import StoreUnavailableError
from aisle.settings import PACKAGE_DATA

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)


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
    p = esub.add_parser("intents", help="accuracy, macro-F1, OOS recall/precision, ECE, refusals; per source, intent and style")
    p.add_argument("--data", required=True, help='JSONL of {"text","intent"} (+ optional id, source, style)')
    p.add_argument("--model", help="model directory (default: the promoted router)")
    p.add_argument(
        "--router",
        action="store_true",
        help="score what the agent answers: Agent.respond in a fresh session per message (router, grounding, fallbacks), "
        "on a copy of the store's database",
    )
    p.add_argument("--label-map", help="JSON label map for an external set (a path, or a packaged name: clinc150, banking77)")
    p.add_argument(
        "--unknown", choices=["oos", "skip"], default="oos", help="labels the map does not list: score as out of scope, or skip"
    )
    p.add_argument("--out", help="write report.json, misrouted.jsonl, confusion.png and summary.md here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_intents)
    p = esub.add_parser(
        "handoff", help="explicit requests for a person: handed off (recall) and false handoffs, detector alone and via the agent"
    )
    p.add_argument(
        "--data",
        default=str(PACKAGE_DATA / "eval" / "devwild" / "handoff.jsonl"),
        help='JSONL of {"text","human_request": true|false} (default: the packaged handoff dev set)',
    )
    p.add_argument("--model", help="router directory for the agent path (default: the promoted router)")
    p.add_argument("--no-agent", action="store_true", help="score the rule detector only (no router, no store needed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_handoff)
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
        res = evaluate(
            queries,
            qrels,
            lambda q, m=mode: [h.product.id for h in retriever.search_products(q.query, q.filters, k=50, mode=m).hits],
        )
        if not args.per_query:
            res.pop("per_query")
        results[mode] = res
    out = results[modes[0]] if len(modes) == 1 else results
    if args.json:
        print_json(out)
    else:
        for mode, r in results.items():
            print(
                f"{mode:>8}: nDCG@10 {r['ndcg@10']:.4f}  recall@10 {r['recall@10']:.4f}  recall@50 {r['recall@50']:.4f}  MRR {r['mrr']:.4f}  (n={r['n']})"
            )
    return 0


def _eval_intents(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.evaluation import load_items, public, score, write_reports
    from finetune.label_maps import load_label_map

    oos = settings.intents.oos_label
    data = Path(args.data)
    label_map = load_label_map(args.label_map) if args.label_map else None
    items, info = load_items(data, label_map, args.unknown, oos)
    model = Path(args.model) if args.model else None
    if args.router:
        outcomes, model_name = _agent_outcomes(settings, [it.text for it in items], model, progress=not args.json)
    else:
        outcomes, model_name = _classifier_outcomes(settings, [it.text for it in items], model)
    report = score(items, outcomes, oos, mode="router" if args.router else "classifier")
    result = {
        "data": str(data),
        "scope": "router" if args.router else "classifier",
        "model": model_name,
        **({"label_map": label_map.name, "unknown": args.unknown} if label_map else {}),
        "loaded": {
            "rows": info.rows,
            "scored": len(items),
            "skipped_null": info.skipped_null,
            "skipped_unknown": info.skipped_unknown,
            "unknown_as_oos": info.unknown_as_oos,
            "unknown_labels": info.unknown_labels,
        },
        **{k: v for k, v in public(report).items() if k != "misrouted"},
        "n_misrouted": len(report["misrouted"]),
    }
    if args.out:
        title = f"{data.stem} — {'agent' if args.router else 'classifier'}"
        result["files"] = [
            str(p)
            for p in write_reports(
                {**report, **{k: result[k] for k in ("data", "scope", "model", "loaded")}}, items, Path(args.out), title
            )
        ]
    if args.json:
        print_json(result)
    else:
        for k in (
            "n",
            "accuracy",
            "macro_f1",
            "in_scope_accuracy",
            "oos_recall",
            "oos_precision",
            "ece",
            "in_scope_refused_rate",
            "n_misrouted",
        ):
            print(f"{k:>22}: {result.get(k)}")
        for name, m in result.get("per_source", {}).items():
            print(f"  {name:<28} n={m['n']:<5} accuracy {m['accuracy']:.4f}  refused(in-scope) {m['in_scope_refused_rate']}")
        for f in result.get("files", []):
            print(f"  wrote {f}")
    return 0


def _classifier_outcomes(settings: Settings, texts: list[str], model: Path | None) -> tuple[list, str]:
    from finetune.classifier import IntentClassifier
    from finetune.evaluation import outcome_of_prediction
    from finetune.registry import ModelRegistry

    model_dir = model or ModelRegistry(settings.intent_models_dir).current_path()
    clf = IntentClassifier(model_dir, top_k=settings.intents.top_k, quantize=settings.intents.quantize)
    return [outcome_of_prediction(p, settings.intents.oos_label) for p in clf.classify_batch(texts)], str(model_dir)


def _agent_outcomes(settings: Settings, texts: list[str], model: Path | None, progress: bool) -> tuple[list, str]:
    from finetune.evaluation import outcome_of_reply

    replies = _agent_replies(settings, texts, model, progress)
    name = next((r.model_version for r in replies if r.model_version), "") or (str(model) if model else "")
    return [outcome_of_reply(r, settings.intents.oos_label) for r in replies], name


def _eval_handoff(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.evaluation import handoff_report, read_handoff_set

    rows = read_handoff_set(Path(args.data))
    texts = [r[0] for r in rows]
    replies = None if args.no_agent else _agent_replies(settings, texts, Path(args.model) if args.model else None)
    result = handoff_report(rows, replies)
    if args.json:
        print_json(result)
    else:
        for path, m in result["paths"].items():
            print(
                f"{path:>9}: recall {m['recall']:.3f} ({m['handed_off']}/{m['requests']}), "
                f"false handoffs {m['false_handoff_rate']:.3f} ({m['false_handoffs']}/{m['non_requests']})"
            )
        for miss in result["missed"][:20]:
            print(f"  missed: {miss}")
    return 0


def _agent_replies(settings: Settings, texts: list[str], model: Path | None, progress: bool = True) -> list:
    """Each message through ``Agent.respond`` in its own fresh session, on a copy of the store's database."""
    import tempfile

    from tqdm import tqdm

    from agent.router import KEYWORD_FALLBACK, Router
    from agent.scripts import isolated_agent

    with tempfile.TemporaryDirectory(prefix="aisle-eval-") as tmp:
        agent = isolated_agent(settings, Path(tmp))
        if model is not None:
            agent.router = Router(settings, model_dir=model, multilingual=agent.router.multilingual)
        agent.warm_up()
        replies = [
            agent.respond(f"eval-{i}", text)
            for i, text in enumerate(tqdm(texts, desc="agent replies", disable=not progress, unit="msg"))
        ]
        # the English router loads on its first English message; a multilingual router names its own version
        routed_by_a_model = bool(agent.router.loaded()) or any(
            r.model_version not in (None, "", "lexicon", KEYWORD_FALLBACK) for r in replies
        )
    if replies and not routed_by_a_model:
        # with no trained router every intent is the keyword fallback's: those figures are not the agent's
        raise StoreUnavailableError(f"no intent router in {settings.home}: run `aisle setup` (or `aisle train intents`) first")
    degraded = sum(1 for r in replies if r.degraded)
    if degraded:
        log.warning(
            "%d of %d agent replies were degraded (no catalog or help centre?): run `aisle setup`", degraded, len(replies)
        )
    return replies


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
