"""Concurrent simulated shoppers, in-process or over HTTP on loopback (``aisle bench load``, tests).

Three ways to reach the same agent, measured side by side in one run:

* ``in_process``: threads calling ``Agent.respond`` (the ceiling the serving layer is compared with);
* ``json_api``: ``POST /api/session`` + ``POST /api/chat`` (the JSON API, no Gradio queue);
* ``widget``: what a browser does (``/api/widget/new-conversation`` for the session cookie,
  then Gradio's ``/gradio_api/queue/join`` + ``/queue/data`` event stream, replies streamed).

Each shopper repeats one conversation (search, refine, check its own order, a policy
question) in fresh sessions until the time is up. Isolation is checked exactly against an
oracle, the same conversation run alone first: search and refinement must return the same
products, and an order reply must show the shopper's own order and nobody else's.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import httpx

if TYPE_CHECKING:
    from agent.agent import Agent
    from aisle.settings import Settings

CATEGORIES = [
    ("analog watch for men", "watches"),
    ("coffee mug", "mug"),
    ("gold ring", "jewellery"),
    ("women's boots", "footwear"),
    ("car sun shade", "automotive"),
    ("women's tops", "clothing"),
    ("phone wall charger", "mobiles"),
]
PRODUCT_ID_RE = re.compile(r'data-product-id="([^"]+)"')


class Rejected(Exception):
    """The server shed the request (HTTP 429); ``retry_after_s`` says when to come back."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"429, retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class ChatClient(Protocol):
    """One simulated shopper's connection: start a conversation, say something, get the reply as JSON."""

    def new_session(self) -> str: ...

    def say(self, text: str) -> dict[str, Any]: ...

    def close(self) -> None: ...


class InProcessClient:
    def __init__(self, agent: Agent) -> None:
        self.agent, self.session = agent, ""

    def new_session(self) -> str:
        self.session = f"load-{uuid.uuid4().hex}"
        return self.session

    def say(self, text: str) -> dict[str, Any]:
        from ui.shopper import reply_json

        return reply_json(self.agent.respond(self.session, text))

    def close(self) -> None:
        pass


class JsonApiClient:
    def __init__(self, url: str) -> None:
        self.url, self.http, self.token = url, httpx.Client(timeout=120), ""

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = self.http.post(f"{self.url}{path}", json=body)
        if r.status_code == 429:
            raise Rejected(float(r.headers.get("retry-after", "1")))
        r.raise_for_status()
        return r.json()

    def new_session(self) -> str:
        self.token = self._post("/api/session")["session"]
        return self.token.split(".")[1]

    def say(self, text: str) -> dict[str, Any]:
        return self._post("/api/chat", {"session": self.token, "message": text})

    def close(self) -> None:
        self.http.close()


@dataclass(frozen=True)
class WidgetEvent:
    fn_index: int
    trigger_id: int

    @classmethod
    def of(cls, url: str, api_name: str = "send", http: httpx.Client | None = None) -> WidgetEvent:
        """An event of the Gradio app at ``url`` by its function name, from the page config (as a browser finds it)."""
        r = (http or httpx).get(f"{url}/config", timeout=30)
        deps = r.raise_for_status().json()["dependencies"]
        dep = next(d for d in deps if d.get("api_name") == api_name)
        return cls(int(dep["id"]), int(dep["targets"][0][0]) if dep.get("targets") else 0)


def queue_call(http: httpx.Client, url: str, event: WidgetEvent, data: list[Any], session_hash: str) -> dict[str, Any]:
    """One Gradio event as a browser sends it: ``/gradio_api/queue/join``, then its ``process_completed`` message
    from the ``/gradio_api/queue/data`` stream. Raises ``httpx.HTTPStatusError`` when the join is refused."""
    body = {
        "data": data,
        "fn_index": event.fn_index,
        "trigger_id": event.trigger_id,
        "session_hash": session_hash,
        "event_data": None,
    }
    r = http.post(f"{url}/gradio_api/queue/join", json=body)
    r.raise_for_status()
    event_id = r.json()["event_id"]
    with http.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session_hash}) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("event_id") == event_id and msg.get("msg") == "process_completed":
                    return msg
    raise RuntimeError("the event stream ended before the event completed")


