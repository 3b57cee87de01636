"""Personal data: find it, and redact it before anything is stored (pure functions).

Every store the agent writes (turns, slots, session state, feedback, review items,
handoffs, exports, reports, logs) goes through :func:`redact` / :func:`redact_json`.
What is replaced, by a plain tag that carries no trace of the value:

=========== ==================================================================================
``[EMAIL]``   e-mails, internationalised (``用户@例子.广告``, ``jürgen@bücher.de``), spelled out
              (``priya at gmail dot com``, ``priya [at] gmail [dot] com``, ``at the rate``)
``[PHONE]``   Indian (``+91 98765 43210``, ``098765-43210``), international (``+44 20 7946 0958``,
              ``0044…``, ``(415) 555-2671``), Chinese mobiles, glued to words
              (``call9876543210now``), spelled out (``nine eight seven …``)
``[CARD]``    13–19 digits with any separators that pass the Luhn check
``[ADDRESS]`` street addresses (``221B Baker Street``), Indian-style ones (``flat 302, Sai
              Residency, Andheri West, Mumbai 400053``), PIN codes in context, Chinese ones
``[ID]``      Aadhaar-like 12 digits, PAN (``ABCDE1234F``), GSTIN, UPI ids (``name@okaxis``),
              Chinese resident ids, numbers named as passport/account/licence numbers, and
              any other run of 12+ digits
=========== ==================================================================================

Order ids (``ORD-12345``, ``order #12345``) are kept: staff and the learning loop need them,
and they identify an order, not a person. Prices, sizes and dates are kept.

Tags are plain on purpose: a salted or keyed short hash of an e-mail can be reversed by
hashing candidate addresses, and nothing downstream needs to join on one. Where a stable
pseudonym *is* needed (the session in a training example's provenance), :class:`StoreSecret`
gives an HMAC keyed with a random per-store secret created at setup, never a default.

Matching runs on a width-folded copy of the text (full-width ``１３８…``/``＠`` → ASCII,
one character for one), so spans map back to the original; boundaries are ASCII digit or
letter boundaries, not ``\\b``, because in ``我的电话是13812345678`` the Chinese letters are
word characters too.

Microsoft Presidio was considered: ``presidio-analyzer`` installs from PyPI, but its analyzer
needs a spaCy pipeline (``en_core_web_lg`` is fetched from GitHub, not PyPI, so it cannot be
installed here) and its pattern recognisers cover none of spelled-out e-mails, glued phones,
Indian addresses or Chinese text. These recognisers are a few hundred lines of regular
expressions with a test corpus (``tests/security/test_agent_redaction.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from aisle.errors import StoreUnavailableError

# --- what is NOT personal data ------------------------------------------------------------------
# ASCII boundaries, not \b: in "我的订单ORD-17004在哪里" the Chinese letters are word characters too
ORDER_ID_RE = re.compile(r"(?<![A-Za-z0-9])(?:ORD|ORDER)[\s#:-]*?(\d{4,10})(?![0-9])|#\s?(\d{5,10})(?![0-9])", re.IGNORECASE)

# the strict ASCII form used to read an e-mail out of a message (verification) and to validate orders
EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![A-Za-z])")


class PiiKind(str, Enum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CARD = "CARD"
    ADDRESS = "ADDRESS"
    ID = "ID"

    @property
    def tag(self) -> str:
        return f"[{self.value}]"


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text."""

    kind: PiiKind
    start: int
    end: int


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- recognisers -----------------------------------------------------------------------------------
_MASK = "\x00"
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20, 0x2007: 0x20, 0x202F: 0x20}
_FOLD |= {c: ord("-") for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212)}

