"""Preparing a store: glue between the catalog (retrieval) and the training scripts (finetune).

Time to first chat: ``aisle setup`` promotes a router that trains in seconds (embedding heads
over the frozen packaged encoder, ``intents.fast_approach``), so ``make chat`` serves about a
minute after install. When the configured approach (``intents.approach``) is a slower one,
it is trained afterwards in a background process (niced, logged to
``logs/router-training.log``) that goes through the same promotion gate; the running agent
picks the new version up on its next turn (the router re-resolves ``current`` every turn).
``agent.router.router_status`` shows the state of that run.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from finetune.schema import CatalogFacts

if TYPE_CHECKING:
    from aisle.settings import Settings
    from finetune.pipeline import JobStatus

log = logging.getLogger(__name__)
TRAINING_LOG = "router-training.log"
AISLE_CLI = (
    "import sys; from aisle.cli import main; sys.exit(main(sys.argv[1:]))"  # `aisle …` with this interpreter, whatever PATH says
)


def catalog_facts(settings: Settings, catalog_file: Path | None = None) -> CatalogFacts:
    """Real values from the catalog for the shopping-intent generator.

    Category names are the shopper-facing nodes of the tree (short, no digits, not brand
    collections); brands are those with at least two products.
    """
    from retrieval.ingest import read_catalog

    products = read_catalog(catalog_file or settings.products_file).products
    cats: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    colors: Counter[str] = Counter()
    for p in products:
        for node in p.category_path[1:]:
            node = node.lower()
            if len(node.split()) <= 3 and not re.search(r"\d", node) and (not p.brand or p.brand not in node):
                cats[node.replace(" & ", " and ")] += 1
        if p.brand and len(p.brand.split()) <= 2:
            brands[p.brand] += 1
        colors.update(c for c in p.colors if c != "multicolor")
    return CatalogFacts(
        categories=sorted(c for c, n in cats.items() if n >= 2),
        brands=sorted(b for b, n in brands.items() if n >= 2),
        colors=sorted(colors),
        titles=sorted({p.title for p in products if len(p.title) < 80}),
        prices=sorted(p.price for p in products if p.price),
    )


def prepare_demo_store(settings: Settings, force: bool = False, train: bool = True, background: bool = False) -> Iterator[str]:
    """Make a fresh machine chat-ready; yields one progress line per step (idempotent).

    1. catalog → Chroma (the public Flipkart sample, or the ~50-product demo catalog);
    2. help centre → Chroma; 3. deterministic demo orders → SQLite;
    4. a fast intent router (seconds), trained on the packaged data and promoted, if none is current;
    5. ``finish_setup``: the multilingual router and the configured (slower) router approach, in a
       background process with ``background`` (the chat answers meanwhile), else right here.
    """
    from agent.demo import build_demo_orders
    from agent.orders import OrderStore
    from aisle.settings import PACKAGE_DATA
    from finetune.pipeline import train_router
    from finetune.registry import ModelRegistry
    from retrieval.catalog.demo import write_demo_catalog
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_faq, ingest_products

    settings.ensure_dirs()
    stack = build_stack(settings)
    store = stack.store
    products = settings.products_file
    if not products.exists():
        products = settings.home / "data" / "demo-catalog.jsonl"
        write_demo_catalog(products)
        yield f"no public catalog found; using the built-in demo catalog ({products})"
    name = settings.chroma.products_collection
    ml = settings.multilingual
    ml_missing = stack.ml_store is not None and ml.catalog_vectors and not stack.ml_store.has_collection(ml.products_collection)
    if (
        force or not store.has_collection(name) or store.count(name) == 0 or ml_missing
    ):  # a store from before the multilingual collection: only that is embedded
        yield f"ingesting products from {products} …"
        report = ingest_products(products, settings, store)
        yield f"products: {report.kept} kept, {report.rejected} rejected, {report.fixed} repaired ({report.elapsed_s:.0f} s)"
    else:
        yield f"products: {store.count(name)} already in {store.describe()}"
    faq = settings.chroma.faq_collection
    if force or not store.has_collection(faq) or store.count(faq) == 0:
        report = ingest_faq(settings.faq_file, settings, store)
        yield f"help centre: {report.kept} articles ingested"
    else:
        yield f"help centre: {store.count(faq)} articles already ingested"
    stack.retriever.refresh()
    if force or OrderStore(settings).count() == 0:
        demo = build_demo_orders(settings, seed=7)
        yield f"demo orders: {demo['orders']} orders for {demo['customers']} customers (try {demo['sample']})"
    else:
        yield f"orders: {OrderStore(settings).count()} already in {settings.db_path}"
    registry = ModelRegistry(settings.intent_models_dir)
    data = PACKAGE_DATA / "intents"
    if train and (force or registry.current() is None):
        fast = settings.intents.fast_approach
        yield f"training a fast intent router ({fast} over frozen sentence embeddings, well under a minute) …"
        cfg = settings.intents.model_copy(update={"approach": fast})
        summary = train_router(settings, data / "train.jsonl", data / "dev.jsonl", cfg=cfg, promote=True, progress=False)
        m = summary["metrics"]
        yield (
            f"router {Path(summary['model']).name} ({fast}, {summary['training']['seconds']:.0f} s): dev accuracy {m['accuracy']}, "
            f"macro-F1 {m['macro_f1']}, OOS recall {m['oos_recall']} (promoted: {summary.get('promoted')})"
        )
    elif registry.current() is not None:
        yield f"intent router: {registry.current().name} is current"
    if train and background and settings.intents.background_training:
        pid = start_background_training(settings, force=force)
        if pid is not None:
            yield (
                f"finishing in the background (pid {pid}, log {settings.logs_dir / TRAINING_LOG}): {', '.join(deferred_work(settings, force))}; "
                "the chat works meanwhile, and a new router replaces the fast one only if the promotion gate passes"
            )
    elif train:
        yield from finish_setup(settings, force=force)
    yield "ready."


def deferred_work(settings: Settings, force: bool = False) -> list[str]:
    """What ``finish_setup`` would do now: the slow parts the chat does not wait for."""
    from agent.router import router_status

    todo = []
    if settings.multilingual.enabled:
        from agent.multilingual_router import MultilingualRouter

        if force or not MultilingualRouter(settings).trained:
            todo.append("the multilingual router")
    state = router_status(settings)
    previous = state.training
    done_before = previous.get("state") == "done" and previous.get("approach") == settings.intents.approach
    if state.approach != settings.intents.approach and not done_before:
        todo.append(f"the {settings.intents.approach} intent router")
    return todo


def finish_setup(settings: Settings, force: bool = False, status: JobStatus | None = None) -> Iterator[str]:
    """The slow part of setup (``aisle setup`` runs it in a background process): the multilingual router for
    non-English messages, then the configured English router approach through the promotion gate.

    Until they exist the agent routes non-English messages by rules and English ones with the fast router.
    """
    from aisle.settings import PACKAGE_DATA
    from finetune.pipeline import train_router

    todo = deferred_work(settings, force)
    if status is not None:
        status.update(state="running", phase="starting", pending=todo, pid=os.getpid(), finished_at=None, error=None)
    if settings.multilingual.enabled and any("multilingual" in t for t in todo):
        from agent.multilingual_router import MultilingualRouter

        if status is not None:
            status.update(phase="multilingual router")
        yield "training the multilingual router for non-English messages (about a minute) …"
        try:
            manifest = MultilingualRouter(settings).train(progress=False)
        except Exception as exc:
            if status is not None:
                status.update(
                    state="failed",
                    error=f"multilingual router: {type(exc).__name__}: {exc}",
                    finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            raise
        m = manifest["dev_metrics_zh"]
        yield (
            f"multilingual router {manifest['version']} ({manifest['training']['seconds']:.0f} s): Chinese dev accuracy {m['accuracy']}, "
            f"OOS recall {m['oos_recall']}"
        )
    approach = settings.intents.approach
    if any(t.endswith("intent router") for t in todo):
        if status is not None:
            status.update(phase=f"{approach} intent router")
        yield f"training the {approach} intent router (minutes on 2 CPU cores) …"
        data = PACKAGE_DATA / "intents"
        summary = train_router(settings, data / "train.jsonl", data / "dev.jsonl", promote=True, progress=False, status=status)
        m = summary["metrics"]
        yield (
            f"router {Path(summary['model']).name} ({approach}, {summary['training']['seconds']:.0f} s): dev accuracy {m['accuracy']}, "
            f"macro-F1 {m['macro_f1']}; gate: {summary.get('gate', {}).get('reason')} (promoted: {summary.get('promoted')})"
        )
    elif status is not None:
        status.update(state="done", phase="nothing to train", finished_at=datetime.now(UTC).isoformat(timespec="seconds"))


def start_background_training(settings: Settings, force: bool = False) -> int | None:
    """Run ``finish_setup`` in a detached, niced process (``aisle setup --finish``), unless there is nothing
    to do or a run is already in progress. Returns the process id, or None."""
    from agent.router import router_status
    from finetune.pipeline import job_status

    if not deferred_work(settings, force) or router_status(settings).training.get("state") == "running":
        return None
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", AISLE_CLI, "--home", str(settings.home), "setup", "--finish"] + (["--force"] if force else [])
    status = job_status(settings)
    status.update(
        state="running",
        approach=settings.intents.approach,
        phase="starting",
        pid=None,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        finished_at=None,
        error=None,
        result=None,
        log=str(settings.logs_dir / TRAINING_LOG),
    )
    with open(settings.logs_dir / TRAINING_LOG, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_lower_priority,  # noqa: PLW1509 - only os.nice(), called before any thread starts in the child
        )
    status.update(pid=proc.pid)
    log.info("background setup started (pid %d): %s", proc.pid, deferred_work(settings, force))
    return proc.pid


def _lower_priority() -> None:
    os.nice(10)  # the chat keeps the CPU it needs; training takes what is left
