"""What every handler shares: the turn it answers, the draft it returns, and catalog lookups.

A handler is a small component with one method, ``run(turn) -> Draft``. The ``Turn`` carries
the message, its slots, the router's prediction, the session state (which handlers update:
what was shown, what is pending) and the policy's ``Decision``. A ``Draft`` *is* a ``Reply``
still being written, plus whether the agent understood the shopper; ``Agent`` turns it
into the final ``Reply`` (``Draft.to_reply``) and persists the turn.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Protocol

from agent import slots as slot_lib
from agent.search import catalog_terms, content_terms, mentioned_product
from agent.types import Citation, ProductCard, Reply
from aisle.errors import AisleError

if TYPE_CHECKING:
    from agent.policy import Decision
    from agent.session import SessionState
    from finetune.classifier import IntentPrediction
    from retrieval.query import CatalogVocabulary
    from retrieval.retriever import HybridRetriever
    from retrieval.schema import FaqEntry, Product


@dataclass
class Turn:
    """One shopper message on its way through the agent."""

    session_id: str
    text: str
    state: SessionState
    slots: slot_lib.Slots
    pred: IntentPrediction
    degraded: bool = False
    resolved: bool = True
    decision: Decision | None = None
    client_id: str = ""  # who is asking (HTTP: token or IP; in-process: the session): order verification counts per client
    language: str = "en"  # of this message (or the conversation's, when it has no letters): the reply's language


@dataclass
class Draft(Reply):
    """A reply being written. ``understood=False`` counts as a misunderstanding (towards a handoff)."""

    understood: bool = True

    def to_reply(self, **final: object) -> Reply:
        """The public ``Reply``: every ``Reply`` field of this draft, then ``final`` (turn id, latency, …)."""
        values = {f.name: getattr(self, f.name) for f in fields(Reply)}
        values["handoff"] = self.handoff_reason is not None
        values.update(final)
        return Reply(**values)


class Handler(Protocol):
    """Answers one kind of turn."""

    def run(self, turn: Turn) -> Draft: ...


def cards(items: list[tuple[Product, str]]) -> list[ProductCard]:
    return [ProductCard.from_product(p, why) for p, why in items]


def citation(entry: FaqEntry | None) -> list[Citation]:
    """The help-centre article a reply is grounded on, as a citation list (empty when there is none)."""
    return [Citation(entry.id, entry.title, entry.body[:160])] if entry is not None else []


class CatalogView:
    """Lookups over the catalog that handlers and the policy share; an unreachable store reads as empty."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self._terms: set[str] | None = None

    def vocabulary(self) -> CatalogVocabulary | None:
        try:
            return self.retriever.catalog().vocabulary
        except AisleError:
            return None

    def products_by_id(self, ids: list[str]) -> list[Product]:
        try:
            return self.retriever.get_products(ids)
        except AisleError:
            return []

    def catalog_words(self, query_text: str) -> set[str]:
        """The words of the message that name a kind of item the store sells ("kurta", "watch")."""
        terms = content_terms(query_text)
        if not terms:
            return set()
        if self._terms is None:
            try:
                self._terms = catalog_terms(self.retriever.catalog().vocabulary.categories)
            except AisleError:
                return set()
        return terms & self._terms

    # --- agent.policy.CatalogFacts ---------------------------------------------------------
    def names_catalog_items(self, query_text: str) -> bool:
        return bool(self.catalog_words(query_text))

    def mentions_shown_product(self, text: str, product_ids: list[str]) -> bool:
        return mentioned_product(text, self.products_by_id(product_ids)) is not None
