"""Facet vocabularies shared by catalog cleaning and query parsing.

A facet value is canonicalised the same way on both sides, so a shopper's "navy" finds a
product whose spec says "Navy Blue", and "ladies" finds "Women's".
"""

from __future__ import annotations

import re

# canonical colour -> families it also belongs to (asking for "blue" finds navy items)
COLOR_FAMILIES: dict[str, tuple[str, ...]] = {
    "red": (), "blue": (), "green": (), "black": (), "white": (), "yellow": (), "pink": (),
    "purple": (), "orange": (), "brown": (), "grey": (), "beige": (), "gold": (), "silver": (),
    "maroon": ("red",), "navy": ("blue",), "cream": ("white",), "tan": ("brown",),
    "olive": ("green",), "teal": ("blue", "green"), "turquoise": ("blue",), "magenta": ("pink",),
    "peach": ("orange", "pink"), "khaki": ("beige",), "multicolor": (), "transparent": (),
}

COLOR_SYNONYMS: dict[str, str] = {
    "gray": "grey", "golden": "gold", "multicolour": "multicolor", "multi": "multicolor",
    "multi-color": "multicolor", "multi-colour": "multicolor", "assorted": "multicolor",
    "coffee": "brown", "chocolate": "brown", "taupe": "brown", "almond": "beige", "alamond": "beige",
    "aqua": "turquoise", "indigo": "blue", "violet": "purple", "lavender": "purple", "wine": "maroon",
    "burgundy": "maroon", "off-white": "cream", "ivory": "cream", "skin": "beige", "nude": "beige",
    "copper": "brown", "rose": "pink", "fuchsia": "magenta", "mustard": "yellow", "lemon": "yellow",
    "charcoal": "grey", "steel": "silver", "clear": "transparent", "navy blue": "navy",
    "sky blue": "blue", "royal blue": "blue", "dark blue": "blue", "light blue": "blue",
    "dark green": "green", "light green": "green", "sea green": "green", "dark brown": "brown",
    "light pink": "pink", "baby pink": "pink", "hot pink": "pink", "rose gold": "gold",
}

# Chinese colour words (a plus in the issue): map to the canonical English colour.
COLOR_ZH: dict[str, str] = {
    "红色": "red", "红": "red", "蓝色": "blue", "蓝": "blue", "绿色": "green", "绿": "green",
    "黑色": "black", "黑": "black", "白色": "white", "白": "white", "黄色": "yellow", "黄": "yellow",
    "粉色": "pink", "粉红色": "pink", "粉红": "pink", "紫色": "purple", "紫": "purple",
    "橙色": "orange", "橙": "orange", "棕色": "brown", "咖啡色": "brown", "灰色": "grey", "灰": "grey",
    "金色": "gold", "银色": "silver", "米色": "beige", "藏青色": "navy", "酒红色": "maroon",
}

# Words that name a colour inside a "Color" attribute but mean something else in free text
# ("coffee mug", "rose gold", "steel bottle", "clear case"): only trusted in attributes.
AMBIGUOUS_COLOR_WORDS = frozenset(
    {"coffee", "chocolate", "rose", "wine", "lemon", "steel", "copper", "skin", "nude", "clear", "charcoal",
     "mustard", "almond", "alamond", "taupe", "multi", "assorted", "transparent", "orange juice", "tan"}
)

_COLOR_WORDS = sorted(set(COLOR_FAMILIES) | set(COLOR_SYNONYMS), key=len, reverse=True)
_COLOR_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in _COLOR_WORDS) + r")\b", re.IGNORECASE)
_FREE_TEXT_COLOR_RE = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in _COLOR_WORDS if w not in AMBIGUOUS_COLOR_WORDS) + r")\b", re.IGNORECASE
)


def canonical_colors(value: str | None, free_text: bool = False) -> list[str]:
    """All canonical colours (with their families) mentioned in ``value``, in order.

    ``"Island Blue, Black"`` → ``['blue', 'black']``; ``"Navy"`` → ``['navy', 'blue']``.
    With ``free_text=True`` (titles, queries) ambiguous words such as "coffee" are ignored.
    """
    if not value:
        return []
    out: list[str] = []
    pattern = _FREE_TEXT_COLOR_RE if free_text else _COLOR_RE
    for match in pattern.finditer(value.lower()):
        word = match.group(1).lower()
        canon = COLOR_SYNONYMS.get(word, word)
        for c in (canon, *COLOR_FAMILIES.get(canon, ())):
            if c not in out:
                out.append(c)
    for zh, canon in COLOR_ZH.items():
        if zh in value:
            for c in (canon, *COLOR_FAMILIES.get(canon, ())):
                if c not in out:
                    out.append(c)
    return out


