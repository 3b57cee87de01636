"""The order store (SQLite): loading orders, verification, and the actions the agent may take.

Every action, allowed or denied, is recorded in ``actions``. Verification needs both the
order id and the e-mail on the order, compared in constant time; a wrong pair never tells
the caller whether the order exists. The dialogue verifies through
``agent.verification.OrderVerifier``, which also limits guesses; loading orders marks the
store (``agent.store_health``) so that losing them later raises the alarm.
"""

from __future__ import annotations

import hmac
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.db import ActionLog, Database, OrderRepository
from agent.privacy import EMAIL_RE
from agent.store_health import mark_store
from aisle.errors import DataError, NotFoundError
from aisle.fileio import scan_jsonl

if TYPE_CHECKING:
    from aisle.settings import Settings

STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
CANCELLABLE_STATUSES = ("pending", "processing")  # defaults of Settings.agent.cancellable_statuses
RETURNABLE_STATUSES = ("delivered",)  # defaults of Settings.agent.returnable_statuses
ORDER_FIELDS = {
    "order_id",
    "email",
    "name",
    "status",
    "items",
    "placed_at",
    "shipped_at",
    "carrier",
    "tracking_number",
    "delivered_at",
    "total",
    "currency",
}


@dataclass
class Order:
    order_id: str
    email: str
    name: str
    status: str
    items: list[dict[str, Any]] = field(default_factory=list)
    placed_at: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    total: float | None = None
    currency: str = "INR"
    return_status: str | None = None
    return_requested_at: str | None = None
    refund_status: str | None = None
    refund_amount: float | None = None
    refund_issued_at: str | None = None

    # --- eligibility: the one home of the cancel/return rules (used by OrderStore and the order flow) ---
    def is_cancellable(self, statuses: Sequence[str] = CANCELLABLE_STATUSES) -> bool:
        """Whether the order may still be cancelled (it has not left the warehouse)."""
        return self.status in statuses

    def days_since_delivery(self, now: datetime) -> int | None:
        return (now - datetime.fromisoformat(self.delivered_at)).days if self.delivered_at else None

    def return_denial(self, now: datetime, window_days: int, statuses: Sequence[str] = RETURNABLE_STATUSES) -> str | None:
        """Why a return cannot start now (``already_requested``, ``not_delivered``, ``window_passed``), or ``None``."""
        if self.return_status:
            return "already_requested"
        age = self.days_since_delivery(now)
        if self.status not in statuses or age is None:
            return "not_delivered"
        return "window_passed" if age > window_days else None

    def is_returnable(self, now: datetime, window_days: int, statuses: Sequence[str] = RETURNABLE_STATUSES) -> bool:
        """Whether a return may start now: delivered, within ``window_days``, none requested yet."""
        return self.return_denial(now, window_days, statuses) is None


@dataclass
class ActionResult:
    ok: bool
    action: str
    message_key: str  # which template the composer uses
    order: Order | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def normalize_order_id(raw: str) -> str:
    m = re.search(r"(\d{4,10})", raw or "")
    return f"ORD-{m.group(1)}" if m else (raw or "").strip().upper()


