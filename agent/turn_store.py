"""Saving a turn, and replaying one: the conversation log as the agent writes and re-reads it.

``save`` writes the turn (redacted), the session state and any handoff in one SQLite
transaction. ``replay`` answers a double-clicked send (the same text again within
``policy.duplicate_window_s``) with the reply already given, without running the turn twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from agent.db import Database, TurnLog, now_iso
from agent.handoff import HandoffDesk
from agent.language import detect
from agent.privacy import StoreSecret, redact, redact_json
from agent.session import SessionStore
from agent.types import ProductCard, Reply
from aisle.errors import StoreUnavailableError

if TYPE_CHECKING:
    from agent.handlers.base import CatalogView, Turn
    from aisle.settings import Settings


class TurnStore:
    def __init__(self, settings: Settings, db: Database, secret: StoreSecret, desk: HandoffDesk, catalog: CatalogView) -> None:
        self.settings = settings
        self.db = db
        self.secret = secret
        self.desk = desk
        self.catalog = catalog
        self.log = TurnLog(db)

    def text_hash(self, text: str) -> str:
        """Keyed (the store secret): an unkeyed hash of a short message with a phone number in it can be reversed."""
        return self.secret.digest(text, "dedupe", normalize=False)[:24]

    def replay(self, session_id: str, text: str) -> Reply | None:
        """The reply to the same ``text`` sent moments ago in this session, if it was."""
        if not text:
            return None
        try:
            r = self.log.last(session_id)
        except StoreUnavailableError:
            return None
        if r is None or r["text_hash"] != self.text_hash(text):
            return None
        age = (datetime.fromisoformat(now_iso()) - datetime.fromisoformat(r["created_at"])).total_seconds()
        if age > self.settings.policy.duplicate_window_s:
            return None
        shown = self.catalog.products_by_id(json.loads(r["product_ids_json"]))
        return Reply(text=r["reply_text"], intent=r["intent"], confidence=r["confidence"], turn_id=r["turn_id"], session_id=session_id,
                     action=r["action"], handoff=bool(r["handoff"]), handoff_reason=r["handoff_reason"],
                     products=[ProductCard.from_product(p, "shown before") for p in shown],
                     action_status="done" if r["action"] else None,  # a pending confirmation is not logged; the repeat asks again
                     language=getattr(detect(text), "value", "en"))  # fmt: skip

    def save(self, turn: Turn, reply: Reply) -> int:
        """Turn, session state and handoff in one transaction; returns the turn id."""
        # everything a shopper typed goes through the one redaction step (agent/privacy.py) before it is stored
        row = {
            "user_text": redact(turn.text), "reply_text": redact(reply.text), "intent": reply.intent,
            "confidence": reply.confidence, "is_oos": int(reply.intent == self.settings.intents.oos_label),
            "top_k_json": json.dumps(reply.top_k), "slots_json": json.dumps(redact_json(reply.slots), ensure_ascii=False),
            "product_ids_json": json.dumps([p.id for p in reply.products]), "citation_ids_json": json.dumps([c.id for c in reply.citations]),
            "action": reply.action, "handoff": int(reply.handoff), "handoff_reason": reply.handoff_reason, "latency_ms": reply.latency_ms,
            "model_version": reply.model_version, "degraded": int(reply.degraded), "text_hash": self.text_hash(turn.text),
            "resolved": int(turn.resolved),
        }  # fmt: skip
        with self.db.transaction() as cur:
            SessionStore.save(cur, turn.session_id, turn.state)
            turn_id = TurnLog.append(cur, turn.session_id, row)
            if reply.handoff_reason:
                self.desk.open(
                    cur, turn.session_id, turn_id, reply.handoff_reason, turn.state, TurnLog.transcript(cur, turn.session_id)
                )
        return turn_id
