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

from agent.privacy import ORDER_ID_RE, find_emails, remove_emails
from retrieval.query import CatalogVocabulary, parse_query
from retrieval.schema import SearchFilters

# ORDER_ID_RE (ORD-10234, order #10234) lives in agent/privacy.py: what is not personal data is defined next to what is

ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
    "latter": -1,
    "former": 0,
    "top": 0,
}
_ORDINAL_RE = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|latter|former)\b(?:\s+(?:one|item|product|option|result|pick))?"
    r"|(?:number|no\.?|#|option|item)\s*([1-5])\b",
    re.IGNORECASE,
)
# Chinese alternatives carry no \b: Han characters are word characters, so "好的谢谢" has no boundary after 好的.
_MORE_RE = re.compile(
    r"^\s*(?:show\s+(?:me\s+)?)?(?:some\s+)?(?:more|next|others?|other ones|anything else|next page|more options|more please)\b"
    r"|^\s*(?:请)?(?:再|给我)?(?:多)?(?:看看|来点|来些|看)?(?:更多|多一些|多点|别的|其他|换一批|下一页|还有吗|还有别的|还有其他)",
    re.IGNORECASE,
)
_CHEAPER_RE = re.compile(
    r"\b(cheaper|less expensive|lower price|more affordable|budget option|cheapest)\b"
    r"|便宜一?点|便宜些|更便宜|再便宜|最便宜|便宜的|价格低一?点|低价一?点",
    re.IGNORECASE,
)
_PRICIER_RE = re.compile(
    r"\b(more expensive|pricier|premium|higher end|fancier|better quality)\b|贵一?点|更贵|贵一些|高端一?点|质量更好|好一点的",
    re.IGNORECASE,
)
_YES_RE = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|please do|go ahead|confirm(?:ed)?|do it|correct|right|haan|ha)\b"
    r"|^\s*(?:是的|是啊|是|好的|好啊|好吧|好|可以|行|确认|确定|对的|对|嗯|没问题|当然)(?!不)",
    re.IGNORECASE,
)
_NO_RE = re.compile(
    r"^\s*(?:no|nope|nah|don'?t|do not|cancel that|never ?mind|stop|wait)\b"
    r"|^\s*(?:不要|不用|不了|不是|不行|不必|不需要|算了|别|不)(?!错)",
    re.IGNORECASE,
)
_ZH_ORDINAL_RE = re.compile(r"第\s*([一二三四五1-5])\s*(?:个|件|款|条|双|只|种|项|块)?|(最后)(?:一)?(?:个|件|款|条|双|只)?")
_ZH_ORDINALS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4}

NEGATIVE_WORDS = {
    "terrible",
    "worst",
    "angry",
    "furious",
    "unacceptable",
    "disgusting",
    "horrible",
    "awful",
    "scam",
    "fraud",
    "cheated",
    "ridiculous",
    "useless",
    "pathetic",
    "disappointed",
    "disappointing",
    "hate",
    "annoyed",
    "frustrated",
    "frustrating",
    "rubbish",
    "garbage",
    "joke",
    "shameful",
    "lied",
    "liars",
    "never again",
    "fed up",
    "sick of",
    "waste",
    "lawyer",
    "sue",
    "complaint",
    "complain",
    "broken",
    "damaged",
    "rude",
    "incompetent",
    "nonsense",
    "bad",
    "poor",
    "upset",
}
NEGATIVE_WORDS_ZH = (
    "太差",
    "很差",
    "垃圾",
    "气死",
    "生气",
    "愤怒",
    "骗子",
    "欺骗",
    "骗人",
    "坑人",
    "失望",
    "差评",
    "恶劣",
    "投诉",
    "不满",
    "受够",
    "太过分",
    "过分了",
    "什么破",
    "烂透",
    "无语",
    "恶心",
    "退钱",
    "举报",
    "律师",
    "起诉",
    "假货",
)
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
    """E-mail addresses, also spelled out ("priya at gmail dot com" → ``priya@gmail.com``), lower-cased."""
    return find_emails(text)


def ordinal(text: str) -> int | None:
    m = _ORDINAL_RE.search(text)
    if not m:
        zh = _ZH_ORDINAL_RE.search(text)  # "第二个", "最后一件"
        if zh is None:
            return None
        return -1 if zh.group(2) else _ZH_ORDINALS[zh.group(1)]
    if m.group(1):
        return ORDINALS[m.group(1).lower()]
    return int(m.group(2)) - 1


def negativity(text: str) -> float:
    """0..1: share of negative cues (lexicon, shouting, repeated "!"). Crude on purpose: cheap and explainable."""
    lowered = text.lower()
    hits = sum(1 for w in NEGATIVE_WORDS if re.search(rf"\b{re.escape(w)}\b", lowered))
    hits += sum(1 for w in NEGATIVE_WORDS_ZH if w in text)  # no word boundaries in Chinese
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
    out = remove_emails(out)
    return re.sub(r"\s+", " ", out).strip(" ,") or text


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION_RE.search(text))


def extract(text: str, vocabulary: CatalogVocabulary | None = None) -> Slots:
    """Everything the dialogue needs from one message."""
    found_emails = emails(text)
    without_contacts = remove_emails(ORDER_ID_RE.sub(" ", text))
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
