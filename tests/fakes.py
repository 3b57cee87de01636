"""Small deterministic stand-ins for the models, so ``agent/`` logic can be tested without one.

Each satisfies the Protocol in ``agent/protocols.py`` that its real counterpart does;
``tests/agent/test_contracts.py`` runs the same contract against both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from agent.router import Routed
from agent.slots import Slots
from aisle.text import tokenize
from finetune.classifier import IntentPrediction
from retrieval.schema import ProductHit


class FakeEmbedder:
    """Bag of hashed tokens, L2-normalised: texts sharing words are close, others orthogonal-ish."""

    def __init__(self, dimension: int = 64) -> None:
        self._dim = dimension

    @property
    def dimension(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for tok in tokenize(text) or ["<empty>"]:
            v[int(hashlib.md5(tok.encode()).hexdigest(), 16) % self._dim] += 1.0
        return v / np.linalg.norm(v)

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self._dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)


class FakeClassifier:
    """Returns the prediction scripted for a text (else ``default``): what ``Router`` reads from a model."""

    def __init__(self, scripted: dict[str, list[tuple[str, float]]], labels: list[str], oos_label: str = "out_of_scope",
                 threshold: float = 0.5, default: list[tuple[str, float]] | None = None) -> None:  # fmt: skip
        self.scripted = scripted
        self.labels = labels
        self.oos_label = oos_label
        self.threshold = threshold
        self.default = default or [(oos_label, 0.9)]

    def classify_batch(self, texts: list[str]) -> list[IntentPrediction]:
        out = []
        for t in texts:
            ranked = self.scripted.get(t, self.default)
            best, p = ranked[0]
            oos = best == self.oos_label or p < self.threshold
            out.append(IntentPrediction(self.oos_label if oos else best, p, ranked[:3], oos, "fake", ranked))
        return out


class FakeRouter:
    """An ``IntentRouter`` answering from a table: text → (intent, confidence)."""

    def __init__(self, table: dict[str, tuple[str, float]], oos_label: str = "out_of_scope") -> None:
        self.table = table
        self.oos_label = oos_label

    @property
    def labels(self) -> list[str]:
        return sorted({i for i, _ in self.table.values()} | {self.oos_label})

    def warm_up(self) -> None:
        return None

    def route_message(self, text: str, slots: Slots) -> Routed:
        intent, p = self.table.get(text, (self.oos_label, 0.9))
        return Routed(IntentPrediction(intent, p, [(intent, p)], intent == self.oos_label, "fake"))


class IdentityReranker:
    """A ``Reranker`` that keeps the fused order."""

    def __call__(self, query: str, hits: list[ProductHit]) -> list[ProductHit]:
        return list(hits)


class FakeCatalogFacts:
    """``agent.policy.CatalogFacts`` from two word lists."""

    def __init__(self, item_words: set[str] | None = None, shown_titles: dict[str, str] | None = None) -> None:
        self.item_words = item_words or set()
        self.shown_titles = shown_titles or {}

    def names_catalog_items(self, query_text: str) -> bool:
        return bool(set(tokenize(query_text)) & self.item_words)

    def mentions_shown_product(self, text: str, product_ids: list[str]) -> bool:
        words = set(tokenize(text))
        return any(set(tokenize(self.shown_titles.get(pid, ""))) <= words and self.shown_titles.get(pid) for pid in product_ids)