# e-mail with unicode local part and IDN domain; an ASCII TLD must end at an ASCII letter boundary
_INTL_EMAIL_RE = re.compile(r"[\w!#$%&'*+/=?^`{|}~.-]+@(?:[\w-]+\.)+(?:[A-Za-z]{2,24}(?![A-Za-z0-9])|[^\W\d_]{2,24})")
_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_TLDS = (
    r"com|net|org|in|co|io|ai|app|dev|edu|gov|info|biz|me|us|uk|ca|au|de|fr|cn|jp|sg|ae|xyz|online|site|store|tech"
    r"|email|mail|live|cloud|name|pro|ac|res|nic|mil|int"
)
_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at(?:\s+the\s+rate)?(?:\s+of)?\s+|\s*@\s*|\s+at\s*\+?\s*)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_SPELLED_EMAIL_RE = re.compile(
    rf"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9_%+-]+(?:{_DOT}[A-Za-z0-9_%+-]+)*){_AT}"
    rf"(?P<domain>[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}(?:{_TLDS}))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# words that stand before "at" in ordinary sentences ("available at amazon dot in")
_NOT_A_LOCAL_PART = _words(
    "a an the it its this that these those them me us him her you i we they one ones item items product products "
    "thing things is are was were be been am look looking looked see seen saw find found bought buy buying sold "
    "sell selling shop shopping shopped order ordered available listed offer offers sale deal deals price prices "
    "priced cheaper cheap cost costs arrive arrived arriving deliver delivered delivery stay staying live lives "
    "living work works working here there home store stores website site online app apps mail email e-mail write "
    "wrote reach reached contact contacted call only just also now today india exclusively exclusive purchase "
    "purchased got get"
)

_MAIL_PROVIDERS = _words(
    "gmail googlemail yahoo ymail hotmail outlook live msn rediffmail rediff icloud me protonmail proton aol zoho "
    "gmx qq 163 126 sina yandex mail"
)
_UPI_RE = re.compile(r"(?<![\w.+@-])[A-Za-z0-9][A-Za-z0-9._-]{1,255}@[A-Za-z][A-Za-z0-9]{1,63}(?![\w@-]|\.[A-Za-z0-9])")
_GSTIN_RE = re.compile(r"(?<![A-Za-z0-9])\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z](?![A-Za-z0-9])", re.IGNORECASE)
_PAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{5}\d{4}[A-Za-z](?![A-Za-z0-9])")
_CN_RESIDENT_ID_RE = re.compile(r"(?<![0-9])\d{17}[\dXx](?![0-9A-Za-z])")
_NAMED_ID_RE = re.compile(
    r"(?:passport|aadhaa?r|\bPAN\b|\bpan\s+(?:card|number|no)|voter\s*id|epic|driving\s*licen[cs]e|\bDL\b|licen[cs]e|"
    r"account|a/c|acct|ifsc|gstin|customer\s*id|ssn|social\s+security|身份证|护照|银行卡|账号)"
    r"(?:\s*(?:card|number|num|no\.?|#|id))?\s*(?:is|:|#|-|是|号码?|为)?\s*(?P<value>[A-Za-z]{0,5}\d(?:[\d -]{2,26}\d)?[A-Za-z]?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# a run of digits with separators (" ", ".", "-", brackets), optionally led by + or (+
_NUMBER_RUN_RE = re.compile(r"(?<![0-9])(?:\(\s?)?\+?\s?\d(?:(?:[ \t.\-]{1,3}|\s?[()]\s?)?\d)*")
_PHONE_CONTEXT_RE = re.compile(
    r"(?:call|phone|mobile|mob|cell|tel|telephone|contact|whats\s?app|number|no\.?|ph|sms|text|ring|电话|手机|号码)\W{0,4}$",
    re.IGNORECASE,
)
_NOT_PHONE_CONTEXT_RE = re.compile(
    r"(?:model|order|item|product|style|part|serial|sku|article|invoice|tracking|awb|reference|ref|size)\W*(?:number|no\.?|num|#)?\W*$",
    re.IGNORECASE,
)
_DIGIT_WORDS = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"
_SPELLED_PHONE_RE = re.compile(rf"\b{_DIGIT_WORDS}(?:[\s,-]+{_DIGIT_WORDS}){{9,}}\b", re.IGNORECASE)

_STREET_WORDS = (
    r"street|st\.|road|rd\.?|avenue|ave\.?|lane|ln\.?|marg|nagar|colony|sector|layout|vihar|enclave|residency|"
    r"apartments?|society|salai|gali|galli|chowk|bagh|puram|palya|halli|peth|wadi|boulevard|blvd\.?|highway|"
    r"cross\s+road|main\s+road|cross|main"
)
_STREET_RE = re.compile(
    rf"(?<![A-Za-z0-9.,-])#?\d{{1,5}}[A-Za-z]?(?:[ ]?[/-][ ]?\d{{1,5}}[A-Za-z]?)?,?[ \t]+(?:(?:[A-Za-z][\w.'-]*|\d{{1,3}}(?:st|nd|rd|th))[ \t]+){{0,4}}?(?:{_STREET_WORDS})(?![A-Za-z])",
    re.IGNORECASE,
)
# "cross"/"main" alone are product words too ("2 cross body bags", "1 main feature"): only with a capitalised name before
_WEAK_STREET_END = re.compile(r"(?:cross|main)$", re.IGNORECASE)
_UNIT_RE = re.compile(
    r"(?<![A-Za-z])(?:flat|house|h\.?\s?no\.?|plot|door|apartment|apt\.?|villa|bungalow|qtrs?\.?|quarters?|sector|"
    r"room|block|wing|tower|floor|shop|unit|suite)\.?\s*(?:no\.?|number|num|#)?\s*[:#-]?\s*"
    r"[A-Za-z]?-?\d{1,5}[A-Za-z]?(?:\s?[/-]\s?[A-Za-z0-9]{1,5})*(?![0-9])",
    re.IGNORECASE,
)
# "C-204, Lotus Towers, Powai" / "A-12 Vasant Kunj": a block letter and a flat number, then named parts
_LETTER_UNIT_RE = re.compile(r"(?<![A-Za-z0-9-])[A-Z]-?\d{1,4}[A-Z]?(?![A-Za-z0-9-])")
# "1600 Amphitheatre Parkway", "10 Downing Close": Title-case names before a weaker street word
_TITLE_STREET_RE = re.compile(
    r"(?<![A-Za-z0-9.,-])\d{1,5}[A-Za-z]?,?[ \t]+(?:[A-Z][a-z]+[ \t]+){1,3}"
    r"(?:Parkway|Way|Drive|Dr\.?|Court|Ct\.?|Place|Pl\.?|Close|Crescent|Terrace|Square|Circle|Park|Block|Hills?|Gardens|Estate|Row|Walk)(?![A-Za-z])"
)
_SECRET_CODE_RE = re.compile(
    r"(?:cvv2?|cvc|otp|upi\s*pin|atm\s*pin|mpin|验证码)\s*(?:is|:|-|#|是)?\s*(?<![0-9])(\d{3,8})(?![0-9])", re.IGNORECASE
)
_WEAK_UNITS = re.compile(r"^(?:room|block|wing|tower|floor|shop|unit|suite|sector)", re.IGNORECASE)
_PIN_KEYWORD_RE = re.compile(
    r"(?:pin\s*code|pincode|pin|postal\s*code|post\s*code|zip\s*code|zip|邮编|邮政编码)\s*(?:is|:|#|-|是)?\s*(?<![0-9])[1-9]\d{2}\s?\d{3}(?![0-9])",
    re.IGNORECASE,
)
_CITY_PIN_RE = re.compile(r"(?<![A-Za-z])([A-Z][a-z]{2,}(?:\s[A-Z][a-z]+)?)\s*[,-]?\s*(?<![0-9])[1-9]\d{2}\s?\d{3}(?![0-9])")
_NOT_A_CITY = _words(
    "Rs Rupees Inr Under Below Above Over Upto Budget Price Prices Cost Costs Around About Only Just Total Pay Paid "
    "Mrp Ram Rom Size Order Item Model"
)
_CN_ADDRESS_RE = re.compile(
    r"[\u4e00-\u9fff]{0,12}(?:省|市|区|县|镇|乡)?[\u4e00-\u9fff]{1,10}(?:路|街|大道|道|巷|弄|胡同)\s?\d{1,5}\s?号"
    r"(?:\s?[\d\u4e00-\u9fff]{0,8}?\d{1,5}\s?(?:室|栋|楼|单元|座|层))*"
)
# words that continue an address after its anchor ("…, Sai Residency, Andheri West, Mumbai 400053")
_ADDRESS_WORDS = _words(
    "road rd street st lane ln marg nagar colony sector layout vihar enclave residency apartment apartments society "
    "salai gali galli chowk bagh puram palya halli peth wadi boulevard blvd highway cross main stage phase block "
    "wing tower floor near opp opposite behind beside west east north south extension extn township village taluk "
    "tehsil district dist city town sadan bhavan bhawan niwas house complex plaza park market bazar bazaar circle "
    "square garden gardens heights estate and of the"
)
_STOP_WORDS = _words(
    "when where what why how who which please pls can could would will shall should is are was were am do does did "
    "i you we they my your our it its this that want need order ordered deliver delivered delivery ship shipped "
    "shipping arrive arrived thanks thank hi hello but so if because asap today tomorrow yesterday call send help"
)


def _fold(text: str) -> str:
    """Full-width ASCII and exotic spaces/dashes to ASCII, one character for one (spans stay aligned)."""
    return text.translate(_FOLD)


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


class _Scan:
    """The text being scanned; each claimed span is masked so later recognisers don't see it."""

    def __init__(self, text: str) -> None:
        self.work = _fold(text)
        self.findings: list[Finding] = []

    def claim(self, kind: PiiKind, start: int, end: int) -> None:
        if end <= start or not self.work[start:end].strip(_MASK + "\x01"):
            return
        self.findings.append(Finding(kind, start, end))
        self.work = self.work[:start] + _MASK * (end - start) + self.work[end:]

    def protect(self, start: int, end: int) -> None:
        """Hide a span (an order id) from every recogniser without reporting it."""
        self.work = self.work[:start] + "\x01" * (end - start) + self.work[end:]


def _spelled_email_ok(m: re.Match[str]) -> bool:
    """Tell "priya at gmail dot com" from "available at amazon.in" / "only at flipkart.com"."""
    text, local = m.group(0), m.group("local")
    if re.search(r"\S@\S|[\[({<]\s*at", text, re.IGNORECASE):
        return True
    if local.lower() in _NOT_A_LOCAL_PART or not re.search(r"[A-Za-z]", local):
        return False
    spelled_dot = re.search(r"\bdot\b", m.group("domain"), re.IGNORECASE)
    provider = m.group("domain").split(".")[0].split()[0].lower() in _MAIL_PROVIDERS
    looks_local = bool(re.search(r"[0-9._]", local)) or re.search(r"\bdot\b", local, re.IGNORECASE)
    return bool(spelled_dot or provider or looks_local)


def _emails(scan: _Scan) -> None:
    for m in list(_INTL_EMAIL_RE.finditer(scan.work)):
        start, local = m.start(), m.group(0).split("@", 1)[0]
        if _CJK.search(local) and re.search(r"[A-Za-z0-9]", local):
            # "邮箱是karan@example.com": the sentence before an ASCII address is not part of it
            ascii_tail = re.search(r"[A-Za-z0-9!#$%&'*+/=?^`{|}~.-]+$", local)
            if ascii_tail:
                start = m.start() + ascii_tail.start()
        scan.claim(PiiKind.EMAIL, start, m.end())
    for m in list(_SPELLED_EMAIL_RE.finditer(scan.work)):
        if _spelled_email_ok(m):
            scan.claim(PiiKind.EMAIL, m.start(), m.end())


def _ids(scan: _Scan) -> None:
    for pattern in (_UPI_RE, _GSTIN_RE, _CN_RESIDENT_ID_RE, _PAN_RE):
        for m in list(pattern.finditer(scan.work)):
            if pattern is _PAN_RE and not (re.search(r"[A-Z]", m.group(0)) or m.group(0).islower()):
                continue
            scan.claim(PiiKind.ID, m.start(), m.end())
    for m in list(_SECRET_CODE_RE.finditer(scan.work)):
        scan.claim(PiiKind.ID, m.start(1), m.end(1))
    for m in list(_NAMED_ID_RE.finditer(scan.work)):
        value = m.group("value")
        if sum(c.isdigit() for c in value) >= 4:
            scan.claim(PiiKind.ID, m.start("value"), m.end("value"))


def _number_kind(raw: str, before: str) -> PiiKind | None:
    digits = re.sub(r"\D", "", raw)
    n = len(digits)
    international = raw.lstrip("( ").startswith("+") or digits.startswith("00")
    if raw.lstrip("( ").startswith("+") and 8 <= n <= 15:
        return PiiKind.PHONE  # a card number is never written with a leading +
    if 13 <= n <= 19 and _luhn_ok(digits):
        return PiiKind.CARD
    if international and 8 <= n <= 15:
        return PiiKind.PHONE
    if n == 12:
        return PiiKind.PHONE if digits.startswith("91") and digits[2] in "6789" else PiiKind.ID
    if 10 <= n <= 11:
        return PiiKind.PHONE
    if 7 <= n <= 9 and _PHONE_CONTEXT_RE.search(before) and not _NOT_PHONE_CONTEXT_RE.search(before):
        return PiiKind.PHONE
    if n >= 12:
        return PiiKind.ID
    return None


def _numbers(scan: _Scan) -> None:
    for m in list(_SPELLED_PHONE_RE.finditer(scan.work)):
        scan.claim(PiiKind.PHONE, m.start(), m.end())
    for m in list(_NUMBER_RUN_RE.finditer(scan.work)):
        raw = m.group(0)
        if (
            re.search(r"(?<![A-Za-z0-9])[A-Za-z]$", scan.work[: m.start()])
            and not raw[0] in "+("
            and not (13 <= len(re.sub(r"\D", "", raw)) and _luhn_ok(re.sub(r"\D", "", raw)))
        ):
            continue  # a model or SKU code ("r8851116001"), not a phone glued to a word
        kind = _number_kind(raw, scan.work[max(0, m.start() - 24) : m.start()])
        if kind is not None:
            lead = len(raw) - len(raw.lstrip(" " if ")" in raw else "( "))
            scan.claim(kind, m.start() + lead, m.end())


def _extend_address(work: str, end: int, max_tokens: int = 14) -> int:
    """Grow an address span over the components that follow its anchor; stop at the sentence."""
    pos, taken = end, 0
    token_re = re.compile(
        r"[ \t]*(,|-|/)?[ \t]*([A-Za-z][A-Za-z.'&]*|\d{1,6}(?:st|nd|rd|th)?[A-Za-z]?(?:/\d{1,5})?)", re.IGNORECASE
    )
    while taken < max_tokens:
        m = token_re.match(work, pos)
        if not m:
            break
        word = m.group(2)
        low = word.lower().rstrip(".")
        if low in _STOP_WORDS:
            break
        if word[0].isdigit() or word[0].isupper() or low in _ADDRESS_WORDS:
            pos, taken = m.end(), taken + 1
            continue
        break
    # never end on a joining word
    tail = re.search(r"(?:\s*[,/-]?\s*(?:and|of|the|near|opp))+$", work[end:pos], re.IGNORECASE)
    return end + tail.start() if tail else pos


def _addresses(scan: _Scan) -> None:
    for m in list(_CN_ADDRESS_RE.finditer(scan.work)):
        scan.claim(PiiKind.ADDRESS, m.start(), m.end())
    for m in list(_UNIT_RE.finditer(scan.work)):
        end = _extend_address(scan.work, m.end())
        if _WEAK_UNITS.match(m.group(0)) and end == m.end():
            continue  # "room 2", "floor 3" alone: not enough to call it an address
        scan.claim(PiiKind.ADDRESS, m.start(), end)
    for m in list(_STREET_RE.finditer(scan.work)):
        text = m.group(0)
        if _WEAK_STREET_END.search(text) and not re.search(r"\s[A-Z][a-z]+\s+\w+$|\d(?:st|nd|rd|th)\s+\w+$", text):
            continue
        scan.claim(PiiKind.ADDRESS, m.start(), _extend_address(scan.work, m.end()))
    for m in list(_TITLE_STREET_RE.finditer(scan.work)):
        scan.claim(PiiKind.ADDRESS, m.start(), _extend_address(scan.work, m.end()))
    for m in list(_LETTER_UNIT_RE.finditer(scan.work)):
        end = _extend_address(scan.work, m.end())
        rest = scan.work[m.end() : end]
        named = re.findall(r"[A-Z][a-z]+", rest)
        shaped = "-" in m.group(0) or rest.lstrip().startswith(",")
        addressy = any(w.lower() in _ADDRESS_WORDS for w in re.findall(r"[A-Za-z]+", rest)) or re.search(r"\d{6}", rest)
        if len(named) >= 2 and (shaped or addressy):  # "A-12 Vasant Kunj", not "size M-2" or "Galaxy S23 Ultra Black"
            scan.claim(PiiKind.ADDRESS, m.start(), end)
    for m in list(_PIN_KEYWORD_RE.finditer(scan.work)):
        scan.claim(PiiKind.ADDRESS, m.start(), m.end())
    for m in list(_CITY_PIN_RE.finditer(scan.work)):
        if m.group(1).split()[0] in _NOT_A_CITY:
            continue
        scan.claim(PiiKind.ADDRESS, m.start(), m.end())


def find_pii(text: str) -> list[Finding]:
    """Where the personal data in ``text`` is, in text order (spans index the original string)."""
    if not text:
        return []
    scan = _Scan(text)
    for m in ORDER_ID_RE.finditer(scan.work):
        scan.protect(m.start(), m.end())
    _emails(scan)
    _ids(scan)
    _numbers(scan)
    _addresses(scan)
    return sorted(scan.findings, key=lambda f: f.start)


def redact(text: str) -> str:
    """``text`` with every piece of personal data replaced by its tag (``[EMAIL]``, ``[PHONE]``…)."""
    if not text:
        return text
    out, last = [], 0
    for f in find_pii(text):
        if f.start < last:
            continue
        out.append(text[last : f.start])
        out.append(f.kind.tag)
        last = f.end
    out.append(text[last:])
    return "".join(out)


def redact_json(value: Any) -> Any:
    """A JSON-like value with every string (keys included) redacted; numbers and booleans kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(k) if isinstance(k, str) else k: redact_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(v) for v in value]
    return value


def contains_pii(text: str) -> bool:
    return bool(find_pii(text))


def find_emails(text: str) -> list[str]:
    """The e-mail addresses written in ``text``, normalised (``priya at gmail dot com`` → ``priya@gmail.com``)."""
    work = _fold(text or "")
    found = [m.group(0).lower() for m in EMAIL_RE.finditer(work)]
    for m in _SPELLED_EMAIL_RE.finditer(work):
        if "@" not in m.group(0) and m.group("local").lower() in _NOT_A_LOCAL_PART:
            continue
        dot = re.compile(_DOT, re.IGNORECASE)
        candidate = f"{dot.sub('.', m.group('local'))}@{dot.sub('.', m.group('domain'))}".lower()
        if EMAIL_RE.fullmatch(candidate):
            found.append(candidate)
    return list(dict.fromkeys(found))


def remove_emails(text: str) -> str:
    """``text`` without its e-mail addresses (any form), e.g. before routing or product parsing."""
    out, last = [], 0
    for f in find_pii(text):
        if f.kind is PiiKind.EMAIL and f.start >= last:
            out.append(text[last : f.start] + " ")
            last = f.end
    return "".join(out) + text[last:]


# --- the per-store secret ---------------------------------------------------------------------------
SECRET_FILE = "secret.key"


@dataclass(frozen=True)
class StoreSecret:
    """A random key created once per store (``AISLE_HOME/secret.key``, mode 0600).

    Used for the few keyed digests the store keeps: the e-mail under verification (compared,
    never stored), the session in a training example's provenance, counter keys of clients.
    """

    key: bytes

    def digest(self, value: str, purpose: str, normalize: bool = True) -> str:
        """HMAC-SHA256 of ``value`` (trimmed and lower-cased unless ``normalize=False``) for ``purpose`` (domain-separated), hex."""
        msg = f"{purpose}\x00{value.strip().lower() if normalize else value}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:32]

    def matches(self, digest: str, value: str, purpose: str) -> bool:
        """Constant-time: is ``digest`` the digest of ``value``?"""
        return hmac.compare_digest(digest.encode(), self.digest(value, purpose).encode())

    @classmethod
    def load_or_create(cls, home: Path) -> StoreSecret:
        """The store's secret; created (random, 32 bytes) the first time. Safe against two processes racing."""
        path = Path(home) / SECRET_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreUnavailableError(f"cannot create the store secret {path}: {exc}; check AISLE_HOME is writable") from exc
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        for _ in range(50):  # another process may be between creating and writing the file
            raw = path.read_text(encoding="ascii").strip()
            if raw:
                return cls(bytes.fromhex(raw))
            time.sleep(0.02)
        raise StoreUnavailableError(f"{path} is empty; delete it and run `aisle setup` again to create a new store secret")


# --- logs ------------------------------------------------------------------------------------------
class _RedactingRecordFactory:
    """Wraps the log-record factory: every record's message is redacted once it is created."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed log call stays the logging module's problem
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record


def install_log_redaction() -> None:
    """Redact personal data from every log record of this process, whatever handlers are set up (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingRecordFactory):
        logging.setLogRecordFactory(_RedactingRecordFactory(factory))
