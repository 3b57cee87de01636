"""The order store: loading, verification, and the rules on cancel and return."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.demo import build_orders
from agent.orders import OrderStore, validate_order
from aisle.errors import DataError, NotFoundError

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def _order(oid: str, status: str, delivered_days_ago: int | None = None) -> dict:
    o = {
        "order_id": oid,
        "email": "a@example.com",
        "name": "A",
        "status": status,
        "items": [{"product_id": "P1", "qty": 1, "price": 499}],
        "placed_at": (NOW - timedelta(days=40)).isoformat(),
        "total": 499,
        "currency": "INR",
    }
    if delivered_days_ago is not None:
        o["delivered_at"] = (NOW - timedelta(days=delivered_days_ago)).isoformat()
    return o


@pytest.fixture
def store(settings) -> OrderStore:
    s = OrderStore(settings)
    s.upsert(
        [
            validate_order(o)
            for o in [
                _order("ORD-1001", "processing"),
                _order("ORD-1002", "shipped"),
                _order("ORD-1003", "delivered", 5),
                _order("ORD-1004", "delivered", 45),
            ]
        ]
    )
    return s


def test_verification_needs_the_matching_email(store: OrderStore) -> None:
    assert store.verify("ORD-1001", "A@Example.com ") is not None
    assert store.verify("ORD-1001", "b@example.com") is None
    assert store.verify("ORD-9999", "a@example.com") is None  # unknown order looks the same as a wrong email
    assert store.verify("order 1001", "a@example.com").order_id == "ORD-1001"


def test_cancel_only_while_not_shipped(store: OrderStore) -> None:
    done = store.cancel("ORD-1001")
    assert done.ok and done.order.status == "cancelled" and done.order.refund_amount == 499
    assert store.cancel("ORD-1001").message_key == "cancel_already"
    denied = store.cancel("ORD-1002")
    assert not denied.ok and store.get("ORD-1002").status == "shipped"
    outcomes = [
        r["outcome"] for r in store.db.query("SELECT outcome FROM actions WHERE action='cancel_order' ORDER BY action_id")
    ]
    assert outcomes == ["done", "already_cancelled", "denied"]  # every action is recorded
    with pytest.raises(NotFoundError):
        store.cancel("ORD-0000")


def test_returns_only_inside_the_window(store: OrderStore) -> None:
    assert store.start_return("ORD-1003", now=NOW).message_key == "return_started"
    assert store.start_return("ORD-1003", now=NOW).message_key == "return_already"
    late = store.start_return("ORD-1004", now=NOW)
    assert late.message_key == "return_window_passed" and late.detail["days"] == 45
    assert store.start_return("ORD-1002", now=NOW).message_key == "return_not_delivered"


def test_ingest_rejects_bad_rows_with_file_and_line(settings, tmp_path: Path) -> None:
    f = tmp_path / "orders.jsonl"
    rows = [
        json.dumps(_order("ORD-2001", "pending")),
        "{broken",
        json.dumps(
            {
                **_order("ORD-2002", "lost"),
            }
        ),
        json.dumps({**_order("ORD-2003", "pending"), "email": "not-an-email"}),
        json.dumps({**_order("ORD-2004", "pending"), "items": []}),
    ]
    f.write_text("\n".join(rows) + "\n")
    report = OrderStore(settings).ingest(f)
    assert report["loaded"] == 1 and report["rejected"] == 4
    assert report["rejections"][0].startswith(f"{f}:2:")
    assert "status must be one of" in report["rejections"][1] and "invalid email" in report["rejections"][2]
    again = OrderStore(settings).ingest(f)
    assert again["inserted"] == 0 and again["updated"] == 1  # idempotent
    f.write_text("{bad\n")
    with pytest.raises(DataError, match="no valid orders"):
        OrderStore(settings).ingest(f)


def test_demo_orders_are_deterministic_and_catalog_independent() -> None:
    small = build_orders([("A", "a", 100.0), ("B", "b", 200.0)], 7, 10, NOW)
    large = build_orders([(str(i), "x", float(i + 1)) for i in range(300)], 7, 10, NOW)
    key = lambda orders: [(o["order_id"], o["email"], o["status"], o["placed_at"]) for o in orders]
    assert key(small) == key(large) == key(build_orders([("A", "a", 100.0), ("B", "b", 200.0)], 7, 10, NOW))
    assert {o["status"] for o in small} >= {"pending", "processing", "shipped", "delivered", "cancelled"}
    assert all(validate_order(o) for o in small)
