"""Handing a conversation to a person: the reason, a summary and the redacted transcript.

Stored in ``handoffs`` for the human queue (``aisle handoffs``, the UI's Handoff queue).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from agent.db import Database, HandoffRepository

if TYPE_CHECKING:
    from agent.session import SessionState

REASONS = {
    "requested": "the shopper asked for a person",
    "repeated_misunderstanding": "the assistant did not understand several times in a row",
    "negative_sentiment": "an upset shopper with a complaint",
    "sensitive_low_confidence": "a sensitive topic the assistant was not sure about",
    "verification_locked": "too many failed order verifications",
    "not_sure": "the help centre had no confident answer",
    "unanswerable_product_question": "a product question the listing cannot answer",
    "order_store_unavailable": "order lookups are refused: the order store vanished or lost its orders (see store health)",
}


class HandoffDesk:
    """The human queue: open (with the turn), list and close handoffs."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.repo = HandoffRepository(db)

    def open(
        self,
        cur: sqlite3.Cursor,
        session_id: str,
        turn_id: int,
        reason: str,
        state: SessionState,
        transcript: list[dict[str, str]],
    ) -> int:
        """Insert inside the caller's transaction (the turn and its handoff commit together)."""
        summary = {
            "reason": REASONS.get(reason, reason),
            "intents": state.intents[-8:],
            "verified_orders": sorted(state.verified),
            "viewed_products": state.viewed[-5:],
            "turns": state.turns,
        }
        return self.repo.open(
            cur, session_id, turn_id, reason, json.dumps(summary, ensure_ascii=False), json.dumps(transcript, ensure_ascii=False)
        )

    def list(self, status: str | None = "open", limit: int = 100) -> list[dict[str, Any]]:
        out = []
        for r in self.repo.list(status, limit):
            d = dict(r)
            d["summary"] = json.loads(d["summary"])
            d["transcript"] = json.loads(d["transcript"])
            out.append(d)
        return out

    def close(self, handoff_id: int) -> bool:
        return self.repo.close(handoff_id)