# --- Chinese product nouns ------------------------------------------------------------------
# The encoder and BM25 are English; a Chinese query's colour and price are parsed above, and
# these common shopping nouns carry *what* is wanted across (longest match first).
PRODUCT_ZH: dict[str, str] = {
    "连衣裙": "dress", "半身裙": "skirt", "裙子": "dress", "裙": "dress", "运动鞋": "sports shoes", "跑步鞋": "running shoes",
    "凉鞋": "sandals", "拖鞋": "slippers", "高跟鞋": "heels", "靴子": "boots", "鞋子": "shoes", "鞋": "shoes",
    "手表": "watch", "戒指": "ring", "项链": "necklace", "耳环": "earrings", "手链": "bracelet", "手镯": "bangle",
    "T恤": "t-shirt", "t恤": "t-shirt", "衬衫": "shirt", "上衣": "top", "牛仔裤": "jeans", "裤子": "trousers", "外套": "jacket",
    "夹克": "jacket", "毛衣": "sweater", "纱丽": "saree", "库尔塔": "kurta", "手提包": "handbag", "背包": "backpack",
    "钱包": "wallet", "包": "bag", "马克杯": "mug", "咖啡杯": "coffee mug", "杯子": "mug", "水瓶": "bottle", "水杯": "bottle",
    "太阳镜": "sunglasses", "墨镜": "sunglasses", "手机壳": "mobile cover", "耳机": "headphones", "音箱": "speaker",
    "口红": "lipstick", "指甲油": "nail polish", "香水": "perfume", "枕头": "pillow", "床单": "bedsheet", "窗帘": "curtains",
    "毛巾": "towel", "玩具": "toys", "笔记本": "notebook", "蜡烛": "candle",
}


CJK_RE = re.compile(r"[\u3400-\u9fff]")


def translate_product_zh(value: str) -> list[str]:
    """English names of the Chinese product nouns in ``value`` ("红色的连衣裙" → ["dress"])."""
    out: list[str] = []
    rest = value
    for zh in sorted(PRODUCT_ZH, key=len, reverse=True):
        if zh in rest:
            out.append(PRODUCT_ZH[zh])
            rest = rest.replace(zh, " ")
    return list(dict.fromkeys(out))


# --- gender / audience ------------------------------------------------------------------
GENDER_SYNONYMS: dict[str, str] = {
    "women": "women", "woman": "women", "womens": "women", "ladies": "women", "lady": "women",
    "female": "women", "females": "women", "her": "women", "wife": "women", "girlfriend": "women",
    "men": "men", "man": "men", "mens": "men", "gents": "men", "gentlemen": "men", "male": "men",
    "males": "men", "him": "men", "husband": "men", "boyfriend": "men",
    "dad": "men", "father": "men", "brother": "men", "grandfather": "men", "grandpa": "men", "uncle": "men",
    "mom": "women", "mum": "women", "mother": "women", "sister": "women", "grandmother": "women", "grandma": "women", "aunt": "women",
    "son": "boys", "daughter": "girls",
    "girls": "girls", "girl": "girls", "boys": "boys", "boy": "boys",
    "kids": "kids", "kid": "kids", "children": "kids", "child": "kids", "childrens": "kids",
    "baby": "baby", "babies": "baby", "infant": "baby", "infants": "baby", "toddler": "baby",
    "unisex": "unisex", "couple": "couple",
    "女士": "women", "女": "women", "男士": "men", "男": "men", "儿童": "kids", "女孩": "girls", "男孩": "boys",
}

_GENDER_RE = re.compile(
    r"\b(" + "|".join(sorted((w for w in GENDER_SYNONYMS if w.isascii()), key=len, reverse=True)) + r")(?:'s|’s|s')?\b",
    re.IGNORECASE,
)


def canonical_genders(value: str | None, catalog_side: bool = True) -> list[str]:
    """Canonical audiences in ``value``.

    On the catalog side, items for girls/boys/baby are also "kids" and unisex items are
    for both women and men, so a filter on any of those finds them.
    """
    if not value:
        return []
    words = [GENDER_SYNONYMS[m.group(1).lower()] for m in _GENDER_RE.finditer(value.replace("’", "'"))]
    words += [g for zh, g in GENDER_SYNONYMS.items() if not zh.isascii() and zh in value]
    out: list[str] = []
    for g in words:
        expanded = [g]
        if catalog_side:
            if g in ("girls", "boys", "baby"):
                expanded.append("kids")
            if g in ("unisex", "couple"):
                expanded = ["unisex", "women", "men"]
        for e in expanded:
            if e not in out:
                out.append(e)
    return out


# --- sizes -------------------------------------------------------------------------------
LETTER_SIZES = ("xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl", "2xl", "3xl", "4xl", "free size")
SIZE_WORDS = {"small": "s", "medium": "m", "mediam": "m", "large": "l", "extra large": "xl", "free": "free size"}


def canonical_size(value: str | None) -> str | None:
    """A catalog size value as a short canonical string: ``'This product is sold as M…'`` → ``'m'``."""
    if not value:
        return None
    v = value.strip().lower()
    m = re.search(r"sold as (\w+)", v)
    if m:
        v = m.group(1)
    v = SIZE_WORDS.get(v, v)
    if v in LETTER_SIZES or re.fullmatch(r"\d{1,2}(\.\d)?", v):
        return v
    return None
