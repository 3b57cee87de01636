"""Model-free checks of the HTTP surfaces' building blocks: session tokens, staff passwords and logins,
limits, and the ASGI guard in front of a stand-in app (real SQLite, no model)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from aisle.errors import InputError
from ui.limits import LimitExceeded, RateLimiter, TurnGate
from ui.sessions import SessionSigner, SessionTokenError

pytestmark = pytest.mark.unit
KEY = bytes(range(32))


def test_tokens_verify_only_unaltered_unexpired_and_from_this_key() -> None:
    signer = SessionSigner(KEY, ttl_s=60)
    s = signer.issue("api")
    assert signer.verify(s.token).session_id == s.session_id == "api-" + s.token.split(".")[1]
    assert len(s.token.split(".")[1]) == 32  # 128 random bits
    assert signer.issue("api").session_id != s.session_id
    for bad in (
        None,
        42,
        "",
        s.session_id,
        s.token + "x",
        s.token.replace("api.", "web.", 1),
        "x" * 500,
        SessionSigner(b"k" * 32, 60).issue("api").token,
    ):
        with pytest.raises(SessionTokenError):
            signer.verify(bad)
    with pytest.raises(SessionTokenError, match="expired"):
        signer.verify(signer.issue("web", now=time.time() - 120).token)
    ref = signer.reference(s.session_id)
    assert ref.startswith("s-") and s.session_id.split("-")[1] not in ref and ref == signer.reference(s.session_id)
    assert SessionSigner(b"k" * 32, 60).reference(s.session_id) != ref  # keyed: not computable without the store's secret


def test_passwords_are_scrypt_hashed_with_a_salt_each() -> None:
    from ui.auth import check_new_password, check_password, check_username, hash_password

    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$16384$8$1$") and "correct" not in a
    assert check_password("correct horse battery", a) and not check_password("correct horse batterY", a)
    assert not check_password("x", "md5$abc") and not check_password("x", "garbage")
    for bad in ("short", " leading space x", "line\nbreak-xxxxx"):
        with pytest.raises(InputError):
            check_new_password(bad)
    for bad in ("Ann", "a b", "", "x" * 65, "-ann"):
        with pytest.raises(InputError):
            check_username(bad)


def _auth(tmp_path: Path, **staff):
    from agent.db import Database, StaffRepository
    from aisle.settings import StaffSettings
    from ui.auth import StaffAuth

    return StaffAuth(StaffRepository(Database(tmp_path / "a.db")), KEY, StaffSettings(**staff))


def test_staff_sessions_end_on_logout_and_password_change(tmp_path: Path) -> None:
    from ui.auth import LoginError

    auth = _auth(tmp_path, promoters=["ann"])
    assert auth.add_user("ann", "correct horse battery") is True
    login = auth.login("ann", "correct horse battery", "10.0.0.1")
    assert auth.user_for(login.cookie) == "ann" and auth.may_promote("ann") and not auth.may_promote("bob")
    rid, sig = login.cookie.rsplit(".", 1)
    assert auth.user_for(f"{rid}.{'0' * len(sig)}") is None and auth.user_for(rid) is None and auth.user_for(None) is None
    assert rid not in str(auth.repo.db.query("SELECT * FROM staff_sessions")[0]["session_hash"])  # only a hash is stored
    auth.logout(login.cookie, "10.0.0.1")
    assert auth.user_for(login.cookie) is None
    again = auth.login("ann", "correct horse battery", "10.0.0.1")
    assert auth.add_user("ann", "another long password") is False  # a new password ends open sessions
    assert auth.user_for(again.cookie) is None
    with pytest.raises(LoginError):
        auth.login("ann", "correct horse battery", "10.0.0.1")
    actions = [r["action"] for r in auth.repo.audit_log()]
    assert actions[::-1] == ["login", "logout", "login", "login_failed"]


def test_failed_logins_wait_per_client_and_per_user(tmp_path: Path) -> None:
    from ui.auth import LoginError

    auth = _auth(tmp_path, failed_logins_per_minute=2)
    auth.add_user("ann", "correct horse battery")
    auth.add_user("bob", "correct horse battery")
    for _ in range(2):
        with pytest.raises(LoginError):
            auth.login("ann", "wrong password xx", "10.0.0.1")
    with pytest.raises(LimitExceeded):
        auth.login("ann", "correct horse battery", "10.0.0.9")  # the user name is throttled from any address
    with pytest.raises(LimitExceeded):
        auth.login("bob", "correct horse battery", "10.0.0.1")  # and the address for any user name
    assert auth.login("bob", "correct horse battery", "10.0.0.2").user == "bob"  # the rest go on
    assert "login_throttled" in [r["action"] for r in auth.repo.audit_log()]


def test_rate_limiter_and_turn_gate() -> None:
    rl = RateLimiter(2, window_s=10)
    assert rl.hit("a", now=0) == 0 and rl.hit("a", now=1) == 0 and rl.hit("a", now=2) == pytest.approx(8)
    assert rl.wait("a", now=2) == pytest.approx(8) and rl.hit("b", now=2) == 0 and rl.hit("a", now=10.5) == 0
    assert RateLimiter(0).hit("x") == 0  # 0: unlimited
    gate = TurnGate(max_in_flight=1, turns_per_session_per_minute=0)
    gate.acquire("s1")
    with pytest.raises(LimitExceeded) as exc:
        gate.acquire("s2")
    assert exc.value.code == "busy" and exc.value.retry_after_s >= 1
    gate.release()
    with gate.turn("s2"):
        assert gate.stats().in_flight == 1
    assert gate.stats().in_flight == 0 and gate.stats().rejected_busy == 1


def test_the_guard_walls_off_the_staff_path_and_limits_bodies(tmp_path: Path) -> None:
    from ui.server import HttpGuard

    reached: list[str] = []

    async def app(scope, receive, send):
        body = b""
        while True:
            m = await receive()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    auth = _auth(tmp_path)
    auth.add_user("ann", "correct horse battery")
    cookie = auth.login("ann", "correct horse battery", "x").cookie
    guard = HttpGuard(app, shopper=None, auth=auth, staff_path="/staff", max_api_body=10, max_widget_body=100)

    def call(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None, chunks: list[bytes] | None = None):
        sent: list[dict] = []
        pending = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks or [b""]) - 1} for i, c in enumerate(chunks or [b""])
        ]

        async def receive():
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        async def send(m):
            sent.append(m)

        scope = {"type": "http", "path": path, "method": method, "headers": headers or [], "client": ("1.2.3.4", 1)}
        asyncio.run(guard(scope, receive, send))
        return sent[0]["status"], dict(sent[0].get("headers", []))

    for path in ("/staff", "/staff/", "/staff/config", "/staff/gradio_api/queue/join", "/staff/file=/etc/passwd"):
        assert call(path, "POST")[0] == 401
    status, headers = call("/staff/", headers=[(b"accept", b"text/html")])
    assert status == 303 and headers[b"location"] == b"/staff/login"
    assert call("/staff/config", headers=[(b"cookie", b"aisle_staff=" + cookie.encode())])[0] == 200
    assert call("/staff/login")[0] == 200 and reached == ["/staff/config", "/staff/login"]
    assert call("/staffing")[0] == 404  # not the console, and no shopper app in this guard
    assert call("/api/chat", "POST", [(b"content-length", b"11")], [b"x" * 11])[0] == 413
    assert call("/api/chat", "POST", [(b"transfer-encoding", b"chunked")], [b"x" * 6, b"x" * 6])[0] == 413
    assert call("/api/chat", "POST", [(b"transfer-encoding", b"chunked")], [b"x" * 4, b"x" * 4])[0] == 200


def test_load_and_turn_benchmarks_name_the_fix_on_an_unprepared_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agent.db import Database
    from aisle.cli import main

    home = tmp_path / "store"
    for what in ("load", "turn"):
        assert main(["--home", str(home), "bench", what, "--quick", "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip()
        assert "Traceback" not in err
        assert err.splitlines()[-1].startswith("aisle: error: no intent router") and "run `aisle setup` first" in err
    version = home / "models" / "intents" / "v0001-20260101T000000Z"  # a router (its manifest is enough to get past the check)
    version.mkdir(parents=True)
    (version / "aisle_intents.json").write_text("{}")
    (home / "models" / "intents" / "current").symlink_to(version.name)
    Database(home / "aisle.db").migrate()  # a database without orders
    assert main(["--home", str(home), "bench", "load", "--quick", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("aisle: error: the store has no orders") and "aisle ingest orders" in err
