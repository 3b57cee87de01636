"""The served apps: the JSON API, the widget over HTTP, bad input, restart mid-conversation, HTML rendering."""

from __future__ import annotations

import httpx

from aisle.tools.loadtest import WidgetClient, WidgetEvent
from tests.ui.conftest import Server
from ui import render


def test_json_api_chat_and_feedback(server: Server) -> None:
    token = server.new_session()
    out = server.chat("red sandals under 500", token)
    assert out["intent"] == "product_search" and out["turn_id"] > 0
    assert out["products"] and all(p["price"] <= 500 for p in out["products"])
    assert "slots" not in out
    r = httpx.post(
        f"{server.url}/api/feedback", json={"session": token, "turn_id": out["turn_id"], "rating": -1, "comment": "not red"}
    )
    assert r.status_code == 200 and r.json()["ok"] and r.json()["feedback_id"] > 0
    row = server.agent.db.query("SELECT rating, comment FROM feedback WHERE feedback_id = ?", (r.json()["feedback_id"],))[0]
    assert row["rating"] == -1 and row["comment"] == "not red"


def test_bad_input_over_http(server: Server) -> None:
    token = server.new_session()
    for text in ["", "x" * 20_000, "🛍️ مرحبا 你好 שלום", "<img src=x onerror=alert(1)>"]:
        assert server.chat(text, token)["text"]
    for body in ({"session": token}, {"session": token, "message": 5}, {"session": token, "message": "hi", "extra": 1}, [1, 2]):
        r = httpx.post(f"{server.url}/api/chat", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = httpx.post(f"{server.url}/api/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_openapi_documents_the_shopper_endpoints_only(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert set(spec["paths"]) == {"/api/session", "/api/chat", "/api/feedback"}
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_widget_chats_streams_and_restores_the_conversation(server: Server) -> None:
    client = WidgetClient(server.url, WidgetEvent.of(server.url))
    try:
        client.new_session()
        first = client.say("analog watch for men")
        assert first["products"] and "watch" in first["text"].lower()
        follow = client.say("cheaper ones")
        prices = {p.id: p.price for p in server.agent.stack.retriever.catalog().records}
        assert follow["products"] and max(prices[p["id"]] for p in follow["products"]) < min(
            prices[p["id"]] for p in first["products"]
        )
        # a reload of the page: the restore event brings back this browser's own conversation
        restore = WidgetEvent.of(server.url, "restore", client.http)
        from aisle.tools.loadtest import queue_call

        done = queue_call(client.http, server.url, restore, [], "reload-1")
        history = done["output"]["data"][0]
        assert len(history) == 4 and "cheaper ones" in str(history[2]["content"])
    finally:
        client.close()


def test_conversation_survives_a_server_restart(store_agent, store_settings, embedders) -> None:
    from agent.agent import Agent
    from agent.db import Database
    from agent.router import Router
    from retrieval.factory import build_stack

    first = Server(store_agent)
    token = first.new_session()
    shown = first.chat("analog watch for men", token)["products"]
    first.close()
    fresh_agent = Agent(
        store_settings, build_stack(store_settings, embedders), Router(store_settings), Database(store_settings.db_path)
    )
    second = Server(fresh_agent)
    try:
        follow = second.chat("cheaper ones", token)  # the same token: signed with the store's secret, state in SQLite
    finally:
        second.close()
    assert follow["products"] and max(p["price"] for p in follow["products"]) < min(p["price"] for p in shown)


def test_cards_escape_and_degrade_without_images() -> None:
    from agent.types import Citation, ProductCard, Reply

    reply = Reply(
        "x",
        "product_search",
        0.9,
        products=[
            ProductCard("P<1>", "<b>evil</b> mug", 249.0, "INR", "kitchen", "brew", {"color": "White"}, None, None, "because")
        ],
        citations=[Citation("faq-1", "Returns <policy>", "30 days")],
        handoff=True,
        handoff_reason="requested",
    )
    html = render.product_cards(reply)
    assert "<b>evil</b>" not in html and "&lt;b&gt;evil" in html
    assert "url(" not in html  # no image URL: the placeholder initials are shown instead
    assert "₹249" in html and "Why: because" in html
    assert "&lt;policy&gt;" in render.sources(reply)
    assert "aisle-banner" in render.handoff_banner(reply)
