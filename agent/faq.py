"""Grounded help-centre answers: the reply *is* the article's text, with its citation.

Confidence combines the router and retrieval: an article written for the routed intent
is trusted when the router is confident; otherwise the article's semantic similarity to
the question must clear ``retrieval.faq_min_score``. Below both, the agent says it is not
sure and offers a person instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrieval.schema import FaqEntry

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.retriever import HybridRetriever

ROUTER_TRUST = 0.5


@dataclass
class FaqAnswer:
    entry: FaqEntry | None
    confident: bool
    score: float
    alternatives: list[FaqEntry] = field(default_factory=list)


class FaqAnswerer:
    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    def answer(self, question: str, intent: str | None, confidence: float) -> FaqAnswer:
        hits = self.retriever.search_faq(question, k=3, intent=intent if confidence >= ROUTER_TRUST else None)
        if not hits:
            return FaqAnswer(None, False, 0.0)
        top = hits[0]
        mapped = bool(intent) and intent in top.entry.intents and confidence >= ROUTER_TRUST
        # a non-English question was matched by the multilingual encoder, whose cosines live on another scale
        floor = (
            self.settings.multilingual.faq_min_score
            if self.retriever.uses_multilingual(question, None)
            else self.settings.retrieval.faq_min_score
        )
        confident = mapped or top.score >= floor
        return FaqAnswer(top.entry, confident, top.score, [h.entry for h in hits[1:]])

    def entry_for(self, intent: str) -> FaqEntry | None:
        """The first article written for ``intent`` (used to ground order-flow prompts)."""
        idx = self.retriever.faq_index()
        return next((e for e in idx.entries if intent in e.intents), None)
