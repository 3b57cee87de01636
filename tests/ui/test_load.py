"""Concurrent shoppers over HTTP on loopback: 0 errors, strict isolation, on both shopper paths."""

from __future__ import annotations

import json

from aisle.tools.loadtest import InProcessClient, JsonApiClient, WidgetClient, WidgetEvent, oracle, run_load, store_orders
from tests.security._agent_store import private_agent, private_store
from tests.ui.conftest import Server


def _orders(server: Server) -> list[tuple[str, str]]:
    return [o for o in store_orders(server.agent) if o[0] not in ("ORD-17001", "ORD-17002")]


def _check(result, server: Server, orders) -> dict:
    summary = result.summary()
    print(f"load {summary['path']}:", json.dumps(summary))
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["isolation_violations"] == 0, summary["first_violations"]
    assert summary["turns"] >= summary["shoppers"]
    own = {s: info["order_id"] for s, info in result.sessions.items()}
    for sid, order_id in own.items():  # history never mixes sessions
        for turn in server.agent.history(f"{'api' if summary['path'] == 'json_api' else 'web'}-{sid}"):
            for other in (o for o, _ in orders[: summary["shoppers"]] if o != order_id):
                assert other not in turn["user_text"]
    return summary


def test_fifty_concurrent_shoppers_on_the_json_api(store_agent, store_settings, tmp_path) -> None:
    # a private copy of the orders: other suites' wrong guesses lock orders on the shared store
    server = Server(
        private_agent(store_agent, private_store(store_settings, tmp_path)),
        http={"sessions_per_client_per_minute": 0, "turns_per_session_per_minute": 0},
    )
    try:
        orders = _orders(server)
        expected = oracle(InProcessClient(server.agent))
        result = run_load(
            lambda: JsonApiClient(server.url), orders, shoppers=50, duration_s=12, expected=expected, path="json_api"
        )
        _check(result, server, orders)
    finally:
        server.close()


def test_concurrent_shoppers_in_the_widget(store_agent, store_settings, tmp_path) -> None:
    # a private copy of the orders: other suites' wrong guesses lock orders on the shared store
    server = Server(
        private_agent(store_agent, private_store(store_settings, tmp_path)),
        http={"sessions_per_client_per_minute": 0, "turns_per_session_per_minute": 0},
    )
    try:
        orders = _orders(server)
        event = WidgetEvent.of(server.url)
        expected = oracle(InProcessClient(server.agent))
        result = run_load(
            lambda: WidgetClient(server.url, event), orders, shoppers=12, duration_s=8, expected=expected, path="widget"
        )
        _check(result, server, orders)
    finally:
        server.close()
