"""Checks on what callers hand the agent (UI, HTTP API, CLI): clear ``InputError``s at the boundary."""

from __future__ import annotations

import re

from aisle.errors import InputError

SESSION_ID_RE = re.compile(r"^[\w.:@-]{1,128}$")
MAX_CLIENT_ID = 256


def session_id(value: object) -> str:
    if not isinstance(value, str) or not SESSION_ID_RE.match(value):
        raise InputError("session_id must be 1–128 characters of letters, digits and . _ : @ -")
    return value


def client_id(value: object, session: str) -> str:
    """Who is asking; in-process callers may leave it out and the session is the client."""
    if value is None or value == "":
        return session
    if not isinstance(value, str) or len(value) > MAX_CLIENT_ID:
        raise InputError(f"client_id must be a string of at most {MAX_CLIENT_ID} characters (a session token or an IP address)")
    return value


def message(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"text must be a string, got {type(value).__name__}")
    return value


def rating(value: object) -> int:
    if isinstance(value, bool) or value not in (1, -1):
        raise InputError(f"rating must be +1 or -1, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def turn_id(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InputError(f"turn_id must be an integer, got {value!r}") from None


def correction(value: str | None, labels: set[str]) -> str | None:
    """A feedback correction must name an intent the router knows (or be absent)."""
    if value is None:
        return None
    value = value.strip()
    if labels and value not in labels:
        raise InputError(f"unknown intent {value!r}; known intents: {', '.join(sorted(labels))}")
    return value
