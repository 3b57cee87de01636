"""Order eligibility lives on the order: one rule for the store and the conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.orders import Order

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def order(status: str, delivered_days_ago: int | None = None, return_status: str | None = None) -> Order:
    delivered = (NOW - timedelta(days=delivered_days_ago)).isoformat() if delivered_days_ago is not None else None
    return Order("ORD-1", "a@example.com", "A", status, delivered_at=delivered, return_status=return_status)


@pytest.mark.parametrize(
    ("o", "denial"),
    [
        (order("delivered", 5), None),
        (order("delivered", 30), None),  # the last day of the window
        (order("delivered", 31), "window_passed"),
        (order("shipped"), "not_delivered"),
        (order("delivered", 5, return_status="requested"), "already_requested"),
        (order("cancelled"), "not_delivered"),
    ],
)
def test_returns(o: Order, denial: str | None) -> None:
    assert o.return_denial(NOW, 30) == denial
    assert o.is_returnable(NOW, 30) is (denial is None)


@pytest.mark.parametrize(
    ("status", "ok"), [("pending", True), ("processing", True), ("shipped", False), ("delivered", False), ("cancelled", False)]
)
def test_cancellation(status: str, ok: bool) -> None:
    assert order(status).is_cancellable() is ok


def test_statuses_come_from_settings() -> None:
    assert order("shipped").is_cancellable(["pending", "processing", "shipped"])
    assert not order("delivered", 5).is_returnable(NOW, 30, statuses=["returned"])
