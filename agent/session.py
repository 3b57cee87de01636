"""Per-conversation state, persisted in SQLite after every turn (so a restart resumes it)."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.db import Database, SessionRepository, now_iso
from agent.privacy import redact, redact_json

__all__ = ["Pending", "SessionLocks", "SessionState", "SessionStore", "now_iso"]


@dataclass
class Pending:
    """Something the agent asked and is waiting for."""

    kind: str  # "verify" | "confirm_cancel" | "confirm_return" | "clarify" | "offer_human"
    intent: str = ""
    order_id: str | None = None
    email_digest: str | None = None  # keyed HMAC of the e-mail under verification, never the address (agent/verification.py)
    options: list[str] = field(default_factory=list)


@dataclass
class SessionState:
    last_query: str = ""
    last_filters: dict[str, Any] = field(default_factory=dict)
    last_results: list[str] = field(default_factory=list)  # product ids, in display order
    viewed_in_search: list[str] = field(default_factory=list)  # earlier pages of the current search
    focus: str | None = None  # product id the shopper refers to ("it", "the second one")
    viewed: list[str] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    verified: dict[str, float] = field(
        default_factory=dict
    )  # order_id -> last use (epoch s); expires when idle (agent/verification.py)
    pending: Pending | None = None
    misunderstandings: int = 0
    handed_off: bool = False
    turns: int = 0
    intents: list[str] = field(default_factory=list)
    language: str = "en"  # of the latest message with letters (agent/language.py); replies follow it

    def to_json(self) -> str:
        """The state as stored: free text (the last query and its filters) goes through the redaction step."""
        data = asdict(self)
        data["last_query"] = redact(data["last_query"])
        data["last_filters"] = redact_json(data["last_filters"])
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> SessionState:
        data = json.loads(raw or "{}")
        pending = data.pop("pending", None)
        known = set(cls.__dataclass_fields__)
        state = cls(**{k: v for k, v in data.items() if k in known})
        if pending:
            pending.pop("email", None)  # older versions kept the raw e-mail here: never carry it forward
            fields = set(Pending.__dataclass_fields__)
            state.pending = Pending(**{k: v for k, v in pending.items() if k in fields})
        else:
            state.pending = None
        return state

    def record_turn(self, intent: str, understood: bool, handed_off: bool) -> None:
        """Count a finished turn: its intent, and whether the agent understood (misunderstandings lead to a person)."""
        self.turns += 1
        self.intents = [*self.intents, intent][-20:]
        self.misunderstandings = 0 if understood else self.misunderstandings + 1
        self.handed_off = self.handed_off or handed_off

    def remember_view(self, product_ids: list[str]) -> None:
        for pid in product_ids:
            if pid in self.viewed:
                self.viewed.remove(pid)
            self.viewed.append(pid)
        self.viewed = self.viewed[-30:]


class SessionStore:
    """Loads and saves ``SessionState`` (as JSON, ``agent.db.SessionRepository``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.repo = SessionRepository(db)

    def load(self, session_id: str) -> SessionState:
        raw = self.repo.load_json(session_id)
        return SessionState.from_json(raw) if raw is not None else SessionState()

    def exists(self, session_id: str) -> bool:
        return self.repo.exists(session_id)

    @staticmethod
    def save(cur: sqlite3.Cursor, session_id: str, state: SessionState) -> None:
        """Upsert inside the caller's transaction (the turn and the state commit together)."""
        SessionRepository.save(cur, session_id, state.to_json())


class SessionLocks:
    """One lock per conversation: a session's turns run one at a time, different sessions in parallel."""

    MAX_IDLE_LOCKS = 10000

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, session_id: str) -> threading.Lock:
        with self._guard:
            if len(self._locks) > self.MAX_IDLE_LOCKS:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(session_id, threading.Lock())
