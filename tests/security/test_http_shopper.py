"""The shopper app over real HTTP on loopback: server-issued sessions, no hijack, no staff surface, limits.

Each attack is sent as a stranger would send it: raw HTTP to the served ASGI app (uvicorn on 127.0.0.1).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from aisle.tools.loadtest import WidgetEvent, queue_call
from tests.ui.conftest import Server

STAFF_WORDS = (
    "aisle-kpis",
    "aisle-queue",
    "aisle-transcript",
    "Handoff id",
    "Item id",
    "Open handoffs",
    "Analytics",
    "Review",
    "Mark handled",
    "Promote",
    "Audit",
    "Top unanswered",
)


@pytest.fixture(scope="module")
def srv(store_agent) -> Iterator[Server]:
    server = Server(store_agent)
    yield server
    server.close()


def _signer(server: Server, ttl_s: float | None = None):
    from ui.keys import store_secret
    from ui.sessions import SessionSigner

    return SessionSigner(store_secret(server.settings.home), ttl_s or server.settings.http.session_ttl_hours * 3600)


# --- sessions ---------------------------------------------------------------------------------------
def test_only_tokens_this_store_signed_are_accepted(srv: Server) -> None:
    from ui.sessions import SessionSigner

    good = srv.new_session()
    kind, rid, issued, sig = good.split(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    forged = [
        "",
        "shopper-42",
        "api-" + rid,
        rid,  # client-chosen ids, and the bare session id
        f"{kind}.{rid}.{issued}.{flipped}",  # a forged signature
        f"{kind}.{'0' * 32}.{issued}.{sig}",  # someone else's id under this signature
        f"web.{rid}.{issued}.{sig}",  # the kind changed
        f"{kind}.{rid}.{int(issued) + 1}.{sig}",  # the issue time changed (to outlive the TTL)
        SessionSigner(b"x" * 32, 3600).issue("api").token,  # signed with another key (a default secret)
        _signer(srv).issue("api", now=time.time() - srv.settings.http.session_ttl_hours * 3600 - 60).token,  # expired
    ]
    for token in forged:
        r = httpx.post(f"{srv.url}/api/chat", json={"session": token, "message": "where is my order?"})
        assert r.status_code == 401, (token, r.text)
        assert r.json()["error"]["code"] == "invalid_session"
        r = httpx.post(f"{srv.url}/api/feedback", json={"session": token, "turn_id": 1, "rating": -1})
        assert r.status_code == 401
    assert srv.chat("hello", good)["text"]
    assert srv.agent.history("shopper-42") == []  # nothing was written under a client-chosen id


def test_one_token_cannot_reach_another_conversation(srv: Server) -> None:
    oid, email, tracking = srv.agent.db.query(
        "SELECT order_id, email, tracking_number FROM orders WHERE status = 'shipped' AND tracking_number IS NOT NULL ORDER BY order_id LIMIT 1"
    )[0]
    alice, mallory = srv.new_session(), srv.new_session()
    verified = srv.chat(f"where is my order {oid}? my email is {email}", alice)
    assert oid in verified["text"]
    # Mallory knows Alice's session id (e.g. from a log) and the order id, but not her token
    alice_sid = verified["session_id"]
    for token in (alice_sid, alice_sid.split("-", 1)[1]):
        assert srv.chat_response("where is my order?", token).status_code == 401
    for text in ("where is my order?", f"where is my order {oid}?", f"cancel order {oid}", "show my last order"):
        out = srv.chat(text, mallory)
        assert email not in out["text"] and tracking not in out["text"], out["text"]
        assert out["session_id"] != alice_sid
    # and cannot rate Alice's reply
    r = httpx.post(
        f"{srv.url}/api/feedback",
        json={"session": mallory, "turn_id": verified["turn_id"], "rating": -1, "correction": "delete_account"},
    )
    assert r.status_code == 404 and alice_sid not in r.text
    assert not srv.agent.db.query("SELECT 1 FROM feedback WHERE turn_id = ?", (verified["turn_id"],))


def test_the_widget_takes_its_session_from_the_signed_cookie_only(srv: Server) -> None:
    send = WidgetEvent.of(srv.url)
    alice = httpx.Client(timeout=60)
    mallory = httpx.Client(timeout=60)
    try:
        alice.get(f"{srv.url}/")  # the page sets the cookie
        token = alice.cookies["aisle_shopper"]
        alice_sid = "web-" + token.split(".")[1]
        done = queue_call(alice, srv.url, send, ["analog watch for men", [], None], "alice-tab")
        assert done["success"]
        n_alice = len(srv.agent.history(alice_sid))
        # Mallory replays Alice's Gradio session hash, and sends a cookie she made up
        mallory.cookies.set("aisle_shopper", f"web.{token.split('.')[1]}.{int(time.time())}.{'A' * 43}", domain="127.0.0.1")
        done = queue_call(mallory, srv.url, send, ["cheaper ones", [], None], "alice-tab")
        assert done["success"]
        assert len(srv.agent.history(alice_sid)) == n_alice  # nothing landed in Alice's conversation
        assert mallory.cookies["aisle_shopper"] != token  # she was given a fresh session of her own
        # a hidden session input does not exist to be abused: the event takes exactly the message, the chat and its state
        assert len(next(d for d in srv_config(srv)["dependencies"] if d["id"] == send.fn_index)["inputs"]) == 3
    finally:
        alice.close()
        mallory.close()


def srv_config(srv: Server) -> dict:
    return httpx.get(f"{srv.url}/config").json()


def test_the_shopper_app_holds_no_staff_component_or_event(srv: Server) -> None:
    from ui.app import SHOPPER_EVENTS, build_app

    config = srv_config(srv)
    text = str(config["components"])
    for word in STAFF_WORDS:
        assert word not in text, word
    assert not {c["type"] for c in config["components"]} & {"dataframe", "barplot", "json", "number"}
    names = {d.get("api_name") for d in config["dependencies"]}
    assert {n.rsplit("_", 1)[0] if n and n.rsplit("_", 1)[-1].isdigit() else n for n in names} <= set(SHOPPER_EVENTS)
    blocks = build_app(_shopper(srv))
    assert {fn.name for fn in blocks.fns.values()} <= set(SHOPPER_EVENTS)
    # the page load restores only the caller's own conversation: nothing for a stranger
    fresh = httpx.Client(timeout=60)
    try:
        restore = WidgetEvent.of(srv.url, "restore", fresh)
        done = queue_call(fresh, srv.url, restore, [], "stranger")
        assert done["output"]["data"][0] == []
    finally:
        fresh.close()
    # Gradio's API page documents nothing, and no index beyond the shopper events exists
    info = httpx.get(f"{srv.url}/gradio_api/info").json()
    assert not info.get("named_endpoints") and not info.get("unnamed_endpoints")
    r = httpx.post(
        f"{srv.url}/gradio_api/queue/join", json={"data": [], "fn_index": len(config["dependencies"]) + 5, "session_hash": "x"}
    )
    assert r.status_code >= 400
    r = httpx.post(f"{srv.url}/gradio_api/upload", files={"files": ("a.txt", b"x" * 1000)})
    assert r.status_code == 404  # no uploads into the server's cache


def _shopper(srv: Server):
    from ui.keys import store_secret
    from ui.shopper import Shopper

    return Shopper(srv.agent, srv.settings, store_secret(srv.settings.home))


# --- limits --------------------------------------------------------------------------------------------
def test_oversized_requests_get_413(store_agent) -> None:
    server = Server(store_agent, http={"max_body_bytes": 4096, "max_widget_body_bytes": 8192})
    try:
        token = server.new_session()
        r = httpx.post(f"{server.url}/api/chat", json={"session": token, "message": "x" * 5000})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"session": "' + token.encode() + b'", "message": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        r = httpx.post(f"{server.url}/api/chat", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        r = httpx.post(
            f"{server.url}/gradio_api/queue/join", json={"data": ["z" * 9000, [], None], "fn_index": 0, "session_hash": "big"}
        )
        assert r.status_code == 413
        assert server.chat("x" * 3000, token)["text"]  # under the body limit: the agent cuts it and says so
    finally:
        server.close()


def test_in_flight_turns_are_capped_with_429(store_agent) -> None:
    server = Server(store_agent, http={"max_in_flight_turns": 1, "sessions_per_client_per_minute": 0})
    try:
        tokens = [server.new_session() for _ in range(16)]
        barrier = threading.Barrier(len(tokens))
        results: list[httpx.Response] = []
        lock = threading.Lock()

        def one(token: str) -> None:
            with httpx.Client(timeout=60) as c:
                barrier.wait()
                r = c.post(f"{server.url}/api/chat", json={"session": token, "message": "suggest a gift for my wife under 2000"})
            with lock:
                results.append(r)

        threads = [threading.Thread(target=one, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = [r.status_code for r in results]
        assert set(codes) <= {200, 429} and 200 in codes and 429 in codes, codes
        busy = next(r for r in results if r.status_code == 429)
        assert busy.json()["error"]["code"] == "busy" and int(busy.headers["retry-after"]) >= 1
        assert server.chat("hello", tokens[0])["text"]  # the slots were given back
    finally:
        server.close()


def test_turns_per_session_and_sessions_per_client_are_limited(store_agent) -> None:
    server = Server(store_agent, http={"turns_per_session_per_minute": 3, "sessions_per_client_per_minute": 3})
    try:
        a = server.new_session()
        for i in range(3):
            assert server.chat_response(f"coffee mug {i}", a).status_code == 200
        r = server.chat_response("coffee mug again", a)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and "retry-after" in r.headers
        b = server.new_session()
        assert server.chat_response("coffee mug", b).status_code == 200  # another conversation is not affected
        server.new_session()
        r = httpx.post(f"{server.url}/api/session")
        assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_sessions"
        r = httpx.get(f"{server.url}/")  # the widget's sessions come out of the same allowance
        assert r.status_code == 429
    finally:
        server.close()
