"""Order verification that can't be brute-forced, and rate limits on what strangers can send.

A shopper proves an order is theirs with the order id and the e-mail on it. Wrong pairs are
counted in SQLite (``security_counters``), so every session and every process on the store
shares the count:

* per **order id**: after ``max_verification_attempts`` wrong pairs within the window the
  order is locked for lookups, whoever asks, for ``verification_lockout_s``, doubling with
  each further lockout up to ``verification_lockout_max_s``;
* per **client** (a session token or IP from the HTTP layer; in-process, the session id):
  after ``max_verification_attempts_per_client`` wrong pairs the client is locked the same way.

The check, the comparison and the increment happen in one ``BEGIN IMMEDIATE`` transaction,
so two processes can't both evaluate a guess that only one of them may. A successful
verification clears only that order's failures; it never touches another order's counter
nor the client's. Results never say which half of the pair was wrong.

The e-mail under verification is never stored: the dialogue keeps an HMAC digest of it
(keyed with the store secret) until the pair is checked, then drops it. A verified order is
remembered in the session as ``order id → last use`` and expires after
``verification_idle_s`` without use.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from agent.db import ActionLog, Database, OrderRepository, SecurityCounters
from agent.orders import Order, OrderStore, normalize_order_id
from aisle.errors import RateLimitError

if TYPE_CHECKING:
    import sqlite3

    from agent.privacy import StoreSecret
    from aisle.settings import AgentSettings

log = logging.getLogger(__name__)

EMAIL_PURPOSE = "verify-email"
CLIENT_PURPOSE = "client"
_NOBODY = "nobody@invalid.invalid"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures a key may have in a window, and how long it is locked after that."""

    max_failures: int = 3
    window_s: float = 900.0
    lockout_s: float = 300.0
    lockout_max_s: float = 86400.0

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window_s <= 0 or self.lockout_s <= 0 or self.lockout_max_s < self.lockout_s:
            raise ValueError(f"invalid lockout policy {self!r}")

    def lock_for(self, previous_lockouts: int) -> float:
        """Exponential back-off: the first lockout lasts ``lockout_s``, each further one twice as long."""
        return float(min(self.lockout_s * 2 ** min(previous_lockouts, 30), self.lockout_max_s))


class Outcome(str, Enum):
    VERIFIED = "verified"
    MISMATCH = "mismatch"  # the pair is wrong: never says which half
    LOCKED = "locked"  # too many wrong pairs for this order or this client: nothing was compared


@dataclass
class VerificationResult:
    outcome: Outcome
    order: Order | None = None
    attempts_left: int = 0
    retry_after_s: float = 0.0


def email_digest(secret: StoreSecret, email: str) -> str:
    """What the dialogue keeps of the e-mail under verification (never the address itself)."""
    return secret.digest(email, EMAIL_PURPOSE)


class AttemptCounter:
    """Failure counting with windows and exponential lockouts over ``SecurityCounters`` (inside a caller's transaction)."""

    def __init__(self, policy: LockoutPolicy) -> None:
        self.policy = policy

    def locked_until(self, cur: sqlite3.Cursor, scope: str, key: str, now: float) -> float:
        row = SecurityCounters.read(cur, scope, key)
        return float(row["locked_until"]) if row is not None and row["locked_until"] > now else 0.0

    def failures(self, cur: sqlite3.Cursor, scope: str, key: str, now: float) -> int:
        row = SecurityCounters.read(cur, scope, key)
        if row is None or now - row["window_start"] > self.policy.window_s:
            return 0
        return int(row["failures"])

    def fail(self, cur: sqlite3.Cursor, scope: str, key: str, now: float) -> tuple[int, float]:
        """Count one failure; returns (failures in the window, locked until — 0 when not locked)."""
        p = self.policy
        row = SecurityCounters.read(cur, scope, key)
        failures, window_start, lockouts = 1, now, 0
        if row is not None:
            lockouts = int(row["lockouts"])
            if row["locked_until"] and now - row["locked_until"] > p.lockout_max_s:
                lockouts = 0  # a long quiet spell forgives earlier lockouts
            if now - row["window_start"] <= p.window_s:
                failures, window_start = int(row["failures"]) + 1, float(row["window_start"])
        locked_until = 0.0
        if failures >= p.max_failures:
            locked_until = now + p.lock_for(lockouts)
            lockouts += 1
        SecurityCounters.write(cur, scope, key, failures, window_start, locked_until, lockouts, now)
        return failures, locked_until

    @staticmethod
    def forget(cur: sqlite3.Cursor, scope: str, key: str) -> None:
        SecurityCounters.clear(cur, scope, key)


