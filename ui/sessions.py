"""Server-issued shopper sessions: signed tokens, and the opaque references staff see.

A token is ``<kind>.<id>.<issued>.<signature>``: ``id`` is 128 random bits, ``issued`` the
Unix time it was made, and the signature an HMAC-SHA256 over the rest with a key derived
from the store's secret (``ui/keys.py``). The agent's session id is derived from the token
(``<kind>-<id>``), never taken from the client, so a caller can only ever reach a
conversation the server created for it. ``kind`` is ``api`` for ``POST /api/session`` and
``web`` for the widget's cookie; tokens expire ``ttl_s`` after they were issued.

Staff never see a token or a session id: ``reference()`` is a short keyed hash of the
session id, enough to tell conversations apart and to quote one to a colleague.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from aisle.errors import AisleError
from ui.keys import derive

KINDS = ("api", "web")
_TOKEN_RE = re.compile(r"^(api|web)\.([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


class SessionTokenError(AisleError):
    """A session token that this server did not sign, that was altered, or that expired."""


@dataclass(frozen=True)
class Session:
    token: str
    session_id: str
    issued_at: int


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class SessionSigner:
    """Issues and checks shopper session tokens (thread-safe: no mutable state)."""

    def __init__(self, secret: bytes, ttl_s: float) -> None:
        self._key = derive(secret, "shopper-session")
        self._ref_key = derive(secret, "session-reference")
        self.ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def issue(self, kind: str, now: float | None = None) -> Session:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        rid, issued = secrets.token_hex(16), int(now if now is not None else time.time())
        body = f"{kind}.{rid}.{issued}"
        return Session(f"{body}.{self._sign(body)}", f"{kind}-{rid}", issued)

    def verify(self, token: object, now: float | None = None) -> Session:
        """The session a token stands for, or ``SessionTokenError`` (unsigned, forged, malformed, expired)."""
        if not isinstance(token, str) or len(token) > 128:
            raise SessionTokenError("missing or malformed session token; get one with POST /api/session")
        m = _TOKEN_RE.match(token)
        if not m:
            raise SessionTokenError("missing or malformed session token; get one with POST /api/session")
        kind, rid, issued, sig = m.groups()
        if not hmac.compare_digest(sig, self._sign(f"{kind}.{rid}.{issued}")):
            raise SessionTokenError("this session token was not issued by this store; get one with POST /api/session")
        age = (now if now is not None else time.time()) - int(issued)
        if age > self.ttl_s or age < -300:
            raise SessionTokenError("this session token has expired; start a new session with POST /api/session")
        return Session(token, f"{kind}-{rid}", int(issued))

    def reference(self, session_id: str) -> str:
        """An opaque, stable reference to a session for staff views (not reversible to the id)."""
        return "s-" + hmac.new(self._ref_key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()[:12]
