"""PII redaction for stored transcripts and exports (pure functions).

E-mail addresses, phone numbers, card-like numbers (Luhn-valid 13–19 digits) and street
addresses are replaced by tags; e-mails keep a salted hash (``[EMAIL:3f9a1c2b]``) so an
analyst can join a customer's conversations without ever seeing the address.
"""

from __future__ import annotations

import hashlib
import re

EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![A-Za-z])")
CARD_RE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
PHONE_RE = re.compile(r"(?<![\w-])\+?\(?\d[\d\s().-]{7,17}\d(?![\w-])")
ADDRESS_RE = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s){0,4}(?:street|st|road|rd|avenue|ave|lane|ln|nagar|marg|colony|sector|block|drive|dr|boulevard|blvd|layout|cross|main)\b\.?",
    re.IGNORECASE,
)
PIN_RE = re.compile(r"\b(?:pin(?:code)?|zip|postal code)\s*[:#]?\s*\d{5,6}\b", re.IGNORECASE)


def pii_hash(value: str, salt: str) -> str:
    """Short salted SHA-256 of a normalised identifier (joins without the identifier)."""
    return hashlib.sha256(f"{salt}:{value.strip().lower()}".encode()).hexdigest()[:16]


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact(text: str, salt: str) -> str:
    """``text`` with PII replaced; order ids (ORD-…) and prices are kept."""
    if not text:
        return text

    def card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "[CARD]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else m.group(0)

    out = EMAIL_RE.sub(lambda m: f"[EMAIL:{pii_hash(m.group(0), salt)[:8]}]", text)
    out = CARD_RE.sub(card, out)
    out = PHONE_RE.sub(lambda m: "[PHONE]" if 10 <= len(re.sub(r"\D", "", m.group(0))) <= 13 else m.group(0), out)
    out = ADDRESS_RE.sub("[ADDRESS]", out)
    out = PIN_RE.sub("[PINCODE]", out)
    return out