class WidgetClient:
    """Drives the Gradio widget over HTTP exactly as its page does (cookie session, queue, event stream)."""

    def __init__(self, url: str, event: WidgetEvent) -> None:
        self.url, self.event = url, event
        self.http = httpx.Client(timeout=120)
        self.history: list[Any] = []
        self.session_hash = ""

    def new_session(self) -> str:
        r = self.http.post(f"{self.url}/api/widget/new-conversation")
        if r.status_code == 429:
            raise Rejected(float(r.headers.get("retry-after", "1")))
        if r.status_code != 303:
            raise RuntimeError(f"new conversation: HTTP {r.status_code} {r.text[:100]}")
        self.history, self.session_hash = [], secrets.token_hex(6)
        return self.http.cookies.get("aisle_shopper", "").split(".")[1]

    def say(self, text: str) -> dict[str, Any]:
        done = queue_call(self.http, self.url, self.event, [text, self.history, None], self.session_hash)
        if not done.get("success"):
            raise RuntimeError(f"widget event failed: {str(done.get('output'))[:200]}")
        data = done["output"]["data"]
        self.history = data[0]
        last = self.history[-1]["content"]
        text_out = "".join(part.get("text", "") for part in last) if isinstance(last, list) else str(last)
        cards = data[3] if isinstance(data[3], str) else ""
        return {"text": text_out, "products": [{"id": pid} for pid in PRODUCT_ID_RE.findall(cards)]}

    def close(self) -> None:
        self.http.close()


# --- the load ---------------------------------------------------------------------------------
@dataclass
class LoadResult:
    path: str
    shoppers: int
    duration_s: float
    turns: int = 0
    shed: int = 0
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * (len(lat) - 1)))], 1) if lat else None

        return {
            "path": self.path,
            "shoppers": self.shoppers,
            "duration_s": round(self.duration_s, 1),
            "turns": self.turns,
            "throughput_turns_per_s": round(self.turns / self.duration_s, 2) if self.duration_s else 0.0,
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "errors": len(self.errors),
            "isolation_violations": len(self.violations),
            "shed_429_retried": self.shed,
            "first_errors": self.errors[:5],
            "first_violations": self.violations[:5],
        }


def conversation(query: str, oid: str, email: str) -> list[str]:
    return [query, "cheaper ones", f"where is my order {oid}? my email is {email}", "how long does delivery take?"]


def oracle(client: ChatClient) -> dict[str, list[list[str]]]:
    """Product ids of each category's search and refinement, each run alone (the agent is deterministic)."""
    out = {}
    try:
        for query, _ in CATEGORIES:
            client.new_session()
            out[query] = [[p["id"] for p in client.say(text)["products"]] for text in (query, "cheaper ones")]
    finally:
        client.close()
    return out


