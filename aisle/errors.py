"""Project exceptions.

Every error a user can cause carries a message that says what was wrong, where, and what
to do about it. The CLI prints ``AisleError`` messages without a traceback; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations


class AisleError(Exception):
    """Base class of all errors the user can act on."""


class ConfigError(AisleError):
    """A settings file or environment override is invalid."""


class DataError(AisleError):
    """An input file is missing, unreadable or malformed.

    ``location`` is ``file:line`` when the problem is in one row.
    """

    def __init__(self, message: str, location: str | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ModelNotFoundError(AisleError):
    """A model path or registry version does not exist or is incomplete."""


class StoreUnavailableError(AisleError):
    """ChromaDB (embedded or server) or the SQLite database cannot be reached or written."""


class NotFoundError(AisleError):
    """An id (product, order, session, turn, model version) that is not known."""


class InputError(AisleError):
    """A request argument (query, message, rating, …) is invalid."""


class RateLimitError(InputError):
    """Too many requests of one kind from one session or client; ``retry_after_s`` says when to try again (HTTP 429)."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)
