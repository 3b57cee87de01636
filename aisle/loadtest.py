"""Concurrent simulated shoppers over HTTP on loopback (used by ``aisle bench load`` and the test suite).

Each shopper has its own sessions, product category and demo order. Isolation is checked
exactly against an oracle: the same conversation run alone before the load.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

CATEGORIES = [("analog watch for men", "watches"), ("coffee mug", "mug"), ("gold ring", "jewellery"), ("women's boots", "footwear"),
              ("car sun shade", "automotive"), ("women's tops", "clothing"), ("phone wall charger", "mobiles")]


def call_chat(client: httpx.Client, url: str, message: str, session: str) -> dict[str, Any]:
    """Gradio's two-step HTTP API for ``/chat``: POST → event id → GET the SSE result."""
    r = client.post(f"{url}/gradio_api/call/chat", json={"data": [message, session]})
    r.raise_for_status()
    event = r.json()["event_id"]
    with client.stream("GET", f"{url}/gradio_api/call/chat/{event}") as resp:
        lines = list(resp.iter_lines())
    if "event: complete" not in lines:
        raise RuntimeError(f"chat call did not complete: {lines[-3:]}")
    data = next(line for line in lines if line.startswith("data:"))
    return json.loads(data[5:])[0]


@dataclass
class LoadResult:
    shoppers: int
    duration_s: float
    turns: int = 0
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * (len(lat) - 1)))], 1) if lat else None

        return {
            "shoppers": self.shoppers, "duration_s": round(self.duration_s, 1), "turns": self.turns,
            "throughput_turns_per_s": round(self.turns / self.duration_s, 2) if self.duration_s else 0.0,
            "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "errors": len(self.errors), "isolation_violations": len(self.violations),
            "first_errors": self.errors[:5], "first_violations": self.violations[:5],
        }


def conversation(query: str, oid: str, email: str) -> list[str]:
    return [query, "cheaper ones", f"where is my order {oid}? my email is {email}", "how long does delivery take?"]


def oracle(url: str) -> dict[str, list[list[str]]]:
    """Product ids of each category's search and refinement, run alone (the agent is deterministic)."""
    out = {}
    with httpx.Client(timeout=120) as client:
        for query, _ in CATEGORIES:
            session = f"oracle-{uuid.uuid4().hex[:8]}"
            out[query] = [[p["id"] for p in call_chat(client, url, text, session)["products"]] for text in (query, "cheaper ones")]
    return out


def run_load(url: str, orders: list[tuple[str, str]], shoppers: int = 50, duration_s: float = 20.0) -> LoadResult:
    """Run ``shoppers`` threads against ``url`` until ``duration_s`` elapses (each finishes its current turn).

    Each shopper repeats its conversation in fresh sessions; isolation is checked exactly:
    search and refinement results must equal the ones the same conversation gets alone, order
    replies must show the shopper's own order and nobody else's.
    """
    if len(orders) < shoppers:
        raise ValueError(f"need one order per shopper: {len(orders)} orders for {shoppers} shoppers")
    expected = oracle(url)
    result = LoadResult(shoppers, duration_s)
    lock = threading.Lock()
    all_ids = {oid for oid, _ in orders[:shoppers]}
    deadline = time.monotonic() + duration_s
    start = time.monotonic()

    def shopper(i: int) -> None:
        query, _ = CATEGORIES[i % len(CATEGORIES)]
        oid, email = orders[i]
        with httpx.Client(timeout=120) as client:
            loop = 0
            while time.monotonic() < deadline:
                session = f"load-{i}-{loop}-{uuid.uuid4().hex[:6]}"
                with lock:
                    result.sessions[session] = {"order_id": oid, "query": query}
                for step, text in enumerate(conversation(query, oid, email)):
                    if time.monotonic() >= deadline:
                        break
                    t0 = time.perf_counter()
                    try:
                        reply = call_chat(client, url, text, session)
                    except Exception as exc:  # counted, never fatal to the run
                        with lock:
                            result.errors.append(f"{session}: {type(exc).__name__}: {exc}")
                        break
                    ms = (time.perf_counter() - t0) * 1000
                    problems = []
                    others = sorted(x for x in all_ids if x != oid and x in reply["text"])
                    if others:
                        problems.append(f"{session} saw other orders {others}")
                    if step < 2 and [p["id"] for p in reply["products"]] != expected[query][step]:
                        problems.append(f"{session} step {step}: products differ from the same conversation run alone")
                    if step == 2 and oid not in reply["text"]:
                        problems.append(f"{session} did not get its own order {oid}: {reply['text'][:80]}")
                    with lock:
                        result.turns += 1
                        result.latencies_ms.append(ms)
                        result.violations.extend(problems)
                loop += 1

    threads = [threading.Thread(target=shopper, args=(i,), daemon=True) for i in range(shoppers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 180)
    result.duration_s = time.monotonic() - start
    return result
