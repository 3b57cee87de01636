"""How numbers are shown: one price format and one percentile for the whole project.

A price must read the same on a product card, in a reply and in the CLI, so every place
formats it with ``money``: whole amounts without decimals (``₹1,299``), others with two
(``₹1,299.50``), never rounded to a different number.
"""

from __future__ import annotations

from collections.abc import Sequence

CURRENCY_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€"}
NO_PRICE = "price not listed"


def money(amount: float | None, currency: str = "INR", missing: str = NO_PRICE) -> str:
    """``₹1,299`` / ``₹1,299.50`` / ``GBP 12``; ``missing`` when there is no amount."""
    if amount is None:
        return missing
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    return f"{symbol}{amount:,.0f}" if float(amount).is_integer() else f"{symbol}{amount:,.2f}"


def percentile(values: Sequence[float], q: float, digits: int | None = None) -> float | None:
    """The ``q``-quantile (0–1) with linear interpolation between closest ranks (numpy's default);
    ``None`` for no values; rounded to ``digits`` when given."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    result = v[lo] + (v[hi] - v[lo]) * (k - lo)
    return round(result, digits) if digits is not None else result
