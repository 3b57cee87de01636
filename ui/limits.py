"""Bounded work for the shopper app: in-flight turns, turns per session, sessions per client.

Both paths (the JSON API and the widget) go through one ``TurnGate``, so the limits hold
for the process as a whole. Counts live in this process's memory: with N server processes
behind one port each admits its own share (documented in README, "Scaling").
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aisle.errors import AisleError


class LimitExceeded(AisleError):
    """Over a limit; ``code`` names which, ``retry_after_s`` says when to try again."""

    def __init__(self, code: str, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after_s = max(1, retry_after_s)


class RateLimiter:
    """At most ``limit`` events per key in any ``window_s`` seconds (a sliding log per key).

    ``limit == 0`` means unlimited. Memory is bounded: idle keys are dropped once the
    table holds more than ``max_keys`` of them.
    """

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit, self.window_s, self.max_keys = limit, window_s, max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Record one event; returns 0 if allowed, else the seconds until one would be."""
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._events.get(key)
            if q is None:
                if len(self._events) >= self.max_keys:
                    self._prune(now)
                q = self._events[key] = deque()
            while q and q[0] <= now - self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return q[0] + self.window_s - now
            q.append(now)
            return 0.0

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may have another event (0: now), without recording one."""
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            q = [t for t in self._events.get(key, ()) if t > now - self.window_s]
            return q[0] + self.window_s - now if len(q) >= self.limit else 0.0

    def _prune(self, now: float) -> None:
        for k in [k for k, q in self._events.items() if not q or q[-1] <= now - self.window_s]:
            del self._events[k]


@dataclass
class GateStats:
    in_flight: int
    admitted: int
    rejected_busy: int
    rejected_rate: int


class TurnGate:
    """Admission for shopper turns: a global in-flight cap and a per-session rate."""

    def __init__(self, max_in_flight: int, turns_per_session_per_minute: int) -> None:
        self.max_in_flight = max_in_flight
        self.per_session = RateLimiter(turns_per_session_per_minute)
        self._in_flight = 0
        self._lock = threading.Lock()
        self._admitted = self._busy = self._rate = 0

    def acquire(self, session_id: str) -> None:
        """Take a slot or raise ``LimitExceeded``; pair every success with ``release()``."""
        with self._lock:
            if self._in_flight >= self.max_in_flight:
                self._busy += 1
                raise LimitExceeded(
                    "busy", f"the assistant is answering {self._in_flight} messages already; try again in a second", 1
                )
            wait = self.per_session.hit(session_id)
            if wait:
                self._rate += 1
                raise LimitExceeded(
                    "rate_limited",
                    f"too many messages in this conversation (limit {self.per_session.limit} a minute); "
                    f"try again in {math.ceil(wait)} s",
                    math.ceil(wait),
                )
            self._in_flight += 1
            self._admitted += 1

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @contextmanager
    def turn(self, session_id: str) -> Iterator[None]:
        self.acquire(session_id)
        try:
            yield
        finally:
            self.release()

    def stats(self) -> GateStats:
        with self._lock:
            return GateStats(self._in_flight, self._admitted, self._busy, self._rate)
