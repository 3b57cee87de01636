"""Recommendations: similar items, what goes with the item in focus, or picks for a need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.handlers.base import Draft, Turn, cards
from agent.recommend import recommendation_query

if TYPE_CHECKING:
    from agent.protocols import Composer
    from agent.recommend import Recommender


class RecommendationHandler:
    def __init__(self, recommender: Recommender, compose: Composer) -> None:
        self.recommender = recommender
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        s, st = turn.slots, turn.state
        query = recommendation_query(s.query_text)
        rec = self.recommender.recommend(turn.text, query, s.filters, st)
        st.remember_view([p.id for p, _ in rec.items])
        if rec.items:
            st.last_results = [p.id for p, _ in rec.items]
            st.last_query = query or (rec.anchor.title if rec.anchor else "")
            st.last_filters = {k: v for k, v in s.filters.to_dict().items() if k != "exclude_ids"}
        text = self.compose.recommendations(rec.items, rec.mode, rec.anchor)
        return Draft(
            text,
            "recommendation",
            turn.pred.confidence,
            products=cards(rec.items),
            suggestions=[self.compose.chip("cheaper"), self.compose.chip("more")],
            understood=bool(rec.items),
        )
