"""Order verification can't be brute-forced: counts shared by sessions and processes, per order and per client.

The first tests drive ``OrderVerifier`` over a real SQLite file (no model); the last ones go
through ``Agent.respond`` on the demo store, including two agent processes on one store.
"""

from __future__ import annotations

import multiprocessing as mp
import uuid
from pathlib import Path

import pytest

from agent.db import Database
from agent.orders import OrderStore, validate_order
from agent.privacy import StoreSecret
from agent.verification import LockoutPolicy, OrderVerifier, Outcome, email_digest, grant, prune, usable
from tests.security._agent_store import evaluated_guesses, private_agent, private_store, revealed, sid, some_orders

VICTIM, VICTIM_EMAIL = "ORD-50001", "victim@example.com"
MINE, MY_EMAIL = "ORD-50002", "attacker@example.com"


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def _store(home: Path) -> tuple[Database, StoreSecret]:
    from aisle.settings import Settings

    settings = Settings(home=home)
    settings.ensure_dirs()
    db = Database(settings.db_path)
    orders = [
        {
            "order_id": oid,
            "email": email,
            "name": "A B",
            "status": "processing",
            "items": [{"product_id": "P1", "qty": 1, "price": 10}],
        }
        for oid, email in ((VICTIM, VICTIM_EMAIL), (MINE, MY_EMAIL))
    ]
    OrderStore(settings, db).upsert([validate_order(o) for o in orders])
    return db, StoreSecret.load_or_create(home)


@pytest.fixture
def verifier(tmp_path: Path) -> tuple[OrderVerifier, StoreSecret, Clock]:
    db, secret = _store(tmp_path / "store")
    clock = Clock()
    policy = LockoutPolicy(max_failures=3, window_s=900, lockout_s=300, lockout_max_s=3600)
    return OrderVerifier(db, secret, policy, LockoutPolicy(5, 900, 300, 3600), clock), secret, clock


@pytest.mark.unit
def test_wrong_guesses_from_many_clients_lock_the_order(verifier) -> None:
    v, secret, clock = verifier
    for i in range(3):
        assert (
            v.verify(VICTIM, email_digest(secret, f"guess{i}@example.com"), client_id=f"client-{i}").outcome != Outcome.VERIFIED
        )
    # the right e-mail from a fresh client is not even compared while the order is locked
    right = v.verify(VICTIM, email_digest(secret, VICTIM_EMAIL), client_id="client-new")
    assert right.outcome == Outcome.LOCKED and right.order is None and 0 < right.retry_after_s <= 300
    clock.t += 301
    assert v.verify(VICTIM, email_digest(secret, VICTIM_EMAIL), client_id="client-new").outcome == Outcome.VERIFIED


@pytest.mark.unit
def test_lockouts_back_off_exponentially(verifier) -> None:
    v, secret, clock = verifier
    waits = []
    for _ in range(3):
        for i in range(3):
            r = v.verify(VICTIM, email_digest(secret, "nope@example.com"), client_id=f"c{clock.t}-{i}")
        assert r.outcome == Outcome.LOCKED
        waits.append(round(r.retry_after_s))
        clock.t += r.retry_after_s + 1
    assert waits == [300, 600, 1200]


@pytest.mark.unit
def test_verifying_my_own_order_never_resets_another_orders_counter(verifier) -> None:
    v, secret, _ = verifier
    for i in range(3):
        assert v.verify(VICTIM, email_digest(secret, f"g{i}@example.com"), client_id=f"attacker-{i}").outcome != Outcome.VERIFIED
        mine = v.verify(MINE, email_digest(secret, MY_EMAIL), client_id=f"attacker-{i}")
        assert mine.outcome == Outcome.VERIFIED  # in between: a success on my own order
    assert v.verify(VICTIM, email_digest(secret, VICTIM_EMAIL), client_id="attacker-9").outcome == Outcome.LOCKED


@pytest.mark.unit
def test_one_client_guessing_across_orders_is_locked(verifier) -> None:
    v, secret, _ = verifier
    for i in range(5):
        v.verify(f"ORD-6000{i}", email_digest(secret, "x@example.com"), client_id="scanner")
    # locked for every order, even one whose e-mail it knows
    assert v.verify(MINE, email_digest(secret, MY_EMAIL), client_id="scanner").outcome == Outcome.LOCKED
    assert v.verify(MINE, email_digest(secret, MY_EMAIL), client_id="someone-else").outcome == Outcome.VERIFIED


