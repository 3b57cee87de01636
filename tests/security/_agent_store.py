"""Helpers for the Agent-level security tests: a private copy of the demo store's order database.

Brute-force and vanished-store tests lock orders and delete files; they work on their own
copy of ``aisle.db`` (with the store's identity marker and secret) so the shared demo store
other suites use is never touched. Models and the catalog index are shared (read-only).
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from agent.agent import Agent
from agent.db import Database
from agent.privacy import SECRET_FILE
from agent.store_health import MARKER_FILE
from aisle.settings import Settings


def private_store(store_settings: Settings, tmp_path: Path, **agent_overrides: Any) -> Settings:
    """Settings whose home holds a consistent copy of the store's database (chroma/ and models/ linked)."""
    home = tmp_path / f"store-{uuid.uuid4().hex[:6]}"
    home.mkdir(parents=True)
    src, dst = sqlite3.connect(store_settings.db_path), sqlite3.connect(home / "aisle.db")
    with dst:
        src.backup(dst)
    with dst:  # the orders as they are, but no counters or attempts left by other suites on the shared store
        dst.execute("DELETE FROM security_counters")
        dst.execute("DELETE FROM actions")
    src.close()
    dst.close()
    for name in (MARKER_FILE, SECRET_FILE):
        if (store_settings.home / name).exists():
            shutil.copy(store_settings.home / name, home / name)
    for name in ("chroma", "models"):
        (home / name).symlink_to(store_settings.home / name, target_is_directory=True)
    return store_settings.model_copy(update={"home": home, "agent": store_settings.agent.model_copy(update=agent_overrides)})


def private_agent(store_agent: Agent, settings: Settings) -> Agent:
    """An agent over ``settings``' database, sharing the warmed-up models and catalog of ``store_agent``."""
    return Agent(settings, store_agent.stack, store_agent.router, Database(settings.db_path))


def some_orders(db: Database, n: int, offset: int = 0) -> list[tuple[str, str]]:
    rows = db.query("SELECT order_id, email FROM orders ORDER BY order_id LIMIT ? OFFSET ?", (n, offset))
    return [(r["order_id"], r["email"]) for r in rows]


def sid(prefix: str = "sec") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def revealed(reply: Any) -> bool:
    """Did the reply show or act on an order (status, refund, invoice, cancel, return, its items)?"""
    return reply.action is not None or bool(reply.products)


def evaluated_guesses(db: Database, order_id: str) -> int:
    """How many (id, e-mail) pairs were actually compared for ``order_id``."""
    return int(
        db.query(
            "SELECT COUNT(*) AS n FROM actions WHERE action = 'verify' AND outcome IN ('failed', 'ok') AND order_id = ?",
            (order_id,),
        )[0]["n"]
    )
