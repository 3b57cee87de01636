"""What a shopper may do, shared by the JSON API and the widget: open a session, send a
message, rate a reply. Nothing else is reachable from the shopper side.

Sessions come only from ``open_session`` (a signed token, ``ui/sessions.py``), and every
turn passes the ``TurnGate`` (in-flight cap, turns per session per minute). New sessions are
limited per client IP. The agent itself stays the trusted in-process API: this class is
where the HTTP surfaces check who is asking before calling it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ui.limits import LimitExceeded, RateLimiter, TurnGate
from ui.sessions import Session, SessionSigner

if TYPE_CHECKING:
    from agent.agent import Agent
    from agent.types import Reply
    from aisle.settings import Settings


def reply_json(reply: Reply) -> dict[str, Any]:
    """The reply as the API returns it: every ``Reply`` field but the extracted slots (personal data)."""
    d = reply.to_dict()
    d.pop("slots", None)
    return d


class Shopper:
    """The shopper side of one store (thread-safe; one per served process)."""

    def __init__(self, agent: Agent, settings: Settings, secret: bytes) -> None:
        http = settings.http
        self.agent = agent
        self.settings = settings
        self.signer = SessionSigner(secret, http.session_ttl_hours * 3600)
        self.gate = TurnGate(http.max_in_flight_turns, http.turns_per_session_per_minute)
        self.new_sessions = RateLimiter(http.sessions_per_client_per_minute)

    def open_session(self, kind: str, client: str) -> Session:
        """A new server-issued session for ``client`` (its IP), or ``LimitExceeded``."""
        wait = self.new_sessions.hit(client)
        if wait:
            raise LimitExceeded(
                "too_many_sessions",
                f"too many new conversations from this address (limit "
                f"{self.new_sessions.limit} a minute); try again in {math.ceil(wait)} s",
                math.ceil(wait),
            )
        return self.signer.issue(kind)

    def verify(self, token: object) -> Session:
        return self.signer.verify(token)

    def respond(self, session: Session, message: str, client: str) -> Reply:
        """One turn through the gate (blocking: call from a worker thread)."""
        with self.gate.turn(session.session_id):
            return self.respond_admitted(session, message, client)

    def respond_admitted(self, session: Session, message: str, client: str) -> Reply:
        """One turn that already holds a gate slot. The client's IP goes to the agent's verification counters."""
        return self.agent.respond(session.session_id, message, client_id=f"ip:{client}")

    def feedback(
        self, session: Session, turn_id: int, rating: int, correction: str | None, comment: str | None, client: str
    ) -> int:
        """Rate a reply of this session; ``RateLimitError`` / ``LimitExceeded`` when over the feedback limits."""
        return self.agent.feedback(
            session.session_id, turn_id, rating, correction or None, comment or None, client_id=f"ip:{client}"
        )

    def reference(self, session_id: str) -> str:
        return self.signer.reference(session_id)
