"""Keys of the HTTP surfaces, each derived from the store's one random secret.

The secret is ``agent.privacy.StoreSecret`` (created once per store under ``AISLE_HOME``,
mode 0600, never a default). Every signature the HTTP surfaces make (shopper session
tokens, staff cookies, the opaque session references staff see) uses a key derived from it
for that one purpose, so a signature made for one use is never valid for another, and
replacing the secret logs every shopper and staff member out at once.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path


def store_secret(home: Path) -> bytes:
    from agent.privacy import StoreSecret

    return StoreSecret.load_or_create(home).key


def derive(key: bytes, purpose: str) -> bytes:
    """A separate key per purpose (HMAC-SHA256 of the purpose under the store's secret)."""
    return hmac.new(key, f"aisle-http:{purpose}".encode(), hashlib.sha256).digest()
