"""Shared fixtures: an isolated AISLE_HOME per test, the real packaged model once per session,
and a real Chroma store holding the demo catalog and the packaged help centre."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aisle import offline

offline.apply()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``gpu`` tests skip (with the reason) where CUDA is not available, so ``pytest -m gpu`` is safe anywhere."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    import torch

    if not torch.cuda.is_available():
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason="needs CUDA (no GPU visible to torch)"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own AISLE_HOME and no AISLE_* overrides from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("AISLE_"):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("AISLE_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def settings(_isolated_home: Path):
    from aisle.settings import Settings

    s = Settings.load()
    s.ensure_dirs()
    return s


@pytest.fixture(scope="session")
def embedders():
    """One real all-MiniLM-L6-v2 (from its PyPI package) for the whole session."""
    from retrieval.embeddings import EmbedderCache

    return EmbedderCache()


@pytest.fixture(scope="session")
def demo_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from retrieval.catalog.demo import write_demo_catalog

    path = tmp_path_factory.mktemp("catalog") / "demo.jsonl"
    write_demo_catalog(path)
    return path


@pytest.fixture(scope="session")
def demo_stack(tmp_path_factory: pytest.TempPathFactory, embedders, demo_catalog_file: Path):
    """Retrieval stack over a real Chroma (temp dir) with the demo catalog and help centre ingested."""
    from aisle.settings import Settings
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_faq, ingest_products

    home = tmp_path_factory.mktemp("demo-home")
    s = Settings(home=home)
    s.ensure_dirs()
    stack = build_stack(s, embedders)
    ingest_products(demo_catalog_file, s, stack.store, progress=False)
    ingest_faq(s.faq_file, s, stack.store)
    return stack


@pytest.fixture(scope="session")
def store_settings(tmp_path_factory: pytest.TempPathFactory, embedders):
    """A complete demo store: Flipkart sample + help centre in a real Chroma, seed-7 demo orders in a real
    SQLite file, and a router fine-tuned on the packaged data (2 epochs, ~2 min on 2 cores).

    Set ``AISLE_TEST_ROUTER=/path/to/model`` to reuse an already trained router while developing.
    """
    import shutil

    from agent.demo import build_demo_orders
    from aisle.settings import PACKAGE_DATA, Settings
    from finetune.pipeline import train_router
    from finetune.registry import ModelRegistry
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_faq, ingest_products

    home = tmp_path_factory.mktemp("store-home")
    s = Settings(home=home)
    s.ensure_dirs()
    stack = build_stack(s, embedders)
    ingest_products(s.products_file, s, stack.store, progress=False)
    ingest_faq(s.faq_file, s, stack.store)
    build_demo_orders(s, seed=7)
    registry = ModelRegistry(s.intent_models_dir)
    cached = os.environ.get("AISLE_TEST_ROUTER")
    if cached:
        target = registry.new_version_dir()
        shutil.copytree(cached, target)
        registry.promote(target.name, reason="test cache")
    else:
        # the real recipe on a per-label capped subset (~half the examples) to keep CI fast
        data = PACKAGE_DATA / "intents"
        subset = home / "train-subset.jsonl"
        _capped_subset(data / "train.jsonl", subset, per_label=100)
        train_router(s, subset, data / "dev.jsonl", progress=False)
    return s


@pytest.fixture(scope="session")
def store_agent(store_settings, embedders):
    """One warmed-up agent over the demo store (shared: tests use their own session ids)."""
    from agent.agent import Agent
    from agent.db import Database
    from agent.router import Router
    from retrieval.factory import build_stack

    agent = Agent(
        store_settings, build_stack(store_settings, embedders), Router(store_settings), Database(store_settings.db_path)
    )
    agent.warm_up()
    return agent


def _capped_subset(src: Path, dst: Path, per_label: int) -> None:
    import json
    import random

    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(13).shuffle(rows)
    kept: dict[str, int] = {}
    with open(dst, "w", encoding="utf-8") as fh:
        for r in rows:
            if kept.get(r["intent"], 0) < per_label:
                kept[r["intent"]] = kept.get(r["intent"], 0) + 1
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
