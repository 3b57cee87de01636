"""Second-stage rerankers for product search (``retrieval.retriever.Reranker``).

``DiversityReranker`` is maximal marginal relevance over title tokens: the catalog lists
one item many times (sizes, colours, sellers), and a page of five near-identical listings
answers the shopper worse than five different items. Each pick maximises
``λ·relevance − (1−λ)·max title-Jaccard with what is already picked``, so the best hit stays
first and near-duplicates move down, not out. No model, a few microseconds per hit.

It is off by default (``retrieval.rerank = "none"``): the retrieval figures in README are
measured without it; turn it on with ``retrieval.rerank = "diversity"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aisle.text import jaccard, tokenize

if TYPE_CHECKING:
    from retrieval.retriever import Reranker
    from retrieval.schema import ProductHit


class DiversityReranker:
    """MMR over title tokens; ``lambda_`` = 1 keeps the fused order, 0 only spreads titles apart."""

    def __init__(self, lambda_: float = 0.7) -> None:
        if not 0.0 <= lambda_ <= 1.0:
            raise ValueError(f"lambda_ must be in [0, 1], got {lambda_}")
        self.lambda_ = lambda_

    def __call__(self, query: str, hits: list[ProductHit]) -> list[ProductHit]:
        if len(hits) < 3:
            return list(hits)
        top = max(h.score for h in hits) or 1.0
        tokens = [set(tokenize(h.product.title)) for h in hits]
        left = list(range(len(hits)))
        picked: list[int] = []
        while left:
            gains = {i: self.lambda_ * hits[i].score / top - (1 - self.lambda_) * max((jaccard(tokens[i], tokens[j]) for j in picked), default=0.0)
                     for i in left}  # fmt: skip
            best = max(left, key=lambda i: (gains[i], -i))
            picked.append(best)
            left.remove(best)
        return [hits[i] for i in picked]


def reranker_for(name: str) -> Reranker | None:
    """The reranker a ``retrieval.rerank`` setting names (``None`` for ``"none"``)."""
    if name == "none":
        return None
    if name == "diversity":
        return DiversityReranker()
    raise ValueError(f"unknown reranker {name!r}; choose none or diversity")