def run_load(
    make_client: Callable[[], ChatClient],
    orders: list[tuple[str, str]],
    shoppers: int = 50,
    duration_s: float = 20.0,
    expected: dict[str, list[list[str]]] | None = None,
    path: str = "",
) -> LoadResult:
    """Run ``shoppers`` threads until ``duration_s`` elapses (each finishes its current turn).

    Shopper ``i`` checks order ``orders[i % len(orders)]``. A 429 is not an error: the shopper
    waits ``Retry-After`` and sends again, and the retry is counted as ``shed``.
    """
    if not orders:
        raise ValueError("need at least one order")
    expected = expected if expected is not None else oracle(make_client())
    result = LoadResult(path, shoppers, duration_s)
    lock = threading.Lock()
    all_ids = {oid for oid, _ in orders[:shoppers]}
    start = time.monotonic()
    deadline = start + duration_s

    def call(fn: Callable[[], Any]) -> Any:
        while True:
            try:
                return fn()
            except Rejected as exc:
                with lock:
                    result.shed += 1
                time.sleep(min(exc.retry_after_s, max(0.0, deadline - time.monotonic())) or 0.01)
                if time.monotonic() >= deadline:
                    raise TimeoutError("shed until the end of the run") from None

    def shopper(i: int) -> None:
        query, _ = CATEGORIES[i % len(CATEGORIES)]
        oid, email = orders[i % len(orders)]
        client = make_client()
        try:
            while time.monotonic() < deadline:
                try:
                    session = call(client.new_session)
                except TimeoutError:
                    break
                except Exception as exc:  # noqa: BLE001 (any failure is counted, never fatal to the run)
                    with lock:
                        result.errors.append(f"shopper {i} new session: {type(exc).__name__}: {exc}")
                    break
                with lock:
                    result.sessions[session] = {"order_id": oid, "query": query}
                for step, text in enumerate(conversation(query, oid, email)):
                    if time.monotonic() >= deadline:
                        break
                    t0 = time.perf_counter()
                    try:
                        reply = call(lambda text=text: client.say(text))
                    except TimeoutError:
                        break
                    except Exception as exc:  # noqa: BLE001 (counted)
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
        finally:
            client.close()

    threads = [threading.Thread(target=shopper, args=(i,), daemon=True) for i in range(shoppers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 180)
    result.duration_s = time.monotonic() - start
    return result


# --- the benchmark ------------------------------------------------------------------------------
def store_orders(agent: Agent) -> list[tuple[str, str]]:
    from agent.db import OrderRepository

    return [(r["order_id"], r["email"]) for r in OrderRepository(agent.db).credentials()]


def bench_settings(settings: Settings) -> Settings:
    """The store's settings with the abuse limits opened for a load test from one address.

    The in-flight cap stays as configured (its 429s are retried and counted), as does the thread pool.
    """
    http = settings.http.model_copy(update={"sessions_per_client_per_minute": 0, "turns_per_session_per_minute": 0})
    staff = settings.staff.model_copy(update={"enabled": False})
    return settings.model_copy(update={"http": http, "staff": staff})


def sqlite_write_ceiling(db_path: Any, threads: int = 4, duration_s: float = 3.0) -> dict[str, Any]:
    """Turn-shaped write transactions per second on a copy of the store's database: the ceiling
    SQLite puts on turns/s over all processes sharing it (one writer at a time; reads don't block).

    Each transaction is what a turn commits: the session's state upserted and one turn row appended.
    """
    from agent.db import Database, SessionRepository, TurnLog

    db = Database(db_path)
    state = json.dumps(
        {"last_query": "coffee mug", "last_filters": {"price_max": 500}, "last_results": [f"P{i}" for i in range(10)]}
    )
    row = {
        "user_text": "coffee mug under 500",
        "reply_text": "Here's what I found… " * 8,
        "intent": "product_search",
        "confidence": 0.93,
        "is_oos": 0,
        "top_k_json": "[]",
        "slots_json": "{}",
        "product_ids_json": json.dumps([f"P{i}" for i in range(5)]),
        "citation_ids_json": "[]",
        "action": None,
        "handoff": 0,
        "handoff_reason": None,
        "latency_ms": 11.0,
        "model_version": "bench",
        "degraded": 0,
        "text_hash": "x",
        "resolved": 1,
    }
    count = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration_s

    def writer(i: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            sid = f"ceiling-{i}-{n // 4}"
            with db.transaction() as cur:
                SessionRepository.save(cur, sid, state)
                TurnLog.append(cur, sid, row)
            n += 1
        with lock:
            count[0] += n

    start = time.monotonic()
    pool = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    return {"threads": threads, "transactions": count[0], "per_s": round(count[0] / elapsed, 1)}


def bench(settings: Settings, levels: list[int] | None = None, duration_s: float = 15.0) -> dict[str, Any]:
    """In-process vs JSON API vs widget at each level of concurrent shoppers, on a copy of the store's database."""
    import shutil
    import socket
    import sqlite3
    import tempfile
    from pathlib import Path

    from agent.agent import Agent
    from agent.db import Database
    from agent.router import Router
    from aisle.errors import AisleError
    from finetune.registry import ModelRegistry
    from retrieval.factory import build_stack
    from ui.server import serve

    levels = levels or [10, 50, 200]
    if ModelRegistry(settings.intent_models_dir).current() is None:
        raise AisleError(f"no intent router in {settings.intent_models_dir}; run `aisle setup` first")
    if not settings.db_path.exists():
        raise AisleError(f"no store database at {settings.db_path}; run `aisle setup` first")
    tmp = Path(tempfile.mkdtemp(prefix="aisle-bench-load-"))
    try:
        src, dst = sqlite3.connect(settings.db_path), sqlite3.connect(tmp / "aisle.db")
        with dst:
            src.backup(dst)  # the turns the benchmark writes never reach the store's analytics
        src.close()
        dst.close()
        db = Database(tmp / "aisle.db")
        orders = [(r["order_id"], r["email"]) for r in db.query("SELECT order_id, email FROM orders ORDER BY order_id")]
        if not orders:
            raise AisleError(
                "the store has no orders (the load test checks each shopper's own order); "
                "run `aisle setup` (demo orders) or `aisle ingest orders FILE` first"
            )
        agent = Agent(settings, build_stack(settings), Router(settings), db)
        agent.warm_up()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        served_settings = bench_settings(settings)
        server = serve(served_settings, host="127.0.0.1", port=port, block=False, agent=agent)
        url = f"http://127.0.0.1:{port}"
        try:
            expected = oracle(InProcessClient(agent))
            event = WidgetEvent.of(url)
            paths: dict[str, Callable[[], ChatClient]] = {
                "in_process": lambda: InProcessClient(agent),
                "json_api": lambda: JsonApiClient(url),
                "widget": lambda: WidgetClient(url, event),
            }
            for name, make in paths.items():  # warm each path (connections, caches) before measuring
                run_load(make, orders, shoppers=4, duration_s=2, expected=expected, path=name)
            rows = []
            for n in levels:
                row: dict[str, Any] = {"shoppers": n}
                for name, make in paths.items():
                    row[name] = run_load(make, orders, shoppers=n, duration_s=duration_s, expected=expected, path=name).summary()
                base = row["in_process"]["throughput_turns_per_s"] or None
                for name in ("json_api", "widget"):
                    row[f"{name}_ratio_to_in_process"] = round(row[name]["throughput_turns_per_s"] / base, 3) if base else None
                rows.append(row)
        finally:
            server.stop()
        ceiling = [sqlite_write_ceiling(tmp / "aisle.db", threads=t) for t in (1, 8)]
        http = served_settings.http
        at50 = next((r for r in rows if r["shoppers"] == 50), None)
        return {
            "benchmark": "load",
            "transport": "loopback 127.0.0.1; uvicorn (one process) serving FastAPI: JSON API on a thread pool, the widget through Gradio's queue",
            "baseline": "in-process Agent.respond from the same number of threads, same conversations, same run",
            "conversation": conversation("<category query>", "<own order id>", "<own e-mail>"),
            "duration_s_per_cell": duration_s,
            "server_limits": {
                "max_in_flight_turns": http.max_in_flight_turns,
                "worker_threads": http.worker_threads,
                "widget_concurrency": http.widget_concurrency,
                "opened_for_the_run": "sessions_per_client_per_minute and turns_per_session_per_minute (all shoppers share 127.0.0.1)",
            },
            "orders": len(orders),
            "rows": rows,
            "sqlite_turn_writes_per_s": ceiling,
            "target": {
                "json_api_ratio_at_50": ">= 0.6, 0 errors, 0 isolation violations",
                "met": bool(
                    at50
                    and (at50["json_api_ratio_to_in_process"] or 0) >= 0.6
                    and at50["json_api"]["errors"] == 0
                    and at50["json_api"]["isolation_violations"] == 0
                ),
            },
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
