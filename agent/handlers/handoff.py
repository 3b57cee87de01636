"""Handing the conversation to a person: the reply that says so, with the contact article cited.

The handoff row itself (reason, summary, transcript) is written by ``Agent`` with the turn,
in one transaction (``agent/handoff.py::HandoffDesk``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.handlers.base import Draft, Turn, citation
from aisle.labels import HUMAN_REQUEST, OOS

if TYPE_CHECKING:
    from agent.faq import FaqAnswerer
    from agent.protocols import Composer


class HandoffHandler:
    def __init__(self, compose: Composer, faq: FaqAnswerer, oos_label: str = OOS) -> None:
        self.compose = compose
        self.faq = faq
        self.oos_label = oos_label

    def run(self, turn: Turn) -> Draft:
        d = turn.decision
        return self.escalate(turn, (d.reason if d else None) or "requested", d.cite_intent if d else None)

    def escalate(self, turn: Turn, reason: str, cite_intent: str | None = None) -> Draft:
        """Hand over for ``reason`` (a key of ``agent.handoff.REASONS``); clears what was pending."""
        turn.state.pending = None
        citations = citation(self.faq.entry_for(cite_intent or HUMAN_REQUEST))
        intent = HUMAN_REQUEST if reason == "requested" else turn.pred.intent if not turn.pred.is_oos else self.oos_label
        return Draft(
            self.compose.handoff(reason),
            intent,
            turn.pred.confidence,
            citations=citations,
            handoff_reason=reason,
            understood=True,
        )
