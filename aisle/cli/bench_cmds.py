"""``aisle bench embed|ingest|turn|query|all``: JSON results under ``bench/results/``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.cli._common import print_json

if TYPE_CHECKING:
    from aisle.settings import Settings

RESULTS = Path("bench") / "results"


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("bench", help="speed and memory benchmarks (results as JSON, figures as ratios to a baseline)")
    bsub = b.add_subparsers(dest="what", required=True, metavar="WHAT")
    specs = {
        "embed": "texts/s: sentence-transformers' default encode vs aisle's bucketed encoder (CPU; GPU when present)",
        "ingest": "end-to-end products/s (read → clean → embed → Chroma) at several catalog sizes",
        "turn": "agent turn latency p50/p95/p99 over a fixed script mix",
        "query": "Chroma filtered query latency vs collection size (synthetic vectors)",
        "intents": "router inference latency per message (fp32 vs dynamic int8)",
        "load": "10/50/200 concurrent shoppers: in-process vs JSON API vs widget on loopback (throughput, p50/p95/p99, errors, isolation)",
        "all": "every benchmark with its default sizes",
    }
    for name, help_text in specs.items():
        p = bsub.add_parser(name, help=help_text)
        p.add_argument("--out", default=str(RESULTS), help="folder for the JSON result")
        p.add_argument("--sizes", help="comma-separated sizes (catalog/collection/text counts)")
        p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        p.add_argument("--quick", action="store_true", help="small sizes (for CI smoke runs)")
        p.set_defaults(handler=_bench, bench=name)


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from aisle.tools import benchmarks

    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else None
    names = ["embed", "ingest", "query", "intents", "turn", "load"] if args.bench == "all" else [args.bench]
    for name in names:
        result = benchmarks.run(name, settings, Path(args.out), sizes=sizes, device=args.device, quick=args.quick)
        print_json(result)
    return 0
