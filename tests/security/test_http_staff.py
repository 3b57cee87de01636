"""The staff console over real HTTP on loopback: unreachable without a login on both mounts (its path on
the shopper port, and its own port), logins that hold, every action audited, promotion only by named users."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from aisle.tools.loadtest import WidgetEvent, queue_call
from tests.ui.conftest import STAFF_PASSWORD, Server

ANON_GETS = [
    "",
    "/",
    "/config",
    "/config/",
    "/gradio_api/info",
    "/gradio_api/openapi.json",
    "/gradio_api/queue/data?session_hash=x",
    "/gradio_api/file=/etc/passwd",
    "/file=/etc/passwd",
    "/gradio_api/upload_progress?upload_id=x",
    "/theme.css",
    "/gradio_api/app_id",
    "/gradio_api/token",
    "/login_check",
    "/gradio_api/startup-events",
    "/monitoring",
    "/manifest.json",
    "/gradio_api/call/analytics/x",
]


@pytest.fixture(scope="module")
def srv(store_agent) -> Iterator[Server]:
    server = Server(store_agent, staff={"promoters": ["ann"]})
    server.add_staff("ann")
    server.add_staff("bob")
    yield server
    server.close()


@pytest.fixture(scope="module")
def own_port(store_agent) -> Iterator[Server]:
    server = Server(store_agent, staff={"promoters": ["ann"]}, staff_port=True)
    server.add_staff("ann")
    yield server
    server.close()


def _anonymous_attempts(base: str, path: str, client: httpx.Client) -> list[tuple[str, httpx.Response]]:
    out = [(f"GET {p}", client.get(f"{base}{path}{p}", follow_redirects=False)) for p in ANON_GETS]
    for fn_index in range(45):  # every event the console could have, called directly
        body = {"data": [1, "accept"], "fn_index": fn_index, "trigger_id": None, "session_hash": "anon", "event_data": None}
        out.append((f"queue/join {fn_index}", client.post(f"{base}{path}/gradio_api/queue/join", json=body)))
    for route in ("/gradio_api/run/promote", "/gradio_api/call/close_handoff", "/gradio_api/api/audit_log", "/run/predict"):
        out.append((f"POST {route}", client.post(f"{base}{path}{route}", json={"data": [1]})))
    out.append(("upload", client.post(f"{base}{path}/gradio_api/upload", files={"files": ("a.txt", b"hi")})))
    out.append(("page as a browser", client.get(f"{base}{path}/", headers={"accept": "text/html"}, follow_redirects=False)))
    return out


def _assert_refused(attempts: list[tuple[str, httpx.Response]], login_url: str) -> None:
    for what, r in attempts:
        if r.status_code == 303:
            assert r.headers["location"].endswith(login_url), (what, r.headers["location"])
        else:
            assert r.status_code == 401, (what, r.status_code, r.text[:200])
            assert r.json()["error"]["code"] == "login_required"


@pytest.mark.parametrize("cookie", [None, "forged.0000", "x" * 43 + "." + "0" * 64])
def test_every_console_route_refuses_a_stranger(srv: Server, cookie: str | None) -> None:
    with httpx.Client(timeout=30) as client:
        if cookie:
            client.cookies.set("aisle_staff", cookie, domain="127.0.0.1")
        _assert_refused(_anonymous_attempts(srv.url, "/staff", client), "/staff/login")
    assert httpx.get(f"{srv.url}/staff/login").status_code == 200  # only the login page is public


def test_the_console_on_its_own_port_refuses_strangers_and_is_absent_from_the_shopper_port(own_port: Server) -> None:
    with httpx.Client(timeout=30) as client:
        _assert_refused(_anonymous_attempts(own_port.staff_url, "/staff", client), "/staff/login")
        _assert_refused(
            [(p, client.get(f"{own_port.staff_url}{p}")) for p in ("/config", "/gradio_api/info", "/docs")], "/staff/login"
        )
        assert client.get(f"{own_port.staff_url}/", follow_redirects=False).headers["location"] == "/staff/"
        for p in ("/staff/", "/staff/config", "/staff/login"):  # the shopper port has no console at all
            r = client.get(f"{own_port.url}{p}")
            assert r.status_code == 404 or "Staff console" not in r.text, p
        r = client.post(f"{own_port.url}/staff/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"})
        assert r.status_code >= 400
    with own_port.staff_client("ann") as ann:
        assert ann.get("/staff/config").status_code == 200


def test_login_and_logout(srv: Server) -> None:
    def audit(action: str) -> int:
        return srv.agent.db.query("SELECT COUNT(*) AS n FROM staff_audit WHERE action = ?", (action,))[0]["n"]

    failed = audit("login_failed")
    with httpx.Client(timeout=30, base_url=srv.url) as c:
        for user, pw in (("ann", "wrong password!"), ("nobody", STAFF_PASSWORD)):
            r = c.post("/staff/login", data={"username": user, "password": pw})
            assert (
                r.status_code == 401
                and "wrong user name or password" in r.text
                and "aisle_staff" not in r.headers.get("set-cookie", "")
            )
        assert audit("login_failed") == failed + 2
        r = c.post(
            "/staff/login", data={"username": "ann", "password": STAFF_PASSWORD}, headers={"origin": "https://evil.example"}
        )
        assert r.status_code == 403  # a login posted from another site
        r = c.post("/staff/login", data={"username": "ann", "password": STAFF_PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == "/staff/"
        set_cookie = r.headers["set-cookie"].lower()
        assert (
            "httponly" in set_cookie
            and "samesite=strict" in set_cookie
            and "path=/staff" in set_cookie
            and "max-age=" in set_cookie
        )
        assert c.get("/staff/config").status_code == 200
        value = c.cookies["aisle_staff"]
        assert c.post("/staff/logout").status_code == 303
    with httpx.Client(base_url=srv.url) as replay:  # the old cookie is dead everywhere
        replay.cookies.set("aisle_staff", value, domain="127.0.0.1", path="/staff")
        assert replay.get("/staff/config").status_code == 401
    assert audit("logout") >= 1


def test_failed_logins_are_throttled(store_agent) -> None:
    server = Server(store_agent, staff={"failed_logins_per_minute": 3})
    server.add_staff("carol")
    try:
        with httpx.Client(timeout=30, base_url=server.url) as c:
            codes = [
                c.post("/staff/login", data={"username": "carol", "password": f"guess-{i}-xxxxx"}).status_code for i in range(5)
            ]
            right = c.post("/staff/login", data={"username": "carol", "password": STAFF_PASSWORD})
        assert codes == [401, 401, 401, 429, 429]
        assert right.status_code == 429  # even the right password waits: guessing cannot go on
    finally:
        server.close()


def _event(client: httpx.Client, base: str, name: str) -> WidgetEvent:
    return WidgetEvent.of(f"{base}/staff", name, client)


def test_staff_actions_are_audited_and_show_only_references(srv: Server) -> None:
    token = srv.new_session()
    reply = srv.chat("I want to talk to a human", token)
    assert reply["handoff"]
    sid = reply["session_id"]
    handoff_id = srv.agent.db.query("SELECT handoff_id FROM handoffs WHERE session_id = ? ORDER BY handoff_id DESC", (sid,))[0][
        "handoff_id"
    ]
    with srv.staff_client("bob") as bob:
        base = f"{srv.url}/staff"
        queue = queue_call(bob, base, _event(bob, srv.url, "queue"), [], "bob-1")
        table = str(queue["output"]["data"])
        assert str(handoff_id) in table and sid not in table and token not in table and "s-" in table
        shown = queue_call(bob, base, _event(bob, srv.url, "show_handoff"), [handoff_id], "bob-1")
        assert "human" in str(shown["output"]["data"][0]).lower() and sid not in str(shown)
        queue_call(bob, base, _event(bob, srv.url, "close_handoff"), [handoff_id], "bob-1")
    assert srv.agent.db.query("SELECT status FROM handoffs WHERE handoff_id = ?", (handoff_id,))[0]["status"] == "closed"
    rows = srv.agent.db.query(
        "SELECT username, action, target, client FROM staff_audit WHERE target = ? ORDER BY audit_id", (f"handoff:{handoff_id}",)
    )
    assert [(r["username"], r["action"]) for r in rows] == [("bob", "view_transcript"), ("bob", "close_handoff")]
    assert all(r["client"] == "127.0.0.1" for r in rows)


def test_promotion_only_by_named_users(srv: Server) -> None:
    registry = srv.agent.router.registry
    current = registry.current().name
    before = len(registry.history())
    with srv.staff_client("bob") as bob:
        queue_call(bob, f"{srv.url}/staff", _event(bob, srv.url, "models"), [], "bob-2")  # the page load fills the version list
        out = queue_call(bob, f"{srv.url}/staff", _event(bob, srv.url, "promote"), [current], "bob-2")
        assert "Not promoted" in str(out["output"]["data"][0]) and "may not promote" in str(out["output"]["data"][0])
    assert len(registry.history()) == before
    with srv.staff_client("ann") as ann:
        queue_call(ann, f"{srv.url}/staff", _event(ann, srv.url, "models"), [], "ann-2")
        out = queue_call(ann, f"{srv.url}/staff", _event(ann, srv.url, "promote"), [current], "ann-2")
        assert f"current → {current}" in str(out["output"]["data"][0])
    assert registry.current().name == current and "ann" in registry.history()[-1]["reason"]
    actions = [
        r["action"] for r in srv.agent.db.query("SELECT action FROM staff_audit WHERE target = ? ORDER BY audit_id", (current,))
    ]
    assert actions[-2:] == ["promote_denied", "promote"]


def test_reviewing_needs_a_login_and_is_recorded(srv: Server) -> None:
    token = srv.new_session()
    reply = srv.chat("where is the nearest cinema", token)
    r = httpx.post(
        f"{srv.url}/api/feedback",
        json={"session": token, "turn_id": reply["turn_id"], "rating": -1, "correction": "delete_account"},
    )
    assert r.status_code == 200
    with srv.staff_client("bob") as bob:
        base = f"{srv.url}/staff"
        queue_call(bob, base, _event(bob, srv.url, "review_items"), [], "bob-3")
        item = srv.agent.db.query("SELECT item_id, status FROM review_items WHERE turn_id = ?", (reply["turn_id"],))[0]
        # a stranger replays the reviewer's event: refused, the item is untouched
        accept = _event(bob, srv.url, "review_reject")
        r = httpx.post(
            f"{base}/gradio_api/queue/join",
            json={"data": [item["item_id"], None], "fn_index": accept.fn_index, "session_hash": "anon"},
        )
        assert r.status_code == 401
        assert (
            srv.agent.db.query("SELECT status FROM review_items WHERE item_id = ?", (item["item_id"],))[0]["status"]
            == item["status"]
        )
        queue_call(bob, base, accept, [item["item_id"], None], "bob-3")
    assert srv.agent.db.query("SELECT status FROM review_items WHERE item_id = ?", (item["item_id"],))[0]["status"] == "rejected"
    row = srv.agent.db.query("SELECT username, action FROM staff_audit WHERE target = ?", (f"review_item:{item['item_id']}",))[-1]
    assert (row["username"], row["action"]) == ("bob", "review_reject")
