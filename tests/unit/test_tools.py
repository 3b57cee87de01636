"""Order actions as LangChain tools: verified first, the store's rules, the same lockouts, no e-mail out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.db import ActionLog, Database
from agent.orders import OrderStore, validate_order
from agent.privacy import StoreSecret
from agent.tools import order_tools
from agent.verification import OrderVerifier
from aisle.settings import Settings

NOW = datetime.now(UTC)


@pytest.fixture
def tools(tmp_path: Path) -> tuple[dict, OrderStore]:
    settings = Settings(home=tmp_path)
    settings.ensure_dirs()
    db = Database(settings.db_path)
    store = OrderStore(settings, db)
    rows = [("ORD-1001", "processing", None), ("ORD-1002", "delivered", 3), ("ORD-1003", "delivered", 60)]
    store.upsert([validate_order({"order_id": oid, "email": "a@example.com", "name": "A", "status": st, "total": 499,
                                  "items": [{"product_id": "P1", "qty": 1, "price": 499}],
                                  **({"delivered_at": (NOW - timedelta(days=d)).isoformat()} if d else {})}) for oid, st, d in rows])  # fmt: skip
    verifier = OrderVerifier.from_settings(db, StoreSecret.load_or_create(settings.home), settings.agent)
    return {t.name: t for t in order_tools(store, verifier, client_id="caller-1", session_id="s1")}, store


def test_status_needs_the_matching_email_and_never_returns_it(tools) -> None:
    by_name, _ = tools
    ok = by_name["order_status"].invoke({"order_id": "ORD-1001", "email": "A@example.com"})
    assert ok["ok"] and ok["order"]["status"] == "processing" and "a@example.com" not in str(ok)
    wrong = by_name["order_status"].invoke({"order_id": "ORD-1001", "email": "b@example.com"})
    unknown = by_name["order_status"].invoke({"order_id": "ORD-9999", "email": "a@example.com"})
    assert not wrong["ok"] and wrong["error"] == unknown["error"]  # a wrong pair never says which half


def test_cancel_and_return_follow_the_order_rules(tools) -> None:
    by_name, store = tools
    creds = {"email": "a@example.com"}
    assert by_name["cancel_order"].invoke({"order_id": "ORD-1001", **creds})["outcome"] == "cancel_done"
    assert store.get("ORD-1001").status == "cancelled"
    assert by_name["start_return"].invoke({"order_id": "ORD-1002", **creds})["outcome"] == "return_started"
    assert by_name["start_return"].invoke({"order_id": "ORD-1003", **creds})["outcome"] == "return_window_passed"
    assert by_name["cancel_order"].invoke({"order_id": "ORD-1002", **creds})["outcome"] == "cancel_denied"
    assert {r["action"] for r in ActionLog(store.db).list()} >= {"cancel_order", "start_return", "verify"}


def test_wrong_pairs_lock_the_caller_out(tools) -> None:
    by_name, store = tools
    for _ in range(Settings().agent.max_verification_attempts):
        by_name["cancel_order"].invoke({"order_id": "ORD-1001", "email": "guess@example.com"})
    locked = by_name["cancel_order"].invoke({"order_id": "ORD-1001", "email": "a@example.com"})
    assert not locked["ok"] and "retry_after_s" in locked and store.get("ORD-1001").status == "processing"
