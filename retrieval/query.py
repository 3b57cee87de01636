"""Free-text query understanding: price ranges, colours, audiences, sizes and brands → filters.

All functions here are pure. Prices are recognised only with price context (a currency
marker, a comparison word or a "k" suffix), so "pack of 2", "500 ml" and "size 8" are
never mistaken for budgets. English and Chinese phrasings are understood:

    "under 500", "below ₹1k", "less than 2000 rupees", "between 1k and 2k", "₹1k-2k",
    "500 to 1,000 rs", "over 1500", "around 800", "500元以下", "500到1000元", "低于300"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from aisle.text import tokenize
from retrieval.schema import SearchFilters
from retrieval.vocab import (
    AMBIGUOUS_COLOR_WORDS,
    CJK_RE,
    COLOR_FAMILIES,
    COLOR_SYNONYMS,
    COLOR_ZH,
    GENDER_SYNONYMS,
    translate_product_zh,
)

_NUM = r"(\d{1,3}(?:,\d{2,3})+|\d+(?:\.\d+)?)\s*(k|K|thousand|lakh|lakhs|lac)?"
_CUR_PRE = r"(?:₹|rs\.?|inr|rupees?|\$|usd|€|eur)\s*"
_CUR_POST = r"\s*(?:₹|rs\.?|inr|rupees?|bucks|/-|元|块钱?|卢比)"
_UNITS = r"(?:ml|l|ltr|litre|liter|gb|tb|mb|mah|g|gm|gram|grams|kg|kgs|cm|mm|m|inch|inches|in|w|watt|v|pcs|pieces|pack|packs|years?|yrs?|months?|days?|x)\b"
_AMOUNT = rf"(?:{_CUR_PRE})?{_NUM}(?:{_CUR_POST})?"

_MAX_WORDS = r"under|below|less than|lesser than|cheaper than|within|up ?to|upto|max(?:imum)?|at most|not more than|no more than|not over|not above|budget(?: of| is)?|<=?|for less than|for under|less then"
_MIN_WORDS = r"over|above|more than|greater than|at least|min(?:imum)?|starting(?: at| from)?|from|>=?|costlier than|pricier than|higher than"
_AROUND_WORDS = r"around|about|approx(?:imately)?|roughly|near|close to|~|in the range of"

_RANGE_RE = re.compile(
    rf"(?:between|from|range|priced)?\s*{_AMOUNT}\s*(?:-|–|—|to|and|till|until|~|到|至)\s*{_AMOUNT}", re.IGNORECASE
)
_MAX_RE = re.compile(rf"(?:{_MAX_WORDS})\s*{_AMOUNT}", re.IGNORECASE)
_MIN_RE = re.compile(rf"(?:{_MIN_WORDS})\s*{_AMOUNT}", re.IGNORECASE)
_AROUND_RE = re.compile(rf"(?:{_AROUND_WORDS})\s*{_AMOUNT}", re.IGNORECASE)
_POST_MAX_RE = re.compile(
    rf"{_AMOUNT}\s*(?:or less|or below|and below|and under|or under|max|at most|以下|以内|之内)", re.IGNORECASE
)
_POST_MIN_RE = re.compile(rf"{_AMOUNT}\s*(?:or more|and above|or above|plus|\+|以上)", re.IGNORECASE)
_ZH_MAX_RE = re.compile(rf"(?:低于|少于|不超过|不到|小于|便宜于|最多|预算(?:是|在|为)?|控制在)\s*{_AMOUNT}")
_ZH_MIN_RE = re.compile(rf"(?:高于|多于|超过|大于|至少)\s*{_AMOUNT}")
_ZH_AROUND_RE = re.compile(rf"{_AMOUNT}\s*(?:左右|上下)")
_CURRENCY_AMOUNT_RE = re.compile(rf"(?:{_CUR_PRE}{_NUM}|{_NUM}{_CUR_POST})", re.IGNORECASE)

_SIZE_RE = re.compile(r"\bsize\s*[:=]?\s*(xxs|xs|s|m|l|xl|xxl|xxxl|2xl|3xl|4xl|\d{1,2}(?:\.\d)?)\b", re.IGNORECASE)
_BARE_SIZE_RE = re.compile(r"\b(xxs|xs|xl|xxl|xxxl|2xl|3xl|4xl)\b", re.IGNORECASE)
_IN_SIZE_RE = re.compile(r"\bin (?:a |an )?(small|medium|large|extra large|s|m|l)\b(?! \w)", re.IGNORECASE)
_SIZE_WORDS = {"small": "s", "medium": "m", "large": "l", "extra large": "xl"}

# "cheap"/"affordable" without a number is a ranking preference, not a filter. (No \b around the
# Chinese words: Han characters are word characters, so "便宜点的" has no boundary after 便宜.)
_CHEAP_RE = re.compile(
    r"\b(cheap|cheaper|cheapest|affordable|budget|inexpensive|low[- ]cost)\b|便宜|实惠|划算|平价", re.IGNORECASE
)

# Chinese numerals in prices: "两千以内" → "2000以内", "一千五" → 1500, "三百块" → "300块", "2万" → 20000
_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_NUMBER_RE = re.compile(r"(?:[零〇一二两三四五六七八九十]|\d)[零〇一二两三四五六七八九十百千万\d]*")


def zh_number(span: str) -> int | None:
    """The value of a Chinese (or mixed) numeral: "一千五" → 1500, "两万" → 20000, "1千" → 1000; None if not one."""
    total = section = 0
    num: int | None = None
    last_unit = 1
    i = 0
    while i < len(span):
        ch = span[i]
        if ch.isdigit():
            j = i
            while j < len(span) and span[j].isdigit():
                j += 1
            num, i = int(span[i:j]), j
            continue
        if ch in _ZH_DIGIT:
            num = _ZH_DIGIT[ch]
        elif ch in _ZH_UNIT:
            section += (1 if num is None else num) * _ZH_UNIT[ch]
            last_unit, num = _ZH_UNIT[ch], None
        elif ch == "万":
            total += (section + (num or 0)) * 10000
            section, num, last_unit = 0, None, 10000
        else:
            return None
        i += 1
    if num is not None:  # "一千五": a bare digit after a unit is the next lower place
        section += num * last_unit // 10 if last_unit >= 100 and num < 10 else num
    return total + section


def normalize_zh_numbers(text: str) -> str:
    """Chinese numerals that name amounts become digits (only spans with a place unit or a currency after them)."""

    def repl(m: re.Match[str]) -> str:
        span = m.group(0)
        has_unit = any(c in "十百千万" for c in span)
        followed = re.match(r"\s*(?:元|块|k\b)", text[m.end() :]) is not None
        if span.isdigit() or not (has_unit or followed):
            return span
        value = zh_number(span)
        return str(value) if value else span

    return _ZH_NUMBER_RE.sub(repl, text) if CJK_RE.search(text) else text


def _to_number(num: str, mult: str | None) -> float:
    value = float(num.replace(",", ""))
    m = (mult or "").lower()
    if m in ("k", "thousand"):
        value *= 1000
    elif m in ("lakh", "lakhs", "lac"):
        value *= 100000
    return value


def _is_unit_after(text: str, end: int) -> bool:
    return re.match(rf"\s*{_UNITS}", text[end:], re.IGNORECASE) is not None


@dataclass
class PriceRange:
    min_price: float | None = None
    max_price: float | None = None
    span: tuple[int, int] | None = None


def parse_price(text: str) -> PriceRange:
    """The price constraint in ``text`` (first match wins, most specific patterns first)."""
    for pattern, kind in (
        (_RANGE_RE, "range"),
        (_POST_MAX_RE, "max"),
        (_POST_MIN_RE, "min"),
        (_MAX_RE, "max"),
        (_ZH_MAX_RE, "max"),
        (_MIN_RE, "min"),
        (_ZH_MIN_RE, "min"),
        (_AROUND_RE, "around"),
        (_ZH_AROUND_RE, "around"),
    ):
        for m in pattern.finditer(text):
            if _is_unit_after(text, m.end()):
                continue
            if kind == "range":
                lo = _to_number(m.group(1), m.group(2))
                hi = _to_number(m.group(3), m.group(4) or m.group(2))
                whole = m.group(0).lower()
                has_context = (
                    bool(re.search(r"between|from|range|priced|₹|rs|inr|rupee|\$|元|k\b|thousand|到|至", whole))
                    or m.group(2)
                    or m.group(4)
                )
                if not has_context and not re.search(r"size\s*$", text[: m.start()], re.IGNORECASE):
                    # a bare "300-600" after a product word is a budget; "28-32" is not
                    has_context = lo >= 50 and hi >= 100
                if not has_context or lo == hi:
                    continue
                if m.group(4) and not m.group(2) and lo < 100 and _to_number(m.group(3), m.group(4)) >= 1000:
                    lo = _to_number(m.group(1), m.group(4))  # "1-2k" means 1k-2k
                lo, hi = min(lo, hi), max(lo, hi)
                return PriceRange(lo, hi, m.span())
            value = _to_number(m.group(1), m.group(2))
            if kind == "max":
                return PriceRange(None, value, m.span())
            if kind == "min":
                if re.match(r"\s*from\b", m.group(0), re.IGNORECASE) and not re.search(
                    r"₹|rs|inr|rupee|\$", m.group(0), re.IGNORECASE
                ):
                    continue  # "from 2016" / "from 3 brands" are not prices
                return PriceRange(value, None, m.span())
            return PriceRange(round(value * 0.8, 2), round(value * 1.2, 2), m.span())
    # A lone amount with a currency marker ("sandals 500 rupees") is a budget.
    m = _CURRENCY_AMOUNT_RE.search(text)
    if m:
        num, mult = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return PriceRange(None, _to_number(num, mult), m.span())
    return PriceRange()


def parse_colors(text: str) -> list[str]:
    """Colours the shopper asked for, canonical but without families (asking "navy" means navy)."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    words = sorted((set(COLOR_FAMILIES) | set(COLOR_SYNONYMS)) - AMBIGUOUS_COLOR_WORDS, key=len, reverse=True)
    taken: list[tuple[int, int]] = []
    for w in words:
        for m in re.finditer(rf"\b{re.escape(w)}\b", lowered):
            if any(s <= m.start() < e for s, e in taken):
                continue
            taken.append(m.span())
            found.append((m.start(), COLOR_SYNONYMS.get(w, w)))
    for zh, canon in COLOR_ZH.items():
        pos = text.find(zh)
        if pos >= 0 and len(zh) > 1:
            found.append((pos, canon))
    out: list[str] = []
    for _, c in sorted(found):
        if c not in out:
            out.append(c)
    return out


