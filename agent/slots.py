"""Slot extraction for the dialogue (pure functions, no model).

Product facets (price, colour, audience, size, brand) come from ``retrieval.query`` so a
chat message and a search-box query are understood the same way. This module adds what
only a conversation has: order ids, e-mails, references to shown items ("the second one"),
refinement cues ("cheaper", "show me more"), yes/no answers, negative sentiment and
prompt-injection patterns.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.privacy import EMAIL_RE
from retrieval.query import CatalogVocabulary, parse_query
from retrieval.schema import SearchFilters

# ASCII boundaries, not \b: in "我的订单ORD-17004在哪里" the Chinese letters are word characters too
ORDER_ID_RE = re.compile(r"(?<![A-Za-z0-9])(?:ORD|ORDER)[\s#:-]*?(\d{4,10})(?![0-9])|#\s?(\d{5,10})(?![0-9])", re.IGNORECASE)

ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
    "last": -1, "latter": -1, "former": 0, "top": 0,
}
_ORDINAL_RE = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|latter|former)\b(?:\s+(?:one|item|product|option|result|pick))?"
    r"|(?:number|no\.?|#|option|item)\s*([1-5])\b",
    re.IGNORECASE,
)
_MORE_RE = re.compile(r"^\s*(?:show\s+(?:me\s+)?)?(?:some\s+)?(?:more|next|others?|other ones|anything else|next page|more options|more please)\b", re.IGNORECASE)
_CHEAPER_RE = re.compile(r"\b(cheaper|less expensive|lower price|more affordable|budget option|cheapest|便宜一点|更便宜)\b", re.IGNORECASE)
_PRICIER_RE = re.compile(r"\b(more expensive|pricier|premium|higher end|fancier|better quality)\b", re.IGNORECASE)
_YES_RE = re.compile(r"^\s*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|please do|go ahead|confirm(?:ed)?|do it|correct|right|haan|ha|是的?|好的?)\b", re.IGNORECASE)
_NO_RE = re.compile(r"^\s*(?:no|nope|nah|don'?t|do not|cancel that|never ?mind|stop|wait|不(?:要|用)?)\b", re.IGNORECASE)

NEGATIVE_WORDS = {
    "terrible", "worst", "angry", "furious", "unacceptable", "disgusting", "horrible", "awful", "scam", "fraud", "cheated",
    "ridiculous", "useless", "pathetic", "disappointed", "disappointing", "hate", "annoyed", "frustrated", "frustrating",
    "rubbish", "garbage", "joke", "shameful", "lied", "liars", "never again", "fed up", "sick of", "waste", "lawyer",
    "sue", "complaint", "complain", "broken", "damaged", "rude", "incompetent", "nonsense", "bad", "poor", "upset",
}
_INJECTION_RE = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier|system)?\s*(instructions|rules|prompt|guidelines)"
    r"|system prompt|developer mode|jailbreak|you are now|act as (?:an? )?(?:admin|administrator|developer|dan)"
    r"|(show|list|dump|print|give me|export)\s+(me\s+)?(all|every|everyone'?s|other (?:customers?|people)'?s?)\s+(orders?|customers?|users?|emails?|data|records)"
    r"|\b(select|insert|update|delete|drop)\b[^.]{0,40}\b(from|into|table)\b|<\s*script|\bunion\s+select\b",
    re.IGNORECASE,
)


@dataclass
class Slots:
    order_ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    filters: SearchFilters = field(default_factory=SearchFilters)
    query_text: str = ""
    wants_cheap: bool = False
    ordinal: int | None = None
    more: bool = False
    cheaper: bool = False
    pricier: bool = False
    yes: bool = False
    no: bool = False
    negative: float = 0.0
    injection: bool = False

    def to_log(self) -> dict[str, Any]:
        """Loggable view (no raw e-mails: the composer never needs them after verification)."""
        d = asdict(self)
        d["emails"] = len(self.emails)
        d["filters"] = {k: v for k, v in self.filters.to_dict().items() if v not in (None, [], "")}
        return {k: v for k, v in d.items() if v not in (None, [], "", False, 0.0, {})}


def order_ids(text: str) -> list[str]:
    """``ORD-10234``, ``order #10234``, ``ord 10234`` → ``['ORD-10234']``."""
    out: list[str] = []
    for m in ORDER_ID_RE.finditer(text):
        num = m.group(1) or m.group(2)
        oid = f"ORD-{num}"
        if oid not in out:
            out.append(oid)
    return out


def emails(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(0).lower() for m in EMAIL_RE.finditer(text)))


def ordinal(text: str) -> int | None:
    m = _ORDINAL_RE.search(text)
    if not m:
        return None
    if m.group(1):
        return ORDINALS[m.group(1).lower()]
    return int(m.group(2)) - 1


def negativity(text: str) -> float:
    """0..1: share of negative cues (lexicon, shouting, repeated "!"). Crude on purpose: cheap and explainable."""
    lowered = text.lower()
    hits = sum(1 for w in NEGATIVE_WORDS if re.search(rf"\b{re.escape(w)}\b", lowered))
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    score = min(1.0, 0.34 * hits + (0.3 if shouting else 0.0) + (0.2 if "!!" in text else 0.0))
    return round(score, 2)


def routing_text(text: str) -> str:
    """The message as the router should see it: order ids become "my order", e-mails are dropped.

    Training data never contains real ids or addresses, so "cancel ORD-17004, my email is
    a@b.com" is routed as "cancel my order, my email is" (slots still see the original).
    """
    prefix = r"(?:\b(?:my|the|this|that|our)\s+)?(?:\border\s*(?:number|no\.?|id)?\s*[:#]?\s*)?"
    out = re.sub(prefix + "(?:" + ORDER_ID_RE.pattern + ")", "my order", text, flags=re.IGNORECASE)
    out = EMAIL_RE.sub("", out)
    return re.sub(r"\s+", " ", out).strip(" ,") or text


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION_RE.search(text))


def extract(text: str, vocabulary: CatalogVocabulary | None = None) -> Slots:
    """Everything the dialogue needs from one message."""
    found_emails = emails(text)
    without_contacts = EMAIL_RE.sub(" ", ORDER_ID_RE.sub(" ", text))
    parsed = parse_query(without_contacts, vocabulary)
    return Slots(
        order_ids=order_ids(text),
        emails=found_emails,
        filters=parsed.filters,
        query_text=parsed.text,
        wants_cheap=parsed.wants_cheap,
        ordinal=ordinal(text),
        more=bool(_MORE_RE.search(text)),
        cheaper=bool(_CHEAPER_RE.search(text)),
        pricier=bool(_PRICIER_RE.search(text)),
        yes=bool(_YES_RE.search(text)),
        no=bool(_NO_RE.search(text)),
        negative=negativity(text),
        injection=looks_like_injection(text),
    )