@pytest.mark.unit
def test_a_wrong_id_and_a_wrong_email_look_the_same(verifier) -> None:
    v, secret, _ = verifier
    unknown = v.verify("ORD-99999", email_digest(secret, VICTIM_EMAIL), client_id="a")
    wrong_email = v.verify(VICTIM, email_digest(secret, "other@example.com"), client_id="b")
    assert unknown.outcome == wrong_email.outcome == Outcome.MISMATCH
    assert unknown.attempts_left == wrong_email.attempts_left and unknown.order is None


@pytest.mark.unit
def test_verified_orders_expire_when_idle() -> None:
    verified: dict = {}
    grant(verified, "ord-50001", 100.0)
    assert usable(verified, "ORD-50001", 150.0, idle_s=60)  # used: refreshed to 150
    assert usable(verified, "ORD-50001", 200.0, idle_s=60)
    assert not usable(verified, "ORD-50001", 261.0, idle_s=60) and verified == {}
    grant(verified, "ORD-1", 0.0)
    verified["ORD-2"] = "3f9a1c2b"  # an old state's salted e-mail hash: not a verification any more
    prune(verified, 10.0, idle_s=60)
    assert verified == {"ORD-1": 0.0}
    assert not usable(verified, None, 10.0, 60)


def _guess_in_process(home: str, order_id: str, emails: list[str], barrier, out) -> None:
    db = Database(Path(home) / "aisle.db")
    secret = StoreSecret.load_or_create(Path(home))
    v = OrderVerifier(db, secret, LockoutPolicy(3, 900, 300, 3600), LockoutPolicy(50, 900, 300, 3600))
    barrier.wait()
    out.put([v.verify(order_id, email_digest(secret, e), client_id=f"{e}-{uuid.uuid4().hex}").outcome.value for e in emails])


@pytest.mark.unit
def test_two_processes_together_evaluate_at_most_n_guesses(tmp_path: Path) -> None:
    db, _ = _store(tmp_path / "store")
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_guess_in_process,
            args=(str(tmp_path / "store"), VICTIM, [f"p{p}g{i}@example.com" for i in range(6)], barrier, out),
        )
        for p in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    outcomes = [o for r in results for o in r]
    evaluated = db.query(
        "SELECT COUNT(*) AS n FROM actions WHERE action = 'verify' AND outcome IN ('failed', 'ok') AND order_id = ?", (VICTIM,)
    )[0]["n"]
    assert evaluated == 3, outcomes  # 12 guesses, 3 compared, the rest refused unseen
    assert outcomes.count("mismatch") == 2 and outcomes.count("locked") == 10  # the third wrong pair locks the order


# --- through Agent.respond, on a private copy of the demo store --------------------------------------


@pytest.fixture
def shop(store_agent, store_settings, tmp_path):
    settings = private_store(store_settings, tmp_path)
    agent = private_agent(store_agent, settings)
    return agent, some_orders(agent.db, 12)


def test_guessing_over_ten_sessions_never_reaches_the_order(shop) -> None:
    agent, orders = shop
    (victim, email), _ = orders[0], orders[1]
    for i in range(10):  # 20 wrong guesses, two per fresh session
        s = sid("bf")
        agent.respond(s, f"where is my order {victim}? my email is guess{i}a@example.com")
        r = agent.respond(s, f"{victim} guess{i}b@example.com")
        assert not revealed(r)
    r = agent.respond(sid("bf"), f"where is my order {victim}? my email is {email}")  # now the right pair
    assert not revealed(r), r.text
    assert evaluated_guesses(agent.db, victim) == 3  # the rest were refused without comparing


def test_verifying_my_own_order_never_resets_the_victims_counter(shop) -> None:
    agent, orders = shop
    (victim, victim_email), (mine, my_email) = orders[2], orders[3]
    s = sid("iso")
    for i in range(3):
        agent.respond(s, f"status of {victim}, email x{i}@example.com")
        assert revealed(agent.respond(s, f"status of {mine}, my email is {my_email}"))  # my own order, in between
    owner = agent.respond(sid("owner"), f"status of {victim}, email {victim_email}")
    assert not revealed(owner)  # locked: three wrong pairs, whatever succeeded in between
    assert evaluated_guesses(agent.db, victim) == 3