def parse_genders(text: str) -> list[str]:
    """Audience words: "women's", "ladies", "for him", "kids"…"""
    out: list[str] = []
    t = text.lower().replace("’", "'")
    for m in re.finditer(r"\b([a-z]+)(?:'s|s')?\b", t):
        g = GENDER_SYNONYMS.get(m.group(1))
        if g and m.group(1) not in ("her", "him") and g not in out:
            out.append(g)
    for phrase, g in (("for her", "women"), ("for him", "men")):
        if phrase in t and g not in out:
            out.append(g)
    for zh, g in GENDER_SYNONYMS.items():
        if not zh.isascii() and len(zh) > 1 and zh in text and g not in out:
            out.append(g)
    return out


def parse_sizes(text: str) -> list[str]:
    out: list[str] = []
    for m in _SIZE_RE.finditer(text):
        out.append(m.group(1).lower())
    for m in _BARE_SIZE_RE.finditer(text):
        out.append(m.group(1).lower())
    for m in _IN_SIZE_RE.finditer(text):
        out.append(_SIZE_WORDS.get(m.group(1).lower(), m.group(1).lower()))
    return list(dict.fromkeys(out))


@dataclass
class CatalogVocabulary:
    """Brands and category names of the current catalog, for recognising them in queries.

    A brand that is also an ordinary word in other brands' titles ("slim", "style") is
    *ambiguous* and never becomes a hard filter.
    """

    brands: dict[str, str] = field(default_factory=dict)  # lowercase surface → brand key
    ambiguous_brands: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, items: Iterable[tuple[str | None, str, list[str]]]) -> CatalogVocabulary:
        """``items`` are ``(brand, title, category_path)`` triples."""
        items = list(items)
        brands: dict[str, str] = {}
        cats: set[str] = set()
        for brand, _title, path in items:
            if brand and len(brand) >= 3:
                brands[brand.lower()] = brand.lower()
            cats.update(c.lower() for c in path)
        ambiguous: set[str] = set()
        for b in brands:
            pattern = re.compile(rf"\b{re.escape(b)}\b")
            others = sum(1 for brand, title, _ in items if (brand or "").lower() != b and pattern.search(title.lower()))
            if others > 0 or b in GENDER_SYNONYMS or b in COLOR_FAMILIES:
                ambiguous.add(b)
        return cls(brands=brands, ambiguous_brands=ambiguous, categories=cats)

    def find_brands(self, text: str) -> list[str]:
        lowered = text.lower()
        out: list[str] = []
        for surface in sorted(self.brands, key=len, reverse=True):
            if surface in self.ambiguous_brands:
                continue
            if re.search(rf"\b{re.escape(surface)}\b", lowered) and self.brands[surface] not in out:
                out.append(self.brands[surface])
        return out


