"""50 concurrent shoppers over HTTP on loopback: throughput, latency, 0 errors, strict isolation."""

from __future__ import annotations

import json

from aisle.loadtest import run_load
from tests.ui.conftest import Server


def test_fifty_concurrent_shoppers(server: Server, tmp_path) -> None:
    db = server.agent.db
    orders = [(r["order_id"], r["email"]) for r in db.query("SELECT order_id, email FROM orders WHERE order_id NOT IN ('ORD-17001','ORD-17002') ORDER BY order_id")]
    result = run_load(server.url, orders, shoppers=50, duration_s=15)
    summary = result.summary()
    (tmp_path / "load.json").write_text(json.dumps(summary, indent=2))
    print("load:", json.dumps(summary))
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["isolation_violations"] == 0, summary["first_violations"]
    assert summary["turns"] >= 50
    for session, info in result.sessions.items():  # history never mixes sessions
        for turn in server.agent.history(session):
            for other in (o for o, _ in orders[:50] if o != info["order_id"]):
                assert other not in turn["user_text"]
