"""The same code against a real Chroma server (``chroma run`` on loopback) via HttpClient."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aisle.errors import StoreUnavailableError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(path: Path, port: int) -> subprocess.Popen:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("chroma server did not start")


def test_ingest_query_and_survive_a_server_restart(tmp_path: Path, embedders, demo_catalog_file: Path) -> None:
    from aisle.settings import Settings
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_faq, ingest_products

    port = _free_port()
    data = tmp_path / "server-data"
    proc = _start(data, port)
    try:
        s = Settings(home=tmp_path / "home")
        s = s.model_copy(update={"chroma": s.chroma.model_copy(update={"mode": "http", "port": port})})
        s.ensure_dirs()
        stack = build_stack(s, embedders)
        report = ingest_products(demo_catalog_file, s, stack.store, progress=False)
        ingest_faq(s.faq_file, s, stack.store)
        assert report.inserted == 51
        res = stack.retriever.search_products("analog watch for men", k=3)
        assert not res.degraded and "watch" in res.hits[0].product.title.lower()

        proc.kill()
        proc.wait(timeout=10)
        with pytest.raises(StoreUnavailableError, match="chroma run"):
            stack.store.count(s.chroma.products_collection)
        down = stack.retriever.search_products("analog watch", k=3)
        assert down.degraded and down.hits  # unfiltered: lexical-only while the server is down
        filtered = stack.retriever.search_products("analog watch for men", k=3)
        assert not filtered.degraded and filtered.hits  # selective filter: exact in-memory dense search still works

        proc = _start(data, port)
        deadline = time.time() + 30
        while True:
            try:
                back = stack.retriever.search_products("analog watch", k=3)
                if not back.degraded:
                    break
            except StoreUnavailableError:
                pass
            assert time.time() < deadline, "did not recover after the server came back"
            time.sleep(0.5)
        assert "watch" in back.hits[0].product.title.lower()
        assert stack.store.count(s.chroma.products_collection) == 51
    finally:
        proc.kill()
