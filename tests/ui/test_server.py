"""The served app: HTTP API, bad input over HTTP, restart mid-conversation, HTML rendering."""

from __future__ import annotations

import uuid

from tests.ui.conftest import Server
from ui import render


def test_http_chat_endpoint(server: Server) -> None:
    out = server.chat("red sandals under 500", f"http-{uuid.uuid4().hex[:8]}")
    assert out["intent"] == "product_search" and out["turn_id"] > 0
    assert out["products"] and all(p["price"] <= 500 for p in out["products"])


def test_bad_input_over_http(server: Server) -> None:
    s = f"http-{uuid.uuid4().hex[:8]}"
    for text in ["", "x" * 20_000, "🛍️ مرحبا 你好 שלום", "<img src=x onerror=alert(1)>"]:
        out = server.chat(text, s)
        assert out["text"]


def test_conversation_survives_a_server_restart(store_agent, store_settings, embedders) -> None:
    from agent.agent import Agent
    from agent.db import Database
    from agent.router import Router
    from retrieval.factory import build_stack

    s = f"restart-{uuid.uuid4().hex[:8]}"
    first = Server(store_agent)
    shown = first.chat("analog watch for men", s)["products"]
    first.close()
    fresh_agent = Agent(store_settings, build_stack(store_settings, embedders), Router(store_settings), Database(store_settings.db_path))
    second = Server(fresh_agent)
    try:
        follow = second.chat("cheaper ones", s)
    finally:
        second.close()
    assert follow["products"] and max(p["price"] for p in follow["products"]) < min(p["price"] for p in shown)


def test_cards_escape_and_degrade_without_images() -> None:
    from agent.types import Citation, ProductCard, Reply

    reply = Reply("x", "product_search", 0.9, products=[ProductCard("P<1>", "<b>evil</b> mug", 249.0, "INR", "kitchen", "brew", {"color": "White"}, None, None, "because")],
                  citations=[Citation("faq-1", "Returns <policy>", "30 days")], handoff=True, handoff_reason="requested")
    html = render.product_cards(reply)
    assert "<b>evil</b>" not in html and "&lt;b&gt;evil" in html
    assert "url(" not in html  # no image URL: the placeholder initials are shown instead
    assert "₹249" in html and "Why: because" in html
    assert "&lt;policy&gt;" in render.sources(reply)
    assert "aisle-banner" in render.handoff_banner(reply)
