"""``aisle ingest …``, ``aisle search``, ``aisle data …``, ``aisle demo-data``, ``aisle setup``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.cli._common import money, print_json, stack
from aisle.errors import InputError

if TYPE_CHECKING:
    from aisle.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    ingest = sub.add_parser("ingest", help="load products, FAQ entries or orders")
    isub = ingest.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = isub.add_parser("products", help="ingest a catalog (Flipkart CSV, or aisle JSONL/CSV)")
    p.add_argument("file", nargs="?", help="catalog file (default: the configured products source)")
    p.add_argument("--prune", action="store_true", help="remove products that are not in the file")
    p.add_argument("--json", action="store_true", help="print the data-quality report as JSON")
    p.set_defaults(handler=_ingest_products)
    p = isub.add_parser("faq", help="ingest the help-centre knowledge base (JSONL)")
    p.add_argument("file", nargs="?", help="FAQ JSONL (default: the packaged help centre)")
    p.add_argument("--keep-missing", action="store_true", help="keep entries that are not in the file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_ingest_faq)
    p = isub.add_parser("orders", help="load orders (JSONL) into the SQLite order store")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_ingest_orders)

    p = sub.add_parser("search", help="search the catalog")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    p.add_argument("--filters", help='JSON, e.g. \'{"max_price": 500, "colors": ["red"]}\'')
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_search)

    p = sub.add_parser("demo-data", help="generate deterministic demo customers and orders")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--out", help="also write the orders as JSONL here")
    p.add_argument("--catalog-out", help="write the ~50-product fictional demo catalog (aisle JSONL) here and exit")
    p.set_defaults(handler=_demo_data)

    data = sub.add_parser("data", help="assemble training data")
    dsub = data.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = dsub.add_parser(
        "intents",
        help="build the store router's train/dev/test sets from the sources (split by template family, train style-augmented)",
    )
    p.add_argument("--out", default=None, help="output folder (default: $AISLE_HOME/data/intents)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_data_intents)

    p = sub.add_parser("setup", help="prepare the demo store: ingest catalog + FAQ, demo orders, train a router if none")
    p.add_argument("--force", action="store_true", help="re-ingest and retrain even if present")
    p.add_argument(
        "--no-background",
        action="store_true",
        help="train the multilingual router and the configured (slower) router approach here, not in a background process",
    )
    p.add_argument("--finish", action="store_true", help="only the slow part (what the background process of `aisle setup` runs)")
    p.set_defaults(handler=_setup)


def _ingest_products(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.ingest import ingest_products

    path = Path(args.file) if args.file else settings.products_file
    report = ingest_products(path, settings, stack(settings).store, prune=args.prune, progress=not args.json)
    print_json(report.to_dict()) if args.json else print(report.to_text())
    return 0


def _ingest_faq(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.ingest import ingest_faq

    path = Path(args.file) if args.file else settings.faq_file
    report = ingest_faq(path, settings, stack(settings).store, prune=not args.keep_missing)
    print_json(report.to_dict()) if args.json else print(report.to_text())
    return 0


def _ingest_orders(args: argparse.Namespace, settings: Settings) -> int:
    from agent.orders import OrderStore

    report = OrderStore(settings).ingest(Path(args.file))
    print_json(report) if args.json else print(
        f"orders: read {report['rows_read']}, loaded {report['loaded']} (new {report['inserted']}, updated {report['updated']}), "
        f"rejected {report['rejected']}" + "".join(f"\n  {r}" for r in report["rejections"][:10])
    )
    return 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.schema import SearchFilters

    filters = None
    if args.filters:
        try:
            filters = SearchFilters.from_dict(json.loads(args.filters))
        except json.JSONDecodeError as exc:
            raise InputError(f"--filters is not valid JSON: {exc}") from None
    result = stack(settings).retriever.search_products(args.query, filters, k=args.k, mode=args.mode)
    if args.json:
        print_json(
            {
                "query": result.query.text,
                "filters": result.query.filters.to_dict(),
                "degraded": result.degraded,
                "results": [
                    {
                        "id": h.product.id,
                        "title": h.product.title,
                        "price": h.product.price,
                        "currency": h.product.currency,
                        "brand": h.product.brand,
                        "category": h.product.category,
                        "score": round(h.score, 5),
                        "why": h.why.sentence(),
                    }
                    for h in result.hits
                ],
            }
        )
        return 0
    understood = ", ".join(result.query.filters.describe())
    print(
        f"Results for {result.query.text!r}"
        + (f" ({understood})" if understood else "")
        + (" [lexical only: vector store unavailable]" if result.degraded else "")
    )
    if not result.hits:
        print("  no matches")
    for i, h in enumerate(result.hits, 1):
        p = h.product
        print(f"{i:>3}. {money(p.price, p.currency):>10}  {p.title}  [{p.category or 'uncategorised'}]")
        print(f"     id {p.id} · {h.why.sentence()}")
    return 0


def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    if args.catalog_out:
        from retrieval.catalog.demo import write_demo_catalog

        n = write_demo_catalog(Path(args.catalog_out))
        print(f"wrote {n} demo products to {args.catalog_out}")
        return 0
    from agent.demo import build_demo_orders

    report = build_demo_orders(settings, seed=args.seed, customers=args.customers, out=Path(args.out) if args.out else None)
    print(
        f"demo data (seed {args.seed}): {report['customers']} customers, {report['orders']} orders loaded into {settings.db_path}"
    )
    if report.get("sample"):
        print("try: " + report["sample"])
    return 0


def _data_intents(args: argparse.Namespace, settings: Settings) -> int:
    from agent.setup import catalog_facts
    from finetune.dataset import build_intent_dataset

    out = Path(args.out) if args.out else settings.home / "data" / "intents"
    summary = build_intent_dataset(settings, out, catalog_facts(settings), seed=args.seed)
    print_json(summary) if args.json else print(summary["text"])
    return 0


def _setup(args: argparse.Namespace, settings: Settings) -> int:
    from agent.setup import prepare_demo_store

    if args.finish:
        from agent.setup import finish_setup
        from finetune.pipeline import job_status

        for line in finish_setup(settings, force=args.force, status=job_status(settings)):
            print(line, flush=True)
        return 0
    for line in prepare_demo_store(settings, force=args.force, background=not args.no_background):
        print(line)
    return 0
