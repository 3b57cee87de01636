"""The order store (SQLite): loading orders, verification, and the actions the agent may take.

Every action, allowed or denied, is recorded in ``actions``. Verification needs both the
order id and the e-mail on the order, compared in constant time; a wrong pair never tells
the caller whether the order exists.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.db import Database
from agent.privacy import EMAIL_RE
from agent.session import now_iso
from aisle.errors import DataError, NotFoundError
from aisle.fileio import scan_jsonl

if TYPE_CHECKING:
    from aisle.settings import Settings

STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
ORDER_FIELDS = {"order_id", "email", "name", "status", "items", "placed_at", "shipped_at", "carrier", "tracking_number", "delivered_at", "total", "currency"}


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
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
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
        clean_items.append({"product_id": str(it["product_id"]), "qty": qty, "price": price, **({"title": it["title"]} if it.get("title") else {})})
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

    # --- loading ---------------------------------------------------------------------------
    def upsert(self, orders: list[Order]) -> tuple[int, int]:
        inserted = updated = 0
        with self.db.transaction() as cur:
            for o in orders:
                exists = cur.execute("SELECT 1 FROM orders WHERE order_id = ?", (o.order_id,)).fetchone()
                cur.execute(
                    """INSERT INTO orders(order_id, email, name, status, items_json, placed_at, shipped_at, delivered_at, carrier,
                       tracking_number, total, currency, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                       ON CONFLICT(order_id) DO UPDATE SET email=excluded.email, name=excluded.name, status=excluded.status,
                       items_json=excluded.items_json, placed_at=excluded.placed_at, shipped_at=excluded.shipped_at,
                       delivered_at=excluded.delivered_at, carrier=excluded.carrier, tracking_number=excluded.tracking_number,
                       total=excluded.total, currency=excluded.currency, updated_at=excluded.updated_at""",
                    (o.order_id, o.email, o.name, o.status, json.dumps(o.items), o.placed_at, o.shipped_at, o.delivered_at,
                     o.carrier, o.tracking_number, o.total, o.currency, now_iso()),
                )
                if exists:
                    updated += 1
                else:
                    inserted += 1
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
        return {"rows_read": read, "loaded": len(orders), "inserted": inserted, "updated": updated, "rejected": len(rejections), "rejections": rejections[:50]}

    # --- reads -----------------------------------------------------------------------------
    def _row_to_order(self, r: Any) -> Order:
        d = dict(r)
        d["items"] = json.loads(d.pop("items_json") or "[]")
        d.pop("updated_at", None)
        return Order(**d)

    def get(self, order_id: str) -> Order:
        rows = self.db.query("SELECT * FROM orders WHERE order_id = ?", (normalize_order_id(order_id),))
        if not rows:
            raise NotFoundError(f"unknown order {order_id}")
        return self._row_to_order(rows[0])

    def verify(self, order_id: str, email: str) -> Order | None:
        """The order if ``email`` is the one on it; ``None`` otherwise (whether or not it exists)."""
        rows = self.db.query("SELECT * FROM orders WHERE order_id = ?", (normalize_order_id(order_id),))
        stored = rows[0]["email"] if rows else "nobody@invalid.invalid"
        ok = hmac.compare_digest(stored.encode(), (email or "").strip().lower().encode())
        return self._row_to_order(rows[0]) if (rows and ok) else None

    def count(self) -> int:
        return int(self.db.query("SELECT COUNT(*) AS n FROM orders")[0]["n"])

    # --- actions ---------------------------------------------------------------------------
    def _record(self, cur: Any, action: str, outcome: str, order_id: str | None, session_id: str | None, detail: dict[str, Any]) -> None:
        cur.execute(
            "INSERT INTO actions(created_at, session_id, order_id, action, outcome, detail) VALUES (?,?,?,?,?,?)",
            (now_iso(), session_id, order_id, action, outcome, json.dumps(detail)),
        )

    def record(self, action: str, outcome: str, order_id: str | None, session_id: str | None, detail: dict[str, Any] | None = None) -> None:
        with self.db.transaction() as cur:
            self._record(cur, action, outcome, order_id, session_id, detail or {})

    def cancel(self, order_id: str, session_id: str | None = None) -> ActionResult:
        with self.db.transaction() as cur:
            row = cur.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"unknown order {order_id}")
            order = self._row_to_order(row)
            if order.status == "cancelled":
                self._record(cur, "cancel_order", "already_cancelled", order_id, session_id, {})
                return ActionResult(False, "cancel_order", "cancel_already", order)
            if order.status not in self.settings.agent.cancellable_statuses:
                self._record(cur, "cancel_order", "denied", order_id, session_id, {"status": order.status})
                return ActionResult(False, "cancel_order", "cancel_denied", order, {"status": order.status})
            ts = now_iso()
            cur.execute(
                "UPDATE orders SET status='cancelled', refund_status='issued', refund_amount=total, refund_issued_at=?, updated_at=? WHERE order_id=?",
                (ts, ts, order_id),
            )
            self._record(cur, "cancel_order", "done", order_id, session_id, {"previous_status": order.status, "refund": order.total})
        return ActionResult(True, "cancel_order", "cancel_done", self.get(order_id))

    def start_return(self, order_id: str, session_id: str | None = None, now: datetime | None = None) -> ActionResult:
        now = now or datetime.now(UTC)
        window = self.settings.agent.return_window_days
        with self.db.transaction() as cur:
            row = cur.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"unknown order {order_id}")
            order = self._row_to_order(row)
            if order.return_status:
                self._record(cur, "start_return", "already_requested", order_id, session_id, {})
                return ActionResult(False, "start_return", "return_already", order)
            if order.status not in self.settings.agent.returnable_statuses or not order.delivered_at:
                self._record(cur, "start_return", "denied_not_delivered", order_id, session_id, {"status": order.status})
                return ActionResult(False, "start_return", "return_not_delivered", order, {"status": order.status})
            age = (now - datetime.fromisoformat(order.delivered_at)).days
            if age > window:
                self._record(cur, "start_return", "denied_window", order_id, session_id, {"days_since_delivery": age})
                return ActionResult(False, "start_return", "return_window_passed", order, {"days": age, "window": window})
            ts = now_iso()
            cur.execute("UPDATE orders SET return_status='requested', return_requested_at=?, refund_status='pending_return', updated_at=? WHERE order_id=?", (ts, ts, order_id))
            self._record(cur, "start_return", "done", order_id, session_id, {"days_since_delivery": age})
        return ActionResult(True, "start_return", "return_started", self.get(order_id), {"days": age, "window": window})
