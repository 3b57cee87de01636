"""Deterministic demo customers and orders (``aisle demo-data --seed N``).

Same seed → same customers, e-mails, order ids, statuses and dates whatever the catalog
(items are drawn from the catalog with a separate generator). Dates are placed
relative to an anchor day (today by default) so that every status the agent handles
exists: pending and processing (cancellable), shipped (in transit), delivered recently
(returnable) and long ago (outside the return window), cancelled and returned.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.orders import OrderStore, validate_order
from aisle.fileio import write_jsonl

if TYPE_CHECKING:
    from aisle.settings import Settings

FIRST = [
    "Asha",
    "Ravi",
    "Meera",
    "Arjun",
    "Priya",
    "Kabir",
    "Nisha",
    "Vikram",
    "Leela",
    "Omar",
    "Sara",
    "Dev",
    "Anita",
    "Rohan",
    "Zoya",
    "Imran",
    "Tara",
    "Karan",
    "Fatima",
    "Neel",
]
LAST = ["Sharma", "Iyer", "Khan", "Patel", "Das", "Menon", "Gupta", "Reddy", "Singh", "Bose", "Nair", "Joshi"]
CARRIERS = ["BlueDart", "Delhivery", "Ekart", "DTDC"]
# (status, days since placed) — a spread that exercises every order action
PLAN = [
    ("pending", 0),
    ("processing", 1),
    ("shipped", 3),
    ("delivered", 8),
    ("delivered", 45),
    ("cancelled", 12),
    ("returned", 60),
    ("processing", 2),
]


def build_orders(product_pool: list[tuple[str, str, float]], seed: int, customers: int, anchor: datetime) -> list[dict[str, Any]]:
    """Plain order dicts (the ``aisle ingest orders`` schema) over ``(id, title, price)`` products."""
    if not product_pool:
        raise ValueError("no products to put in orders; ingest a catalog first")
    rng = random.Random(seed)  # customers, statuses, dates: independent of the catalog
    pick = random.Random(seed + 1)  # items: depend on the catalog only through this generator
    orders: list[dict[str, Any]] = []
    number = 10000 + seed * 1000
    for c in range(customers):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{c}@example.com".lower()
        for k in range(rng.randint(1, 3)):
            status, age = PLAN[(c + k) % len(PLAN)]
            placed = anchor - timedelta(days=age + rng.random() * 0.5)
            items = []
            for pid, title, price in pick.sample(product_pool, k=min(len(product_pool), pick.randint(1, 3))):
                items.append({"product_id": pid, "qty": pick.randint(1, 2), "price": price, "title": title})
            number += 1
            order: dict[str, Any] = {
                "order_id": f"ORD-{number}",
                "email": email,
                "name": f"{first} {last}",
                "status": status,
                "items": [{k2: v for k2, v in it.items() if k2 != "title"} for it in items],
                "placed_at": placed.isoformat(timespec="seconds"),
                "total": round(sum(i["price"] * i["qty"] for i in items), 2),
                "currency": "INR",
            }
            if status in ("shipped", "delivered", "returned"):
                order["shipped_at"] = (placed + timedelta(days=1)).isoformat(timespec="seconds")
                order["carrier"] = rng.choice(CARRIERS)
                order["tracking_number"] = f"{order['carrier'][:2].upper()}{rng.randint(10**9, 10**10 - 1)}"
            if status in ("delivered", "returned"):
                order["delivered_at"] = (placed + timedelta(days=4)).isoformat(timespec="seconds")
            orders.append(order)
    return orders


def build_demo_orders(
    settings: Settings, seed: int = 7, customers: int = 40, out: Path | None = None, anchor: datetime | None = None
) -> dict[str, Any]:
    """Generate orders over the ingested catalog and load them into the order store."""
    from retrieval.factory import build_stack

    anchor = anchor or datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    catalog = build_stack(settings).retriever.catalog()
    pool = sorted((p.id, p.title, p.price) for p in catalog.records if p.price)
    raw = build_orders(pool, seed, customers, anchor)
    if out is not None:
        write_jsonl(out, raw)
    store = OrderStore(settings)
    inserted, updated = store.upsert([validate_order(o) for o in raw])
    delivered = next((o for o in raw if o["status"] == "delivered"), raw[0])
    return {
        "customers": customers,
        "orders": len(raw),
        "inserted": inserted,
        "updated": updated,
        "sample": f'"where is my order {delivered["order_id"]}? my email is {delivered["email"]}"',
    }
