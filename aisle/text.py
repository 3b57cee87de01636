"""Text normalisation and tokenisation shared by ingest, lexical search and the data gates.

One tokeniser for the whole project: BM25, near-duplicate detection and the training-data
gate all see the same tokens, so "kurta" and "kurtas" match everywhere or nowhere.
"""

from __future__ import annotations

import html
import re
import unicodedata
from itertools import pairwise

_TAG = re.compile(r"<[^>]{0,200}>")
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "show",
        "some",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "with",
        "you",
        "your",
        "want",
        "need",
        "looking",
        "find",
        "get",
        "any",
        "would",
        "like",
        "im",
        "i'm",
        "give",
        "tell",
        "let",
        "us",
        "which",
        "there",
    ]
)


def clean_text(value: str | None) -> str:
    """Unescape HTML entities, drop tags and control characters, collapse whitespace."""
    if not value:
        return ""
    s = html.unescape(str(value))
    s = _TAG.sub(" ", s)
    s = _CONTROL.sub(" ", s)
    s = unicodedata.normalize("NFC", s)
    return _WS.sub(" ", s).strip()


def normalize_for_match(value: str) -> str:
    """Case- and accent-folded text for exact-duplicate keys and label-conflict checks."""
    s = unicodedata.normalize("NFKD", clean_text(value).lower())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return _WS.sub(" ", re.sub(r"[^\w\s]", " ", s)).strip()


def stem(token: str) -> str:
    """A deliberately light English stemmer: plural and possessive endings only.

    Aggressive stemming hurts product search ("glasses" → "glass"), so only the forms
    shoppers actually vary are folded: women's → women, shoes → shoe, watches → watch.
    """
    if len(token) <= 3 or not token.isascii():
        return token
    for suffix, repl in (("'s", ""), ("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("xes", "x")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 2:
            return token[: -len(suffix)] + repl
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokenize(value: str, drop_stopwords: bool = True) -> list[str]:
    """Lower-case word tokens, lightly stemmed; CJK text becomes character bigrams."""
    s = clean_text(value).lower().replace("’", "'")
    s = re.sub(r"(\w)'s\b", r"\1", s)
    out: list[str] = []
    for tok in _TOKEN.findall(s):
        if _CJK.search(tok):
            chars = [c for c in tok]
            out.extend(chars if len(chars) < 2 else ["".join(p) for p in pairwise(chars)])
            continue
        if drop_stopwords and tok in STOPWORDS:
            continue
        out.append(stem(tok))
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    """Token-set Jaccard similarity; 0.0 for two empty sets."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def truncate(value: str, limit: int) -> str:
    """Cut ``value`` to ``limit`` characters at a word boundary, marking the cut with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def sanitize(text: str, limit: int) -> tuple[str, bool]:
    """A shopper's message made safe to process: control/format characters and unpaired surrogates
    dropped, whitespace collapsed, NFC-normalised, cut to ``limit``. Returns ``(text, truncated)``."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", text)).strip()
    if len(text) > limit:
        return text[:limit], True
    return text, False
