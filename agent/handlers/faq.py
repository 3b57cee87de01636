"""Help-centre answers: the article's text with its citation, or "not sure" and an offer of a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.handlers.base import Draft, Turn, citation
from agent.session import Pending

if TYPE_CHECKING:
    from agent.faq import FaqAnswerer
    from agent.protocols import Composer


class FaqHandler:
    def __init__(self, faq: FaqAnswerer, compose: Composer) -> None:
        self.faq = faq
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        intent = turn.decision.intent if turn.decision else turn.pred.intent
        # any language: a non-English question is matched across languages by the multilingual encoder
        ans = self.faq.answer(turn.text, intent, turn.pred.confidence)
        if ans.entry is not None and ans.confident:
            chips = [a.title for a in ans.alternatives[:1]] + [self.compose.chip("talk_to_person")]
            return Draft(
                self.compose.faq(ans.entry.title, ans.entry.body),
                intent,
                turn.pred.confidence,
                citations=citation(ans.entry),
                suggestions=chips,
            )
        turn.state.pending = Pending("offer_human", "not_sure")
        return Draft(
            self.compose.faq_not_sure(ans.entry.title if ans.entry else None), intent, turn.pred.confidence, understood=False
        )
