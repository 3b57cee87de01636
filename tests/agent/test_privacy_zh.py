"""Redaction inside Chinese text (``agent/privacy.py`` is S2's; these cases are the Chinese shopper's side of it).

Han characters are word characters to ``re``, so a pattern bounded by ``\\b`` would not see a phone
number glued to Chinese ("手机13812345678") nor keep the Chinese words around what it removes.
"""

from __future__ import annotations

import pytest

from agent.privacy import redact

CASES = [
    ("我的手机号是13812345678，帮我查一下订单", "13812345678", "帮我查一下订单"),
    ("手机138-1234-5678，麻烦回电", "138-1234-5678", "麻烦回电"),
    ("电话：+91 98765 43210 麻烦联系我", "98765 43210", "麻烦联系我"),
    ("邮箱是zhang.wei@example.com，订单还没到", "zhang.wei@example.com", "订单还没到"),
    ("我的卡号4111111111111111付款失败了", "4111111111111111", "付款失败了"),
]


@pytest.mark.unit
@pytest.mark.parametrize(("text", "secret", "kept"), CASES)
def test_personal_data_inside_chinese_is_removed_and_the_words_stay(text: str, secret: str, kept: str) -> None:
    out = redact(text)
    assert secret not in out
    assert kept in out
    assert "[" in out  # a tag says what was there


@pytest.mark.unit
def test_order_ids_inside_chinese_are_treated_as_in_english() -> None:
    """Order ids are not personal data on their own (the e-mail is what verifies): kept, in both languages alike."""
    assert ("ORD-17004" in redact("我的订单ORD-17004在哪里")) == ("ORD-17004" in redact("where is my order ORD-17004"))
