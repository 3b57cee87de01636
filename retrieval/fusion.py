"""Rank fusion (pure): reciprocal-rank fusion and min-max score fusion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = 60
) -> dict[str, float]:
    """``score(d) = Σ_i w_i / (k + rank_i(d))`` with 1-based ranks (Cormack et al., 2009).

    RRF needs no score calibration between retrievers, which is why it is the default:
    BM25 scores and cosine similarities live on unrelated scales.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    return fused


def min_max_fusion(score_maps: Sequence[Mapping[str, float]], weights: Sequence[float] | None = None) -> dict[str, float]:
    """Weighted sum of per-retriever scores min-max normalised to [0, 1]; absent = 0."""
    weights = list(weights) if weights is not None else [1.0] * len(score_maps)
    fused: dict[str, float] = {}
    for scores, w in zip(score_maps, weights):
        if not scores:
            continue
        lo, hi = min(scores.values()), max(scores.values())
        span = (hi - lo) or 1.0
        for doc, s in scores.items():
            fused[doc] = fused.get(doc, 0.0) + w * (s - lo) / span
    return fused


def top(scores: Mapping[str, float], k: int) -> list[tuple[str, float]]:
    """The ``k`` best ``(doc, score)`` pairs, ties broken by id for determinism."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
