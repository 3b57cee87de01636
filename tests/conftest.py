"""Shared fixtures: an isolated AISLE_HOME per test, the real packaged model once per session,
and a real Chroma store holding the demo catalog and the packaged help centre."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aisle import offline

offline.apply()


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
