"""Pure ranking pieces: BM25, fusion and the retrieval metrics."""

from __future__ import annotations

import math

import pytest

from retrieval.evaluation import ndcg_at_k, recall_at_k, reciprocal_rank
from retrieval.fusion import min_max_fusion, reciprocal_rank_fusion, top
from retrieval.lexical import BM25Index

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`


def test_bm25_prefers_documents_with_rarer_matching_terms() -> None:
    idx = BM25Index.build(["red cotton shirt", "blue cotton shirt", "red leather sandals", "steel water bottle"])
    scores = idx.scores("red sandals")
    assert scores.argmax() == 2
    assert scores[3] == 0
    assert idx.matched_terms(2, ["red", "sandal"]) == ["red", "sandal"]


def test_bm25_plural_and_possessive_forms_match() -> None:
    idx = BM25Index.build(["women flats", "men boots"])
    assert idx.scores("women's flat")[0] > 0


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert top(fused, 2)[0][0] in {"a", "b"}
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["d"] < fused["c"] or fused["d"] == pytest.approx(fused["c"])


def test_min_max_fusion_normalises_scales() -> None:
    fused = min_max_fusion([{"a": 100.0, "b": 0.0}, {"a": 0.1, "b": 0.9}])
    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(1.0)


def test_metrics_on_a_known_ranking() -> None:
    judgments = {"a": 2, "b": 1, "z": 1}
    ranked = ["a", "x", "b"]
    ideal = (3 / math.log2(2)) + (1 / math.log2(3)) + (1 / math.log2(4))
    got = (3 / math.log2(2)) + (1 / math.log2(4))
    assert ndcg_at_k(ranked, judgments, 10) == pytest.approx(got / ideal)
    assert recall_at_k(ranked, judgments, 10) == pytest.approx(2 / 3)
    assert reciprocal_rank(["x", "b"], judgments) == pytest.approx(0.5)
