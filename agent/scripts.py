"""Scripted conversations (``aisle eval conversations --scripts F.jsonl``).

One JSON object per line: ``{"id", "turns": [{"user": "...", "expect": {...}}]}``. Each script
runs in a fresh session. Supported expectation keys (all optional):

``intent``, ``intent_in``, ``handoff``, ``action``, ``products_nonempty``,
``product_ids_include``, ``all_products`` (``max_price``, ``min_price``,
``category_contains``, ``brand``, ``text_contains_any``), ``reply_contains_any``,
``reply_not_contains``, ``citations_nonempty``, ``citation_ids_include``.

String comparisons on reply text are case-insensitive.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisle.errors import DataError
from aisle.fileio import read_jsonl

if TYPE_CHECKING:
    from agent.agent import Agent
    from agent.types import Reply
    from aisle.settings import Settings

EXPECT_KEYS = {
    "intent",
    "intent_in",
    "handoff",
    "action",
    "action_status",
    "products_nonempty",
    "product_ids_include",
    "all_products",
    "reply_contains_any",
    "reply_not_contains",
    "citations_nonempty",
    "citation_ids_include",
}
ALL_PRODUCTS_KEYS = {"max_price", "min_price", "category_contains", "brand", "text_contains_any"}


def load_scripts(path: Path) -> list[dict[str, Any]]:
    scripts = []
    for lineno, obj in read_jsonl(path):
        loc = f"{path}:{lineno}"
        if not isinstance(obj.get("id"), (str, int)) or not isinstance(obj.get("turns"), list) or not obj["turns"]:
            raise DataError('each script needs an "id" and a non-empty "turns" list', loc)
        for i, turn in enumerate(obj["turns"]):
            if not isinstance(turn, dict) or not isinstance(turn.get("user"), str):
                raise DataError(f'turn {i} needs a "user" string', loc)
            expect = turn.get("expect", {})
            if not isinstance(expect, dict):
                raise DataError(f'turn {i}: "expect" must be an object', loc)
            unknown = set(expect) - EXPECT_KEYS
            if unknown:
                raise DataError(f"turn {i}: unknown expectation(s) {sorted(unknown)}; supported: {sorted(EXPECT_KEYS)}", loc)
            bad = set(expect.get("all_products", {}) or {}) - ALL_PRODUCTS_KEYS
            if bad:
                raise DataError(
                    f"turn {i}: unknown all_products key(s) {sorted(bad)}; supported: {sorted(ALL_PRODUCTS_KEYS)}", loc
                )
        scripts.append(obj)
    return scripts


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def check(reply: Reply, expect: dict[str, Any]) -> list[str]:
    """Reasons the reply misses its expectations (empty when it passes)."""
    problems: list[str] = []
    text = reply.text.lower()
    if "intent" in expect and reply.intent != expect["intent"]:
        problems.append(f"intent {reply.intent!r} != {expect['intent']!r}")
    if "intent_in" in expect and reply.intent not in expect["intent_in"]:
        problems.append(f"intent {reply.intent!r} not in {expect['intent_in']}")
    if "handoff" in expect and reply.handoff != bool(expect["handoff"]):
        problems.append(f"handoff {reply.handoff} != {expect['handoff']}")
    if "action" in expect and reply.action != expect["action"]:
        problems.append(f"action {reply.action!r} != {expect['action']!r}")
    if "action_status" in expect and reply.action_status != expect["action_status"]:
        problems.append(f"action_status {reply.action_status!r} != {expect['action_status']!r}")
    if "products_nonempty" in expect and bool(reply.products) != bool(expect["products_nonempty"]):
        problems.append(f"products_nonempty expected {expect['products_nonempty']}, got {len(reply.products)} products")
    ids = {p.id for p in reply.products}
    for pid in _as_list(expect.get("product_ids_include", [])):
        if pid not in ids:
            problems.append(f"product {pid} not shown")
    rules = expect.get("all_products") or {}
    for p in reply.products:
        if "max_price" in rules and (p.price is None or p.price > rules["max_price"]):
            problems.append(f"product {p.id} price {p.price} > {rules['max_price']}")
        if "min_price" in rules and (p.price is None or p.price < rules["min_price"]):
            problems.append(f"product {p.id} price {p.price} < {rules['min_price']}")
        if "category_contains" in rules and str(rules["category_contains"]).lower() not in p.category.lower():
            problems.append(f"product {p.id} category {p.category!r} lacks {rules['category_contains']!r}")
        if "brand" in rules and (p.brand or "").lower() != str(rules["brand"]).lower():
            problems.append(f"product {p.id} brand {p.brand!r} != {rules['brand']!r}")
        if "text_contains_any" in rules:
            hay = f"{p.title} {p.category} {' '.join(p.attributes.values())}".lower()
            if not any(str(w).lower() in hay for w in _as_list(rules["text_contains_any"])):
                problems.append(f"product {p.id} ({p.title!r}) mentions none of {rules['text_contains_any']}")
    if "reply_contains_any" in expect and not any(str(w).lower() in text for w in _as_list(expect["reply_contains_any"])):
        problems.append(f"reply mentions none of {expect['reply_contains_any']}")
    for w in _as_list(expect.get("reply_not_contains", [])):
        if str(w).lower() in text:
            problems.append(f"reply contains forbidden {w!r}")
    if "citations_nonempty" in expect and bool(reply.citations) != bool(expect["citations_nonempty"]):
        problems.append(f"citations_nonempty expected {expect['citations_nonempty']}, got {[c.id for c in reply.citations]}")
    cites = {c.id for c in reply.citations}
    for cid in _as_list(expect.get("citation_ids_include", [])):
        if cid not in cites:
            problems.append(f"citation {cid} missing (got {sorted(cites)})")
    return problems


def isolated_agent(settings: Settings, workdir: Path) -> Agent:
    """An agent over a *copy* of the store's SQLite file: scripts may cancel orders and write
    turns without changing the live store or its analytics (Chroma is only read)."""
    import sqlite3

    from agent.agent import Agent as _Agent
    from agent.db import Database
    from agent.multilingual_router import language_router
    from agent.router import Router
    from retrieval.factory import build_stack

    copy = workdir / "aisle.db"
    if settings.db_path.exists():
        src = sqlite3.connect(settings.db_path)
        dst = sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        dst.close()
    settings.ensure_dirs()
    stack = build_stack(settings)
    return _Agent(settings, stack, Router(settings, multilingual=language_router(settings, stack)), Database(copy))


def run_scripts(settings: Settings, path: Path, agent: Agent | None = None) -> dict[str, Any]:
    """Run every script in a fresh session; a script passes when all its turns pass."""
    import tempfile

    scripts = load_scripts(path)
    if agent is None:
        with tempfile.TemporaryDirectory(prefix="aisle-eval-") as tmp:
            return run_scripts(settings, path, isolated_agent(settings, Path(tmp)))
    failures: list[dict[str, Any]] = []
    passed = 0
    for script in scripts:
        session = f"script-{script['id']}-{uuid.uuid4().hex[:8]}"
        ok = True
        for i, turn in enumerate(script["turns"]):
            reply = agent.respond(session, turn["user"])
            problems = check(reply, turn.get("expect", {}))
            if problems:
                ok = False
                failures.append(
                    {
                        "id": script["id"],
                        "turn": i,
                        "user": turn["user"],
                        "reason": "; ".join(problems),
                        "intent": reply.intent,
                        "confidence": reply.confidence,
                        "reply": reply.text[:300],
                    }
                )
                break
        passed += ok
    n = len(scripts)
    return {"n": n, "passed": passed, "pass_rate": round(passed / n, 4) if n else 0.0, "failures": failures}
