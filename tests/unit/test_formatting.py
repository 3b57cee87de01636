"""One price format and one percentile for cards, replies, the CLI and the reports."""

from __future__ import annotations

import pytest

from agent.composer import TemplateComposer
from aisle.formatting import money, percentile
from aisle.labels import OOS
from aisle.settings import Settings


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1299, "INR", "₹1,299"),
        (1299.5, "INR", "₹1,299.50"),
        (12, "USD", "$12"),
        (3.25, "GBP", "GBP 3.25"),
        (None, "INR", "price not listed"),
    ],
)
def test_money(amount: float | None, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_a_card_and_a_reply_show_the_same_price() -> None:
    from ui.render import money as card_money

    assert card_money is money
    from retrieval.schema import Product

    p = Product(id="P1", title="kurta", price=1299.5)
    assert money(p.price) in TemplateComposer().product_line(1, p)


def test_percentile_interpolates_like_numpy() -> None:
    np = pytest.importorskip("numpy")
    values = [12.0, 3.0, 7.5, 100.0, 42.0]
    for q in (0.0, 0.5, 0.95, 1.0):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q * 100)))
    assert percentile([], 0.5) is None
    assert percentile([1.0, 2.0], 0.5, digits=0) == 2.0  # round half to even: 1.5 -> 2


def test_the_oos_label_has_one_home() -> None:
    assert Settings().intents.oos_label == OOS
