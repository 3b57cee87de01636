"""Bad input & abuse corpus, missing collections, a full disk."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from agent.abuse import run_corpus
from agent.agent import Agent
from agent.db import Database
from agent.router import Router
from aisle.settings import PACKAGE_DATA


def test_abuse_corpus(store_agent: Agent, store_settings, tmp_path: Path) -> None:
    corpus = PACKAGE_DATA / "abuse" / "corpus.jsonl"
    # on a copy of the order database: the corpus's wrong guesses lock the orders it attacks (ORD-17004…),
    # across sessions, as they should; other suites use those orders on the shared store
    from tests.security._agent_store import private_agent, private_store

    result = run_corpus(private_agent(store_agent, private_store(store_settings, tmp_path)), corpus)
    assert result["n"] >= 200
    assert result["failures"] == [], json.dumps(result["failures"][:10], indent=1, ensure_ascii=False)


def _copy_store(store_settings, tmp_path: Path):
    home = tmp_path / "copy"
    shutil.copytree(store_settings.home, home, symlinks=True, ignore=shutil.ignore_patterns("*.db-wal", "*.db-shm"))
    return store_settings.with_home(home)


def test_missing_collection_degrades_to_lexical_search(store_settings, embedders, tmp_path: Path) -> None:
    from retrieval.factory import build_stack

    s = _copy_store(store_settings, tmp_path)
    stack = build_stack(s, embedders)
    stack.store.drop(s.chroma.products_collection)
    agent = Agent(s, stack, Router(s), Database(s.db_path))
    r = agent.respond(f"h-{uuid.uuid4().hex[:6]}", "analog watch for men")
    assert r.degraded and r.products and "reduced mode" in r.text
    shutil.rmtree(s.home / "cache")  # and without the local snapshot: a clear reply, no crash
    bare = Agent(s, build_stack(s, embedders), Router(s), Database(s.db_path))
    r = bare.respond(f"h-{uuid.uuid4().hex[:6]}", "red women's sandals under 500")
    assert r.degraded and r.text and not r.products


def test_full_disk_still_answers(store_settings, embedders, tmp_path: Path) -> None:
    from retrieval.factory import build_stack

    s = _copy_store(store_settings, tmp_path)
    agent = Agent(s, build_stack(s, embedders), Router(s), Database(s.db_path))
    sid = f"h-{uuid.uuid4().hex[:6]}"
    ok = agent.respond(sid, "hello")
    assert ok.turn_id > 0
    _fill_disk(agent.db.conn)
    for text in ["how long does delivery take?", "x" * 50_000]:
        r = agent.respond(sid, text)
        assert r.text and r.degraded and r.turn_id == 0
    assert agent.db.integrity_check() == "ok"


def _fill_disk(conn) -> None:
    """Make the database genuinely full: cap its size just above the current one, then pad the turns table until SQLITE_FULL."""
    import sqlite3

    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 4}")
    conn.execute("INSERT OR IGNORE INTO sessions VALUES ('pad', 'x', 'x', '{}')")
    for size in (1500, 400, 100, 10, 1):  # ever smaller rows until not even a byte fits
        try:
            while True:
                conn.execute(
                    "INSERT INTO turns(session_id, idx, created_at, user_text, reply_text, intent, confidence) VALUES ('pad', 0, 'x', ?, '', 'pad', 0)",
                    ("p" * size,),
                )
        except sqlite3.OperationalError as exc:
            assert "full" in str(exc)
