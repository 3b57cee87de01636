"""Retrieval evaluation: nDCG@k, recall@k and MRR over graded relevance judgments.

Queries: JSONL of ``{"qid", "query", "filters"?}``; qrels: JSONL of ``{"qid", "doc_id", "grade"}``
(grade ≥ 1 is relevant). nDCG uses exponential gain ``2^grade − 1``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisle.errors import DataError, InputError
from aisle.fileio import read_jsonl
from retrieval.schema import SearchFilters


@dataclass
class EvalQuery:
    qid: str
    query: str
    filters: SearchFilters = field(default_factory=SearchFilters)


def load_queries(path: str | Path) -> list[EvalQuery]:
    out: list[EvalQuery] = []
    seen: set[str] = set()
    for lineno, obj in read_jsonl(path):
        loc = f"{path}:{lineno}"
        if "qid" not in obj or "query" not in obj:
            raise DataError("each query needs 'qid' and 'query'", loc)
        qid = str(obj["qid"])
        if qid in seen:
            raise DataError(f"duplicate qid {qid!r}", loc)
        seen.add(qid)
        try:
            filters = SearchFilters.from_dict(obj.get("filters"))
        except (InputError, TypeError) as exc:  # unknown field, or not a JSON object
            raise DataError(f"bad 'filters': {exc}", loc) from None
        out.append(EvalQuery(qid, str(obj["query"]), filters))
    if not out:
        raise DataError(f"no queries in {path}")
    return out


def load_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for lineno, obj in read_jsonl(path):
        loc = f"{path}:{lineno}"
        if not {"qid", "doc_id", "grade"} <= set(obj):
            raise DataError("each judgment needs 'qid', 'doc_id' and 'grade'", loc)
        try:
            grade = int(obj["grade"])
        except (TypeError, ValueError):
            raise DataError(f"grade must be an integer, got {obj['grade']!r}", loc) from None
        qrels[str(obj["qid"])][str(obj["doc_id"])] = grade
    return dict(qrels)


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], judgments: dict[str, int], k: int = 10) -> float:
    gains = [2 ** judgments.get(d, 0) - 1 for d in ranked[:k]]
    ideal = sorted((2**g - 1 for g in judgments.values() if g > 0), reverse=True)[:k]
    best = dcg(ideal)
    return dcg(gains) / best if best > 0 else 0.0


def recall_at_k(ranked: Sequence[str], judgments: dict[str, int], k: int) -> float:
    relevant = {d for d, g in judgments.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], judgments: dict[str, int]) -> float:
    for i, d in enumerate(ranked, start=1):
        if judgments.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def evaluate(
    queries: list[EvalQuery],
    qrels: dict[str, dict[str, int]],
    search: Callable[[EvalQuery], list[str]],
) -> dict[str, Any]:
    """Mean metrics over queries that have at least one relevant judgment."""
    rows = []
    for q in queries:
        judgments = qrels.get(q.qid, {})
        if not any(g > 0 for g in judgments.values()):
            continue
        ranked = search(q)
        rows.append(
            {
                "qid": q.qid,
                "ndcg@10": ndcg_at_k(ranked, judgments, 10),
                "recall@10": recall_at_k(ranked, judgments, 10),
                "recall@50": recall_at_k(ranked, judgments, 50),
                "mrr": reciprocal_rank(ranked, judgments),
            }
        )
    if not rows:
        raise DataError("no query has a relevant judgment (grade ≥ 1) in the qrels file")
    n = len(rows)
    return {
        "n": n,
        "ndcg@10": round(sum(r["ndcg@10"] for r in rows) / n, 4),
        "recall@10": round(sum(r["recall@10"] for r in rows) / n, 4),
        "recall@50": round(sum(r["recall@50"] for r in rows) / n, 4),
        "mrr": round(sum(r["mrr"] for r in rows) / n, 4),
        "per_query": rows,
    }
