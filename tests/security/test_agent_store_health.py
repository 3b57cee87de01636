"""A store that vanished is an alarm: the identity marker, and what ``store_health`` reports (real SQLite, no model).

The dialogue-level behaviour (degraded answer, no failed attempt counted) is tested through
``Agent.respond`` in ``test_agent_conversations.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from agent.db import Database
from agent.orders import OrderStore, validate_order
from agent.store_health import MARKER_FILE, StoreGuard, store_health
from aisle.settings import Settings


@pytest.fixture
def store(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home")
    s.ensure_dirs()
    order = {
        "order_id": "ORD-40001",
        "email": "a@example.com",
        "name": "A",
        "status": "pending",
        "items": [{"product_id": "P", "qty": 1, "price": 1}],
    }
    OrderStore(s, Database(s.db_path)).upsert([validate_order(order)])
    return s


@pytest.mark.unit
def test_loading_orders_marks_the_store(store: Settings) -> None:
    marker = json.loads((store.home / MARKER_FILE).read_text())
    assert marker["has_orders"] and len(marker["store_id"]) == 32
    assert store_health(store).ok


@pytest.mark.unit
def test_a_deleted_store_is_missing_and_not_recreated(store: Settings) -> None:
    os.remove(store.db_path)
    h = store_health(store)
    assert not h.ok and h.problem == "missing" and "backup" in h.detail
    assert not store.db_path.exists()  # checking never creates an empty file


@pytest.mark.unit
def test_a_fresh_empty_file_is_a_replaced_store(store: Settings) -> None:
    os.remove(store.db_path)
    Database(store.db_path).migrate()  # what a new connection would silently create
    h = store_health(store)
    assert not h.ok and h.problem == "replaced"


@pytest.mark.unit
def test_another_stores_file_is_a_replaced_store(store: Settings, tmp_path: Path) -> None:
    other = Settings(home=tmp_path / "other")
    other.ensure_dirs()
    order = {
        "order_id": "ORD-40009",
        "email": "b@example.com",
        "name": "B",
        "status": "pending",
        "items": [{"product_id": "P", "qty": 1, "price": 1}],
    }
    OrderStore(other, Database(other.db_path)).upsert([validate_order(order)])
    for s in (other, store):  # a consistent file copy: everything checkpointed, no stale -wal beside it
        with sqlite3.connect(s.db_path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{store.db_path}{suffix}").unlink(missing_ok=True)
    shutil.copy(other.db_path, store.db_path)
    assert store_health(store).problem == "replaced"


@pytest.mark.unit
def test_a_store_that_lost_its_orders_is_emptied(store: Settings) -> None:
    db = Database(store.db_path)
    with db.transaction() as cur:
        cur.execute("DELETE FROM orders")
    h = store_health(store)
    assert not h.ok and h.problem == "emptied"


@pytest.mark.unit
def test_a_file_swapped_while_serving_is_noticed_and_logged(store: Settings, caplog: pytest.LogCaptureFixture) -> None:
    guard = StoreGuard(store, Database(store.db_path))
    assert guard.check().ok
    copy = store.db_path.with_suffix(".copy")
    shutil.copy(store.db_path, copy)
    os.replace(copy, store.db_path)  # same identity, same orders, but not the file the server opened
    with caplog.at_level("ERROR"):
        h = guard.check()
        guard.check()
    assert h.problem == "replaced"
    assert caplog.text.count("ORDER STORE ALARM") == 1  # loud, but once a minute, not once a message


@pytest.mark.unit
def test_an_old_store_without_a_marker_is_adopted(store: Settings) -> None:
    (store.home / MARKER_FILE).unlink()
    guard = StoreGuard(store, Database(store.db_path))
    guard.adopt()
    assert (store.home / MARKER_FILE).exists() and guard.check().ok


# --- through Agent.respond --------------------------------------------------------------------------
def _backup(settings: Settings) -> Path:
    backup = settings.home / "backup.db"
    src, dst = sqlite3.connect(settings.db_path), sqlite3.connect(backup)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return backup


def _remove_db(settings: Settings) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)


def test_a_store_vanished_while_serving_answers_degraded_and_counts_nothing(
    store_agent, store_settings, tmp_path, caplog
) -> None:
    from tests.security._agent_store import evaluated_guesses, private_agent, private_store, revealed, sid, some_orders

    settings = private_store(store_settings, tmp_path)
    agent = private_agent(store_agent, settings)
    (oid, email), (other, other_email) = some_orders(agent.db, 2, 20)
    assert revealed(agent.respond(sid("v"), f"where is {other}? my email is {other_email}"))  # serving normally
    backup = _backup(settings)
    _remove_db(settings)
    with caplog.at_level("ERROR"):
        r = agent.respond(sid("v"), f"where is {oid}? my email is {email}")  # a real owner, right details
    assert not revealed(r) and "don't match" not in r.text and "can't look up orders" in r.text
    assert r.degraded and "Talk to a person" in r.suggestions
    assert "ORDER STORE ALARM" in caplog.text
    assert store_health(settings).problem in ("missing", "replaced")
    # the miss was not counted: once the file is back, the owner gets in at once
    _remove_db(settings)
    shutil.copy(backup, settings.db_path)
    restored = private_agent(store_agent, settings)
    assert revealed(restored.respond(sid("v"), f"where is {oid}? my email is {email}"))
    assert evaluated_guesses(restored.db, oid) == 1


def test_a_store_that_lost_its_orders_before_start_is_an_alarm(store_agent, store_settings, tmp_path) -> None:
    from tests.security._agent_store import private_agent, private_store, revealed, sid, some_orders

    settings = private_store(store_settings, tmp_path)
    ((oid, email),) = some_orders(Database(settings.db_path), 1, 21)
    with Database(settings.db_path).transaction() as cur:
        cur.execute("DELETE FROM orders")
    agent = private_agent(store_agent, settings)  # a restart on the emptied file
    r = agent.respond(sid("e"), f"where is {oid}? my email is {email}")
    assert not revealed(r) and "don't match" not in r.text and "can't look up orders" in r.text
    assert agent.db.query("SELECT COUNT(*) AS n FROM security_counters")[0]["n"] == 0  # no failed attempt counted
    assert not store_health(settings).ok
