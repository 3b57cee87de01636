"""Per-conversation state, persisted in SQLite after every turn (so a restart resumes it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent.db import Database


@dataclass
class Pending:
    """Something the agent asked and is waiting for."""

    kind: str  # "verify" | "confirm_cancel" | "confirm_return" | "clarify" | "offer_human"
    intent: str = ""
    order_id: str | None = None
    email: str | None = None
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
    verified: dict[str, str] = field(default_factory=dict)  # order_id -> email hash that verified it
    failed_verifications: int = 0
    pending: Pending | None = None
    misunderstandings: int = 0
    handed_off: bool = False
    turns: int = 0
    intents: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> SessionState:
        data = json.loads(raw or "{}")
        pending = data.pop("pending", None)
        known = set(cls.__dataclass_fields__)
        state = cls(**{k: v for k, v in data.items() if k in known})
        state.pending = Pending(**pending) if pending else None
        return state

    def remember_view(self, product_ids: list[str]) -> None:
        for pid in product_ids:
            if pid in self.viewed:
                self.viewed.remove(pid)
            self.viewed.append(pid)
        self.viewed = self.viewed[-30:]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, session_id: str) -> SessionState:
        rows = self.db.query("SELECT state_json FROM sessions WHERE session_id = ?", (session_id,))
        return SessionState.from_json(rows[0]["state_json"]) if rows else SessionState()

    def exists(self, session_id: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)))

    @staticmethod
    def save(cur: Any, session_id: str, state: SessionState) -> None:
        """Upsert inside the caller's transaction (the turn and the state commit together)."""
        ts = now_iso()
        cur.execute(
            "INSERT INTO sessions(session_id, created_at, updated_at, state_json) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(session_id) DO UPDATE SET updated_at = excluded.updated_at, state_json = excluded.state_json",
            (session_id, ts, ts, state.to_json()),
        )
