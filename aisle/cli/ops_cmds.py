"""The learning loop (``aisle feedback …``, ``aisle retrain``, ``aisle experiment feedback-loop``) and ``aisle bench``."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.cli._common import print_json
from aisle.errors import AisleError
from aisle.settings import PACKAGE_DATA

if TYPE_CHECKING:
    from aisle.settings import Settings

REVIEW_KEYS = "[a]ccept  [1-3] relabel as option  [l]abel…  [x] reject  [s]kip  [q]uit"


def register(sub: argparse._SubParsersAction) -> None:
    fb = sub.add_parser("feedback", help="export feedback as training candidates, review them")
    fsub = fb.add_subparsers(dest="what", required=True, metavar="ACTION")
    p = fsub.add_parser("export", help="turn logged feedback/handoffs into candidates (JSONL with provenance)")
    p.add_argument("--since", default="", help="ISO date/time (default: everything)")
    p.add_argument("--out", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_export)
    p = fsub.add_parser("review", help="accept / relabel / reject pending candidates (keyboard driven)")
    p.add_argument("--list", action="store_true", help="only list pending items")
    p.add_argument("--reviewer", help="recorded as the reviewer of every decision (default: cli:<your OS user>)")
    p.set_defaults(handler=_review)

    p = sub.add_parser("retrain", help="merge reviewed feedback, fine-tune, and promote only if the gate passes")
    p.add_argument(
        "--data", default=str(PACKAGE_DATA / "intents"), help="folder with the base train.jsonl and the fixed dev.jsonl"
    )
    p.add_argument("--no-promote", action="store_true")
    p.add_argument("--no-noise-filter", action="store_true")
    p.add_argument("--no-feedback-weighting", action="store_true")
    p.add_argument("--epochs", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_retrain)

    from aisle.cli import bench_cmds

    bench_cmds.register(sub)


def _db(settings: Settings):
    from agent.db import Database

    return Database(settings.db_path)


def _secret(settings: Settings):
    from agent.privacy import StoreSecret

    return StoreSecret.load_or_create(settings.home)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from agent.learning import export

    result = export(_db(settings), _secret(settings), Path(args.out), args.since)
    print_json(result) if args.json else print(
        f"{result['written']} candidates written to {args.out} ({result['new_items']} new; {result['by_status']})"
    )
    return 0


def _review(args: argparse.Namespace, settings: Settings) -> int:
    from agent.learning import candidates, review
    from agent.router import Router

    db = _db(settings)
    pending = candidates(db, "pending")
    if args.list or not pending:
        for c in pending:
            print(f"#{c.item_id} [{c.reason}] {c.text!r} (served as {c.predicted})")
        if not pending:
            print("nothing to review")
        return 0
    router = Router(settings)
    labels = router.labels
    reviewer = args.reviewer or f"cli:{getpass.getuser()}"
    print(f"{len(pending)} items to review as {reviewer}. {REVIEW_KEYS}")
    for c in pending:
        top = router.route(c.text).prediction.top_k
        print(
            f"\n#{c.item_id} [{c.reason}] {c.text!r}\n  served as: {c.predicted}   current model: "
            + "  ".join(f"{i}) {lbl} {p:.2f}" for i, (lbl, p) in enumerate(top, 1))
        )
        while True:
            key = input("> ").strip()
            try:
                if key == "q":
                    return 0
                if key == "s":
                    break
                if key == "x":
                    review(db, c.item_id, "reject", reviewer=reviewer)
                elif key == "a":
                    review(db, c.item_id, "accept", c.label or top[0][0], labels, reviewer=reviewer)
                elif key in ("1", "2", "3") and int(key) <= len(top):
                    review(db, c.item_id, "relabel", top[int(key) - 1][0], labels, reviewer=reviewer)
                elif key == "l":
                    review(db, c.item_id, "relabel", input("label: ").strip(), labels, reviewer=reviewer)
                else:
                    print(REVIEW_KEYS)
                    continue
                break
            except AisleError as exc:  # a typo'd label must not end the session
                print(f"not saved: {exc}")
    return 0


def _retrain(args: argparse.Namespace, settings: Settings) -> int:
    from agent.learning import accepted_examples, collect
    from finetune.feedback_loop import LoopConfig, retrain

    db = _db(settings)
    collect(db, _secret(settings))
    rows = accepted_examples(db)
    data = Path(args.data)
    cfg = LoopConfig(noise_filter=not args.no_noise_filter, feedback_weighting=not args.no_feedback_weighting)
    intents = settings.intents.model_copy(update={"epochs": args.epochs}) if args.epochs else None
    settings.ensure_dirs()
    report = retrain(
        settings,
        data / "train.jsonl",
        data / "dev.jsonl",
        rows,
        cfg,
        intents,
        promote=not args.no_promote,
        progress=not args.json,
    )
    if args.json:
        print_json(report)
    else:
        d = report["data"]
        print(f"{report['candidate']}: {report['decision'].upper()} ({report['gate']['reason']})")
        print(
            f"  feedback: {d['feedback_offered']} offered, {d['feedback_added']} added, {d['feedback_held_back']} held back, "
            f"{d['feedback_rejected_noise']} rejected as likely noise"
        )
        print("  report: " + ", ".join(report.get("report_files", [])))
    return 0