class OrderVerifier:
    """Checks an (order id, e-mail digest) pair at most N times per order and per client in a window."""

    ORDER_SCOPE = "verify_order"
    CLIENT_SCOPE = "verify_client"

    def __init__(
        self,
        db: Database,
        secret: StoreSecret,
        per_order: LockoutPolicy,
        per_client: LockoutPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.secret = secret
        self.orders = AttemptCounter(per_order)
        self.clients = AttemptCounter(per_client)
        self.clock = clock

    @classmethod
    def from_settings(
        cls, db: Database, secret: StoreSecret, agent: AgentSettings, clock: Callable[[], float] = time.time
    ) -> OrderVerifier:
        window, base, cap = (
            agent.verification_window_s,
            agent.verification_lockout_s,
            max(agent.verification_lockout_max_s, agent.verification_lockout_s),
        )
        return cls(
            db,
            secret,
            LockoutPolicy(agent.max_verification_attempts, window, base, cap),
            LockoutPolicy(agent.max_verification_attempts_per_client, window, base, cap),
            clock,
        )

    def client_key(self, client_id: str) -> str:
        return self.secret.digest(client_id, CLIENT_PURPOSE)

    def locked(self, order_id: str | None, client_id: str) -> float:
        """Seconds until this client (and, if given, this order) may try again; 0 when it may now."""
        now = self.clock()
        with self.db.transaction() as cur:
            until = self.clients.locked_until(cur, self.CLIENT_SCOPE, self.client_key(client_id), now)
            if order_id:
                until = max(until, self.orders.locked_until(cur, self.ORDER_SCOPE, normalize_order_id(order_id), now))
        return max(0.0, until - now)

    def verify(self, order_id: str, digest: str, client_id: str, session_id: str | None = None) -> VerificationResult:
        """Compare the pair, unless the order or the client is locked; count a wrong pair against both."""
        oid, ckey, now = normalize_order_id(order_id), self.client_key(client_id), self.clock()
        with self.db.transaction() as cur:
            until = max(
                self.orders.locked_until(cur, self.ORDER_SCOPE, oid, now),
                self.clients.locked_until(cur, self.CLIENT_SCOPE, ckey, now),
            )
            if until:
                self._record(cur, "locked", oid, session_id, ckey)
                return VerificationResult(Outcome.LOCKED, retry_after_s=until - now)
            row = OrderRepository.get_for_update(cur, oid)
            # the same work whether or not the order exists: no timing tells them apart
            ok = self.secret.matches(digest, row["email"] if row is not None else _NOBODY, EMAIL_PURPOSE) and row is not None
            if ok:
                AttemptCounter.forget(cur, self.ORDER_SCOPE, oid)  # this order only; the client's count stays
                self._record(cur, "ok", oid, session_id, ckey)
                return VerificationResult(Outcome.VERIFIED, OrderStore.order_from_row(row))
            n_order, order_locked = self.orders.fail(cur, self.ORDER_SCOPE, oid, now)
            n_client, client_locked = self.clients.fail(cur, self.CLIENT_SCOPE, ckey, now)
            self._record(cur, "failed", oid, session_id, ckey)
            if order_locked or client_locked:
                log.warning(
                    "verification locked (order %s: %d failures, client %s…: %d failures)", oid, n_order, ckey[:8], n_client
                )
                return VerificationResult(Outcome.LOCKED, retry_after_s=max(order_locked, client_locked) - now)
            left = min(self.orders.policy.max_failures - n_order, self.clients.policy.max_failures - n_client)
            return VerificationResult(Outcome.MISMATCH, attempts_left=max(1, left))

    @staticmethod
    def _record(cur: sqlite3.Cursor, outcome: str, order_id: str, session_id: str | None, client_key: str) -> None:
        ActionLog.record(cur, "verify", outcome, order_id, session_id, {"client": client_key[:12]})


class RateLimiter:
    """At most ``limit`` events per key per window (fixed windows in ``security_counters``)."""

    def __init__(self, db: Database, secret: StoreSecret, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.secret = secret
        self.clock = clock

    def hit(self, limits: list[tuple[str, str, int, float, str]]) -> None:
        """Count one event against every ``(scope, key, limit, window_s, what)``; raise ``RateLimitError`` if any is over.

        All keys are checked before any is counted, in one transaction, so a refused event costs nothing.
        """
        now = self.clock()
        with self.db.transaction() as cur:
            rows = []
            for scope, key, limit, window_s, what in limits:
                digest = self.secret.digest(key, scope)
                row = SecurityCounters.read(cur, scope, digest)
                fresh = row is None or now - row["window_start"] > window_s
                count, start = (0, now) if fresh else (int(row["failures"]), float(row["window_start"]))
                if count >= limit:
                    wait = start + window_s - now
                    raise RateLimitError(
                        f"too many {what}: at most {limit} per {_span(window_s)}; try again in {_span(wait)}", wait
                    )
                rows.append((scope, digest, count + 1, start))
            for scope, digest, count, start in rows:
                SecurityCounters.write(cur, scope, digest, count, start, 0.0, 0, now)


def _span(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds % 3600 == 0:
        return "hour" if seconds == 3600 else f"{seconds // 3600} hours"
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


# --- verified orders in the session state -------------------------------------------------------------
def grant(verified: dict[str, Any], order_id: str, now: float) -> None:
    """Remember that this session verified ``order_id`` (``order id → last use``, epoch seconds)."""
    verified[normalize_order_id(order_id)] = float(now)


def usable(verified: dict[str, Any], order_id: str | None, now: float, idle_s: float) -> bool:
    """Is ``order_id`` verified in this session and used within ``idle_s``? Refreshes its last use if so."""
    if not order_id:
        return False
    oid = normalize_order_id(order_id)
    last = verified.get(oid)
    if not isinstance(last, (int, float)) or now - float(last) > idle_s:
        verified.pop(oid, None)  # expired, or written by an older version (an e-mail hash): verify again
        return False
    verified[oid] = float(now)
    return True


def prune(verified: dict[str, Any], now: float, idle_s: float) -> None:
    """Drop every verification idle for longer than ``idle_s``."""
    for oid in [o for o, last in verified.items() if not isinstance(last, (int, float)) or now - float(last) > idle_s]:
        del verified[oid]