@dataclass
class ParsedQuery:
    """A query split into what to match by meaning/words and what to filter on."""

    text: str
    filters: SearchFilters
    wants_cheap: bool = False
    source_text: str = (
        ""  # the query as written, price phrase removed, before any glossary translation (the multilingual encoder reads it)
    )

    @property
    def terms(self) -> list[str]:
        return tokenize(self.text)


def parse_query(text: str, vocabulary: CatalogVocabulary | None = None, base: SearchFilters | None = None) -> ParsedQuery:
    """Extract filters from ``text``; explicit ``base`` filters win over parsed ones.

    Colour and audience words stay in the text (they help ranking too); the price phrase is
    removed, since numbers only add noise to both BM25 and the encoder.
    """
    f = SearchFilters(**(base.to_dict() if base else {}))
    text = normalize_zh_numbers(text)
    price = parse_price(text)
    residual = text
    if price.span:
        residual = (text[: price.span[0]] + " " + text[price.span[1] :]).strip()
        if f.min_price is None and f.max_price is None:
            f.min_price, f.max_price = price.min_price, price.max_price
    if not f.colors:
        f.colors = parse_colors(text)
    if not f.genders:
        f.genders = parse_genders(text)
    if not f.sizes:
        f.sizes = parse_sizes(text)
    if not f.brands and vocabulary is not None:
        f.brands = vocabulary.find_brands(text)
    residual = re.sub(r"\s+", " ", re.sub(r"[?!]+", " ", residual)).strip(" ,.;-")
    source = residual
    if CJK_RE.search(residual):
        # the encoder and BM25 read English: keep the English words the shopper typed and the
        # product nouns the Chinese names ("更便宜" alone leaves nothing to search for)
        residual = " ".join([*(w for w in residual.split() if not CJK_RE.search(w)), *translate_product_zh(residual)])
    return ParsedQuery(text=residual, filters=f, wants_cheap=bool(_CHEAP_RE.search(text)), source_text=source)
