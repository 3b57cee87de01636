"""Query understanding: prices, colours, audiences, sizes and brands become the right filters."""

from __future__ import annotations

import pytest

from retrieval.query import CatalogVocabulary, parse_colors, parse_genders, parse_price, parse_query, parse_sizes

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("red sandals under 500?", None, 500),
        ("₹1k-2k", 1000, 2000),
        ("less than 2000 rupees", None, 2000),
        ("between 1k and 2k", 1000, 2000),
        ("500 to 1,000 rs", 500, 1000),
        ("shoes below 999", None, 999),
        ("over 1500", 1500, None),
        ("1500+", 1500, None),
        ("500 and above", 500, None),
        ("around 800", 640, 960),
        ("under 2.5k", None, 2500),
        ("kurta within 1,200", None, 1200),
        ("mugs under rs. 250", None, 250),
        ("shirts 300-600", 300, 600),
        ("1-2k", 1000, 2000),
        ("500元以下", None, 500),
        ("500到1000元", 500, 1000),
        ("低于300", None, 300),
        ("红色连衣裙 200元以内", None, 200),
    ],
)
def test_price_phrasings(text: str, lo: float | None, hi: float | None) -> None:
    p = parse_price(text)
    assert (p.min_price, p.max_price) == (lo, hi)


@pytest.mark.parametrize(
    "text", ["pack of 2 socks", "500 ml bottle", "size 8 shoes", "jeans 28-32", "show me 2 watches", "phone from 2016"]
)
def test_numbers_that_are_not_prices(text: str) -> None:
    p = parse_price(text)
    assert p.min_price is None and p.max_price is None


def test_colours_audiences_sizes() -> None:
    assert parse_colors("Navy blue shirt") == ["navy"]
    assert parse_colors("coffee mug") == []  # "coffee" is a colour only inside a Color attribute
    assert parse_colors("红色的裙子") == ["red"]
    assert parse_genders("women's sandals") == ["women"]
    assert parse_genders("a gift for him") == ["men"]
    assert parse_genders("ladies watch") == ["women"]
    assert parse_genders("a birthday present for my dad") == ["men"]
    assert parse_genders("running shoes for my son") == ["boys"] and parse_genders("sony headphones") == []
    assert parse_sizes("does it come in XL?") == ["xl"]
    assert parse_sizes("size 9 please") == ["9"]


def test_parse_query_keeps_words_and_drops_price_phrase() -> None:
    q = parse_query("red women's sandals under 500")
    assert q.filters.max_price == 500
    assert q.filters.colors == ["red"]
    assert q.filters.genders == ["women"]
    assert "500" not in q.text and "sandals" in q.text


def test_chinese_queries_keep_what_is_wanted_in_english() -> None:
    q = parse_query("我想要红色的连衣裙，500元以下")
    assert q.text == "dress" and q.filters.colors == ["red"] and q.filters.max_price == 500
    assert parse_query("women 凉鞋").text == "women sandals"
    assert parse_query("更便宜").text == ""  # a refinement cue, nothing new to search for


def test_brand_vocabulary_skips_ambiguous_brands() -> None:
    vocab = CatalogVocabulary.build(
        [("slim", "slim wallet", []), ("denimco", "denimco jeans", []), ("other", "other slim fit jeans", [])]
    )
    assert vocab.find_brands("denimco jeans") == ["denimco"]
    # "slim" is also an ordinary word in another brand's title: never a hard brand filter
    assert vocab.find_brands("slim fit jeans") == []