def test_one_client_across_many_sessions_is_limited(shop) -> None:
    agent, orders = shop
    client = f"203.0.113.{uuid.uuid4().int % 250}"
    for i, (oid, _) in enumerate(orders[4:9]):  # five different orders, one wrong guess each, five sessions
        agent.respond(sid("cl"), f"where is {oid}? email nobody{i}@example.com", client_id=client)
    oid, email = orders[9]
    assert not revealed(agent.respond(sid("cl"), f"where is {oid}? email {email}", client_id=client))  # this client is locked
    assert revealed(agent.respond(sid("cl"), f"where is {oid}? email {email}", client_id="198.51.100.7"))  # others are not


def test_replies_never_say_which_half_was_wrong(shop) -> None:
    agent, orders = shop
    (a, a_email), (b, _) = orders[10], orders[11]
    unknown_id = agent.respond(sid("w"), f"where is ORD-99{a[-3:]}1? my email is {a_email}")
    wrong_email = agent.respond(sid("w"), f"where is {b}? my email is someone.else@example.com")
    assert unknown_id.text == wrong_email.text and not revealed(unknown_id) and not revealed(wrong_email)


def test_a_verified_order_is_used_only_when_the_message_names_it(shop) -> None:
    agent, orders = shop
    oid, email = orders[5]
    s = sid("named")
    assert revealed(agent.respond(s, f"where is {oid}? my email is {email}"))
    vague = agent.respond(s, "where is my order?")
    assert not revealed(vague) and oid not in vague.text  # whoever holds the session must name the order
    assert revealed(agent.respond(s, f"what about {oid}?"))  # named: no e-mail needed again in this session
    other = agent.respond(sid("other"), f"where is {oid}?")  # another session: verification is bound to the session
    assert not revealed(other) and "e-mail" in other.text


def test_verification_expires_after_idle_time(store_agent, store_settings, tmp_path) -> None:
    import time

    agent = private_agent(store_agent, private_store(store_settings, tmp_path, verification_idle_s=1))
    oid, email = some_orders(agent.db, 1, 6)[0]
    s = sid("idle")
    assert revealed(agent.respond(s, f"where is {oid}? my email is {email}"))
    time.sleep(1.3)
    again = agent.respond(s, f"where is {oid}?")
    assert not revealed(again) and "e-mail" in again.text


def test_the_email_under_verification_is_never_stored(shop) -> None:
    agent, orders = shop
    oid, email = orders[7]
    s = sid("mem")
    agent.respond(s, f"track my order, my email is {email}")  # e-mail first: kept (as a keyed digest) for the next turn
    state = agent.db.query("SELECT state_json FROM sessions WHERE session_id = ?", (s,))[0]["state_json"]
    assert email not in state and email.split("@")[0] not in state
    assert revealed(agent.respond(s, oid))  # the digest was enough to verify
    state = agent.db.query("SELECT state_json FROM sessions WHERE session_id = ?", (s,))[0]["state_json"]
    assert '"pending": null' in state  # dropped once verification ended


def _agent_process(home: str, order_id: str, guesses: list[str], barrier, out) -> None:
    import os

    os.environ["AISLE_HOME"] = home
    from agent.agent import Agent

    agent = Agent.from_settings()
    agent.warm_up()
    barrier.wait()
    replies = []
    for i in range(0, len(guesses), 2):
        s = sid("proc")
        agent.respond(s, f"where is {order_id}? my email is {guesses[i]}")
        replies.append(agent.respond(s, f"{order_id} {guesses[i + 1]}").action)
    out.put(replies)


def test_two_agent_processes_on_one_store_evaluate_at_most_n_guesses(store_agent, store_settings, tmp_path) -> None:
    settings = private_store(store_settings, tmp_path)
    oid, email = some_orders(Database(settings.db_path), 1, 8)[0]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_agent_process, args=(str(settings.home), oid, [f"p{p}-{i}@example.com" for i in range(6)], barrier, out)
        )
        for p in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(action is None for r in results for action in r)
    assert evaluated_guesses(Database(settings.db_path), oid) == 3  # 12 guesses from two processes, 3 compared
    owner = private_agent(store_agent, settings).respond(sid("owner"), f"where is {oid}? my email is {email}")
    assert not revealed(owner)  # and the order stays locked for everyone
