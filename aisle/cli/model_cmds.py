"""``aisle train intents``, ``aisle models list|promote``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.cli._common import print_json
from aisle.errors import InputError
from aisle.settings import PACKAGE_DATA
from finetune.classifier import APPROACHES

if TYPE_CHECKING:
    from aisle.settings import Settings

DEFAULT_INTENTS = PACKAGE_DATA / "intents"


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="fine-tune models")
    tsub = train.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = tsub.add_parser("intents", help="fine-tune the intent router")
    p.add_argument(
        "--data",
        default=str(DEFAULT_INTENTS),
        help="folder with train.jsonl + dev.jsonl, or a train JSONL (default: the packaged set)",
    )
    p.add_argument("--dev", help="dev JSONL (default: dev.jsonl beside --data)")
    p.add_argument("--out", help="output directory (default: a new version in the registry, promoted if it passes the gate)")
    p.add_argument("--weighting", choices=["none", "balanced", "importance"])
    p.add_argument(
        "--approach", choices=list(APPROACHES), help="router approach (default: intents.approach); see `aisle experiment router`"
    )
    p.add_argument(
        "--job-status", action="store_true", help="report progress in models/intents/training.json (what the staff console shows)"
    )
    p.add_argument("--epochs", type=int)
    p.add_argument("--base-model", help="local model path (default: packaged all-MiniLM-L6-v2)")
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--no-promote", action="store_true", help="register only; never change `current`")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_train_intents)

    exp = sub.add_parser("experiment", help="reproducible experiments (results under $AISLE_HOME/reports)")
    esub = exp.add_subparsers(dest="what", required=True, metavar="NAME")
    p = esub.add_parser("weighting", help="ablation: no weights vs class-balanced vs importance weights")
    p.add_argument("--data", default=str(DEFAULT_INTENTS))
    p.add_argument("--out", help="output folder (default: $AISLE_HOME/reports/weighting-ablation)")
    p.add_argument("--epochs", type=int)
    p.set_defaults(handler=_exp_weighting)
    p = esub.add_parser("clinc", help="CLINC150 external benchmark with the same training code")
    p.add_argument("--out", help="output folder (default: $AISLE_HOME/reports/clinc150)")
    p.add_argument("--epochs", type=int)
    p.set_defaults(handler=_exp_clinc)
    p = esub.add_parser(
        "router",
        help="compare router approaches (fine-tune, kNN/centroid/logistic heads, SetFit, ensembles) on dev, test and held-out sets",
    )
    p.add_argument("--data", default=str(DEFAULT_INTENTS), help="folder with train.jsonl, dev.jsonl and (optional) test.jsonl")
    p.add_argument(
        "--wild",
        action="append",
        default=None,
        metavar="FILE",
        help="extra held-out JSONL to score (repeatable; default: the packaged hand-written wild set)",
    )
    p.add_argument("--no-clinc", action="store_true", help="skip CLINC150 dev scored through its label map (OOS recall)")
    p.add_argument(
        "--approaches", help="comma-separated arms (default: all; see `aisle train intents --approach`, plus ensemble[a|b])"
    )
    p.add_argument("--out", help="results folder (default: $AISLE_HOME/reports/router-experiment)")
    p.add_argument("--models", help="where the arms' models go (default: <out>/models); reused when data and settings match")
    p.add_argument("--retrain", action="store_true", help="train every arm again even if a matching model exists")
    p.set_defaults(handler=_exp_router)
    p = esub.add_parser(
        "oos-rescue", help="calibrate the help-centre fallback for out-of-scope messages on dev (needs `aisle setup`)"
    )
    p.add_argument("--data", default=str(DEFAULT_INTENTS / "dev.jsonl"), help="dev JSONL of {text, intent} (never the wild set)")
    p.add_argument("--out", help="results JSON (default: $AISLE_HOME/reports/oos-rescue.json)")
    p.set_defaults(handler=_exp_oos_rescue)
    p = esub.add_parser("feedback-loop", help="simulated distribution shift: N feedback→retrain rounds, with ablations")
    p.add_argument("--data", default=str(DEFAULT_INTENTS))
    p.add_argument("--out", help="output folder (default: $AISLE_HOME/reports/feedback-loop)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--per-round", type=int, default=48)
    p.add_argument("--noise", type=float, default=0.1, help="share of wrong corrections")
    p.add_argument("--epochs", type=int, default=3)
    p.set_defaults(handler=_exp_feedback_loop)

    models = sub.add_parser("models", help="list or promote intent model versions")
    msub = models.add_subparsers(dest="what", required=True, metavar="ACTION")
    p = msub.add_parser("list", help="versions, their dev metrics, and which is current")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_models_list)
    p = msub.add_parser("promote", help="make VERSION current (instant rollback to any earlier version)")
    p.add_argument("version")
    p.set_defaults(handler=_models_promote)


def resolve_data(data: str, dev: str | None) -> tuple[Path, Path]:
    path = Path(data)
    if path.is_dir():
        train_file, dev_file = path / "train.jsonl", Path(dev) if dev else path / "dev.jsonl"
    else:
        train_file, dev_file = path, Path(dev) if dev else path.with_name("dev.jsonl")
    for f, what in ((train_file, "training"), (dev_file, "dev")):
        if not f.exists():
            raise InputError(f"{what} file not found: {f} (give --data FOLDER with train.jsonl and dev.jsonl, or --dev FILE)")
    return train_file, dev_file


def _train_intents(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.pipeline import job_status, train_router

    updates = {
        k: v
        for k, v in {
            "weighting": args.weighting,
            "epochs": args.epochs,
            "base_model": args.base_model,
            "seed": args.seed,
            "device": args.device,
            "approach": args.approach,
        }.items()
        if v is not None
    }
    cfg = settings.intents.model_copy(update=updates)
    cfg = type(cfg).model_validate(cfg.model_dump())
    train_file, dev_file = resolve_data(args.data, args.dev)
    settings.ensure_dirs()
    status = job_status(settings) if args.job_status else None
    summary = train_router(
        settings,
        train_file,
        dev_file,
        Path(args.out) if args.out else None,
        cfg,
        promote=not args.no_promote,
        progress=not args.json,
        status=status,
    )
    if args.json:
        print_json(summary)
        return 0
    m, t = summary["metrics"], summary["training"]
    print(f"model: {summary['model']}")
    epochs = f" ({t['epochs_run']} epochs, best {t['best_epoch']})" if "epochs_run" in t else ""
    print(
        f"  {summary['approach']}: trained {t.get('n_train', '?')} examples in {t['seconds']:.0f} s on {t.get('device', 'cpu')}{epochs}"
    )
    print(
        f"  dev: accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  in-scope acc {m['in_scope_accuracy']}  "
        f"OOS recall {m['oos_recall']}  OOS precision {m['oos_precision']}  ECE {m['ece']:.4f} (uncalibrated {m['ece_uncalibrated']:.4f})"
    )
    if "gate" in summary:
        print(
            f"  gate: {'PASSED' if summary['gate']['passed'] else 'REFUSED'}: {summary['gate']['reason']}; promoted: {summary['promoted']}"
        )
    return 0


def _models_list(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.registry import ModelRegistry

    reg = ModelRegistry(settings.intent_models_dir)
    cur = reg.current()
    rows = [
        {
            "version": v.name,
            "current": bool(cur and cur.name == v.name),
            "created_at": v.manifest.get("created_at"),
            "metrics": {k: v.metrics.get(k) for k in ("accuracy", "macro_f1", "oos_recall", "ece")},
            "weighting": v.manifest.get("training", {}).get("weighting"),
        }
        for v in reg.versions()
    ]
    if args.json:
        print_json({"versions": rows, "history": reg.history()})
        return 0
    if not rows:
        print(f"no intent models in {reg.root}; run `aisle setup` or `aisle train intents`")
    for r in rows:
        m = r["metrics"]
        print(
            f"{'*' if r['current'] else ' '} {r['version']}  acc {m['accuracy']}  macro-F1 {m['macro_f1']}  OOS recall {m['oos_recall']}  ECE {m['ece']}  ({r['weighting']})"
        )
    return 0


def _models_promote(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.registry import ModelRegistry

    v = ModelRegistry(settings.intent_models_dir).promote(args.version, reason="manual promote (CLI)")
    print(f"current → {v.name}")
    return 0


def _exp_weighting(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.experiments import weighting_ablation

    out = Path(args.out) if args.out else settings.reports_dir / "weighting-ablation"
    result = weighting_ablation(settings, Path(args.data), out, epochs=args.epochs)
    print((out / "results.md").read_text(encoding="utf-8"))
    print(f"results: {out / 'results.json'}")
    return 0 if result else 1


def _exp_clinc(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.experiments import clinc_benchmark

    out = Path(args.out) if args.out else settings.reports_dir / "clinc150"
    result = clinc_benchmark(settings, out, epochs=args.epochs)
    print_json({k: result[k] for k in ("metrics", "training", "reference", "targets")})
    return 0


def _exp_feedback_loop(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.simulation import run

    out = Path(args.out) if args.out else settings.reports_dir / "feedback-loop"
    data = Path(args.data)
    results = run(
        settings,
        data / "train.jsonl",
        data / "dev.jsonl",
        out,
        rounds=args.rounds,
        per_round=args.per_round,
        noise_rate=args.noise,
        epochs=args.epochs,
    )
    print(f"base: shifted {results['base']['shifted_accuracy']:.3f}, dev {results['base']['dev_accuracy']:.3f}")
    for arm, rows in results["arms"].items():
        last = rows[-1]
        caught = sum(r["noise_caught"] for r in rows[-1:])
        print(
            f"{arm:>16}: shifted {last['shifted_accuracy']:.3f}, dev {last['dev_accuracy']:.3f}, noise caught {caught}/{last['wrong_corrections_total']}, decisions {[r['decision'] for r in rows]}"
        )
    if "sabotage" in results:
        print(f"sabotage: {results['sabotage']['decision']} ({results['sabotage']['reason']})")
    print(f"results: {out / 'results.json'}")
    return 0


def _exp_router(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.router_experiment import label_mapped_examples, parse_arms, run_router_experiment
    from finetune.schema import load_examples

    arms = parse_arms(args.approaches)
    out = Path(args.out) if args.out else settings.reports_dir / "router-experiment"
    models = Path(args.models) if args.models else out / "models"
    wild = (
        [Path(w) for w in args.wild]
        if args.wild is not None
        else [p for p in [PACKAGE_DATA / "eval" / "wild" / "en.jsonl"] if p.exists()]
    )
    extra = {}
    for path in wild:
        if not path.exists():
            raise InputError(f"held-out set not found: {path}")
        extra[f"wild:{path.stem}" if path.parent.name == "wild" else path.stem] = load_examples(path, strict_fields=False)
    if not args.no_clinc:
        clinc_dev = settings.source_file("clinc150/dev.jsonl")
        extra["clinc150-dev"] = label_mapped_examples(clinc_dev, "clinc150")
    settings.ensure_dirs()
    run_router_experiment(settings, Path(args.data), out, models, arms, extra, retrain=args.retrain)
    print((out / "results.md").read_text(encoding="utf-8"))
    print(f"results: {out / 'results.json'}")
    return 0


def _exp_oos_rescue(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from agent import slots
    from agent.handlers.base import CatalogView
    from agent.handlers.rescue import (
        calibrate_catalog_rescue,
        calibrate_clarify_gate,
        calibrate_rescue,
        faq_matches,
        oos_probability,
    )
    from agent.router import Router
    from aisle.cli._common import stack
    from finetune.schema import load_examples

    loaded = load_examples(Path(args.data), strict_fields=False)
    golds = [ex.intent for ex in loaded]
    oos = settings.intents.oos_label
    retriever = stack(settings).retriever
    matches = faq_matches(retriever, [ex.text for ex in loaded])
    result: dict = {"data": args.data, **calibrate_rescue(matches, golds, oos)}
    # how the promoted router sees dev: the question gate and the catalog rescue depend on its probabilities
    router, catalog = Router(settings), CatalogView(retriever)
    extracted = [slots.extract(ex.text, catalog.vocabulary()) for ex in loaded]
    preds = [r.prediction for r in router.route_messages([ex.text for ex in loaded], extracted)]
    answer, clarify = result["answer_score"], result["clarify_score"]
    gate_cases = [
        (oos_probability(p.alternatives or p.top_k, oos), g)
        for p, (score, _), g in zip(preds, matches, golds)
        if p.is_oos and clarify <= score < answer
    ]
    routed_oos_answered = sum(p.is_oos and score >= answer and g == oos for p, (score, _), g in zip(preds, matches, golds))
    result["clarify_gate"] = calibrate_clarify_gate(gate_cases, sum(g == oos for g in golds), routed_oos_answered, oos)
    cases = [
        (p.alternatives or p.top_k, g)
        for g, s, p in zip(golds, extracted, preds)
        if (p.is_oos or p.confidence < settings.agent.clarify_threshold) and catalog.names_catalog_items(s.query_text)
    ]
    result["catalog_rescue"] = calibrate_catalog_rescue(cases, oos)
    result["router"] = router.loaded()
    out = Path(args.out) if args.out else settings.reports_dir / "oos-rescue.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print_json(result)
    return 0