def _parse_date(value: Any, field_name: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{field_name} is not an ISO date: {str(value)[:30]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat(timespec="seconds")


def validate_order(obj: dict[str, Any]) -> Order:
    """One order row in the documented schema, or ``ValueError`` with the reason."""
    unknown = set(obj) - ORDER_FIELDS
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}")
    oid = normalize_order_id(str(obj.get("order_id") or ""))
    if not oid:
        raise ValueError("missing order_id")
    email = str(obj.get("email") or "").strip().lower()
    if not EMAIL_RE.fullmatch(email):
        raise ValueError(f"invalid email {email[:40]!r}")
    status = str(obj.get("status") or "").strip().lower()
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
    items = obj.get("items") or []
    if not isinstance(items, list) or not items:
        raise ValueError("items must be a non-empty list")
    clean_items = []
    for it in items:
        if not isinstance(it, dict) or not it.get("product_id"):
            raise ValueError("each item needs a product_id")
        qty = it.get("qty", 1)
        if not isinstance(qty, int) or qty < 1:
            raise ValueError(f"qty must be a positive integer, got {qty!r}")
        price = it.get("price")
        if price is not None and (not isinstance(price, (int, float)) or price < 0):
            raise ValueError(f"price must be a non-negative number, got {price!r}")
        clean_items.append(
            {
                "product_id": str(it["product_id"]),
                "qty": qty,
                "price": price,
                **({"title": it["title"]} if it.get("title") else {}),
            }
        )
    total = obj.get("total")
    if total is not None and (not isinstance(total, (int, float)) or total < 0):
        raise ValueError(f"total must be a non-negative number, got {total!r}")
    return Order(
        order_id=oid,
        email=email,
        name=str(obj.get("name") or "").strip(),
        status=status,
        items=clean_items,
        placed_at=_parse_date(obj.get("placed_at"), "placed_at"),
        shipped_at=_parse_date(obj.get("shipped_at"), "shipped_at"),
        delivered_at=_parse_date(obj.get("delivered_at"), "delivered_at"),
        carrier=(str(obj["carrier"]).strip() or None) if obj.get("carrier") else None,
        tracking_number=(str(obj["tracking_number"]).strip() or None) if obj.get("tracking_number") else None,
        total=float(total) if total is not None else float(sum((i["price"] or 0) * i["qty"] for i in clean_items)),
        currency=str(obj.get("currency") or "INR").upper(),
    )


class OrderStore:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.db_path)
        self.rows = OrderRepository(self.db)

    # --- loading ---------------------------------------------------------------------------
    def upsert(self, orders: list[Order]) -> tuple[int, int]:
        inserted = updated = 0
        with self.db.transaction() as cur:
            for o in orders:
                new = OrderRepository.upsert(cur, {
                    "order_id": o.order_id, "email": o.email, "name": o.name, "status": o.status, "items_json": json.dumps(o.items),
                    "placed_at": o.placed_at, "shipped_at": o.shipped_at, "delivered_at": o.delivered_at, "carrier": o.carrier,
                    "tracking_number": o.tracking_number, "total": o.total, "currency": o.currency,
                })  # fmt: skip
                if new:
                    inserted += 1
                else:
                    updated += 1
        if orders:
            mark_store(self.settings, self.db)  # the store now has orders: losing them later is an alarm
        return inserted, updated

    def ingest(self, path: Path) -> dict[str, Any]:
        """Load a JSONL of orders; bad rows are rejected with ``file:line`` and the rest loaded."""
        orders: list[Order] = []
        rejections: list[str] = []
        read = 0
        for lineno, obj, error in scan_jsonl(path):
            read += 1
            if error or obj is None:
                rejections.append(f"{path}:{lineno}: {error}")
                continue
            try:
                orders.append(validate_order(obj))
            except ValueError as exc:
                rejections.append(f"{path}:{lineno}: {exc}")
        if read and not orders:
            raise DataError(f"no valid orders in {path}; first problems: " + "; ".join(rejections[:3]))
        inserted, updated = self.upsert(orders)
        return {
            "rows_read": read,
            "loaded": len(orders),
            "inserted": inserted,
            "updated": updated,
            "rejected": len(rejections),
            "rejections": rejections[:50],
        }

    # --- reads -----------------------------------------------------------------------------
    @staticmethod
    def order_from_row(r: sqlite3.Row) -> Order:
        d = dict(r)
        d["items"] = json.loads(d.pop("items_json") or "[]")
        d.pop("updated_at", None)
        return Order(**d)

    def _row_to_order(self, r: sqlite3.Row) -> Order:
        return self.order_from_row(r)

    def get(self, order_id: str) -> Order:
        row = self.rows.get(normalize_order_id(order_id))
        if row is None:
            raise NotFoundError(f"unknown order {order_id}")
        return self._row_to_order(row)

    def verify(self, order_id: str, email: str) -> Order | None:
        """The order if ``email`` is the one on it; ``None`` otherwise (whether or not it exists).

        Unguarded: nothing counts or limits the guesses. Anything a stranger can reach goes through
        ``agent.verification.OrderVerifier`` (failures counted per order and per client); this is for
        staff tools and tests.
        """
        row = self.rows.get(normalize_order_id(order_id))
        stored = row["email"] if row is not None else "nobody@invalid.invalid"
        ok = hmac.compare_digest(stored.encode(), (email or "").strip().lower().encode())
        return self._row_to_order(row) if (row is not None and ok) else None

    def count(self) -> int:
        return self.rows.count()

    # --- actions ---------------------------------------------------------------------------
    def _record(
        self, cur: sqlite3.Cursor, action: str, outcome: str, order_id: str | None, session_id: str | None, detail: dict[str, Any]
    ) -> None:
        ActionLog.record(cur, action, outcome, order_id, session_id, detail)

    def record(
        self, action: str, outcome: str, order_id: str | None, session_id: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        with self.db.transaction() as cur:
            self._record(cur, action, outcome, order_id, session_id, detail or {})

    def cancel(self, order_id: str, session_id: str | None = None) -> ActionResult:
        with self.db.transaction() as cur:
            row = OrderRepository.get_for_update(cur, order_id)
            if row is None:
                raise NotFoundError(f"unknown order {order_id}")
            order = self._row_to_order(row)
            if order.status == "cancelled":
                self._record(cur, "cancel_order", "already_cancelled", order_id, session_id, {})
                return ActionResult(False, "cancel_order", "cancel_already", order)
            if not order.is_cancellable(self.settings.agent.cancellable_statuses):
                self._record(cur, "cancel_order", "denied", order_id, session_id, {"status": order.status})
                return ActionResult(False, "cancel_order", "cancel_denied", order, {"status": order.status})
            OrderRepository.mark_cancelled(cur, order_id)
            self._record(
                cur, "cancel_order", "done", order_id, session_id, {"previous_status": order.status, "refund": order.total}
            )
        return ActionResult(True, "cancel_order", "cancel_done", self.get(order_id))

    def start_return(self, order_id: str, session_id: str | None = None, now: datetime | None = None) -> ActionResult:
        now = now or datetime.now(UTC)
        window = self.settings.agent.return_window_days
        with self.db.transaction() as cur:
            row = OrderRepository.get_for_update(cur, order_id)
            if row is None:
                raise NotFoundError(f"unknown order {order_id}")
            order = self._row_to_order(row)
            denial = order.return_denial(now, window, self.settings.agent.returnable_statuses)
            if denial == "already_requested":
                self._record(cur, "start_return", "already_requested", order_id, session_id, {})
                return ActionResult(False, "start_return", "return_already", order)
            if denial == "not_delivered":
                self._record(cur, "start_return", "denied_not_delivered", order_id, session_id, {"status": order.status})
                return ActionResult(False, "start_return", "return_not_delivered", order, {"status": order.status})
            age = order.days_since_delivery(now)
            if denial == "window_passed":
                self._record(cur, "start_return", "denied_window", order_id, session_id, {"days_since_delivery": age})
                return ActionResult(False, "start_return", "return_window_passed", order, {"days": age, "window": window})
            OrderRepository.mark_return_requested(cur, order_id)
            self._record(cur, "start_return", "done", order_id, session_id, {"days_since_delivery": age})
        return ActionResult(True, "start_return", "return_started", self.get(order_id), {"days": age, "window": window})
