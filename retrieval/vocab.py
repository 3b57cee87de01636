"""Facet vocabularies shared by catalog cleaning and query parsing.

A facet value is canonicalised the same way on both sides, so a shopper's "navy" finds a
product whose spec says "Navy Blue", and "ladies" finds "Women's".
"""

from __future__ import annotations

import re

# canonical colour -> families it also belongs to (asking for "blue" finds navy items)
COLOR_FAMILIES: dict[str, tuple[str, ...]] = {
    "red": (),
    "blue": (),
    "green": (),
    "black": (),
    "white": (),
    "yellow": (),
    "pink": (),
    "purple": (),
    "orange": (),
    "brown": (),
    "grey": (),
    "beige": (),
    "gold": (),
    "silver": (),
    "maroon": ("red",),
    "navy": ("blue",),
    "cream": ("white",),
    "tan": ("brown",),
    "olive": ("green",),
    "teal": ("blue", "green"),
    "turquoise": ("blue",),
    "magenta": ("pink",),
    "peach": ("orange", "pink"),
    "khaki": ("beige",),
    "multicolor": (),
    "transparent": (),
}

COLOR_SYNONYMS: dict[str, str] = {
    "gray": "grey",
    "golden": "gold",
    "multicolour": "multicolor",
    "multi": "multicolor",
    "multi-color": "multicolor",
    "multi-colour": "multicolor",
    "assorted": "multicolor",
    "coffee": "brown",
    "chocolate": "brown",
    "taupe": "brown",
    "almond": "beige",
    "alamond": "beige",
    "aqua": "turquoise",
    "indigo": "blue",
    "violet": "purple",
    "lavender": "purple",
    "wine": "maroon",
    "burgundy": "maroon",
    "off-white": "cream",
    "ivory": "cream",
    "skin": "beige",
    "nude": "beige",
    "copper": "brown",
    "rose": "pink",
    "fuchsia": "magenta",
    "mustard": "yellow",
    "lemon": "yellow",
    "charcoal": "grey",
    "steel": "silver",
    "clear": "transparent",
    "navy blue": "navy",
    "sky blue": "blue",
    "royal blue": "blue",
    "dark blue": "blue",
    "light blue": "blue",
    "dark green": "green",
    "light green": "green",
    "sea green": "green",
    "dark brown": "brown",
    "light pink": "pink",
    "baby pink": "pink",
    "hot pink": "pink",
    "rose gold": "gold",
}

# Chinese colour words (a plus in the issue): map to the canonical English colour.
COLOR_ZH: dict[str, str] = {
    "红色": "red",
    "红": "red",
    "蓝色": "blue",
    "蓝": "blue",
    "绿色": "green",
    "绿": "green",
    "黑色": "black",
    "黑": "black",
    "白色": "white",
    "白": "white",
    "黄色": "yellow",
    "黄": "yellow",
    "粉色": "pink",
    "粉红色": "pink",
    "粉红": "pink",
    "紫色": "purple",
    "紫": "purple",
    "橙色": "orange",
    "橙": "orange",
    "棕色": "brown",
    "咖啡色": "brown",
    "灰色": "grey",
    "灰": "grey",
    "金色": "gold",
    "银色": "silver",
    "米色": "beige",
    "藏青色": "navy",
    "酒红色": "maroon",
}

# Words that name a colour inside a "Color" attribute but mean something else in free text
# ("coffee mug", "rose gold", "steel bottle", "clear case"): only trusted in attributes.
AMBIGUOUS_COLOR_WORDS = frozenset(
    {
        "coffee",
        "chocolate",
        "rose",
        "wine",
        "lemon",
        "steel",
        "copper",
        "skin",
        "nude",
        "clear",
        "charcoal",
        "mustard",
        "almond",
        "alamond",
        "taupe",
        "multi",
        "assorted",
        "transparent",
        "orange juice",
        "tan",
    }
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
    # clothing
    "连衣裙": "dress",
    "半身裙": "skirt",
    "短裙": "skirt",
    "长裙": "long dress",
    "裙子": "dress",
    "裙": "dress",
    "T恤": "t-shirt",
    "t恤": "t-shirt",
    "体恤": "t-shirt",
    "衬衫": "shirt",
    "衬衣": "shirt",
    "上衣": "top",
    "女装上衣": "top",
    "牛仔裤": "jeans",
    "打底裤": "leggings",
    "紧身裤": "leggings",
    "短裤": "shorts",
    "运动裤": "track pants",
    "裤子": "trousers",
    "外套": "jacket",
    "夹克": "jacket",
    "西装": "blazer",
    "西服": "suit",
    "毛衣": "sweater",
    "卫衣": "sweatshirt",
    "睡衣": "nightwear",
    "内衣": "lingerie",
    "文胸": "bra",
    "胸罩": "bra",
    "泳衣": "swimwear",
    "运动服": "sports wear",
    "袜子": "socks",
    "围巾": "scarf",
    "披肩": "stole",
    "纱丽": "saree",
    "沙丽": "saree",
    "库尔塔": "kurta",
    "库尔蒂": "kurti",
    "衣服": "clothing",
    "童装": "kids clothing",
    "婴儿服": "infant wear",
    "连体衣": "romper",
    "背心": "vest",
    "帽子": "cap",
    # footwear
    "运动鞋": "sports shoes",
    "跑步鞋": "running shoes",
    "跑鞋": "running shoes",
    "休闲鞋": "casual shoes",
    "帆布鞋": "canvas shoes",
    "凉鞋": "sandals",
    "拖鞋": "slippers",
    "人字拖": "flip flops",
    "高跟鞋": "heels",
    "平底鞋": "flats",
    "坡跟鞋": "wedges",
    "芭蕾舞鞋": "ballerinas",
    "靴子": "boots",
    "皮鞋": "formal shoes",
    "鞋子": "shoes",
    "鞋": "shoes",
    # jewellery, watches
    "手表": "watch",
    "腕表": "wrist watch",
    "戒指": "ring",
    "项链": "necklace",
    "耳环": "earrings",
    "耳钉": "earrings",
    "手链": "bracelet",
    "手镯": "bangle",
    "吊坠": "pendant",
    "脚链": "anklet",
    "首饰": "jewellery",
    "珠宝": "jewellery",
    # bags
    "双肩包": "backpack",
    "背包": "backpack",
    "书包": "school bag",
    "手提包": "handbag",
    "女包": "handbag",
    "手拿包": "clutch",
    "斜挎包": "sling bag",
    "钱包": "wallet",
    "皮带": "belt",
    "腰带": "belt",
    "行李箱": "luggage",
    "旅行包": "travel bag",
    # kitchen, home
    "马克杯": "mug",
    "咖啡杯": "coffee mug",
    "杯子": "mug",
    "水瓶": "bottle",
    "水杯": "bottle",
    "保温杯": "flask",
    "饭盒": "lunch box",
    "锅": "cookware",
    "平底锅": "pan",
    "碗": "bowl",
    "盘子": "plate",
    "餐具": "tableware",
    "茶杯": "cups and saucers",
    "枕头": "pillow",
    "枕套": "pillow cover",
    "床单": "bedsheet",
    "被套": "duvet cover",
    "窗帘": "curtains",
    "毛巾": "towel",
    "浴巾": "bath towel",
    "桌布": "table cover",
    "靠垫": "cushion",
    "抱枕": "cushion",
    "沙发床": "sofa bed",
    "蜡烛": "candle",
    "香薰": "fragrance",
    "摆件": "showpiece",
    "相框": "photo frame",
    "花瓶": "vase",
    "挂钟": "wall clock",
    "墙贴": "wall sticker",
    "装饰品": "decor",
    "灯泡": "bulb",
    "台灯": "lamp",
    # mobiles, computers, electronics
    "手机壳": "mobile cover",
    "手机套": "mobile pouch",
    "充电器": "charger",
    "数据线": "cable",
    "充电宝": "power bank",
    "贴膜": "screen guard",
    "钢化膜": "screen guard",
    "耳机": "headphones",
    "音箱": "speaker",
    "蓝牙音箱": "bluetooth speaker",
    "自拍杆": "selfie stick",
    "键盘": "keyboard",
    "鼠标": "mouse",
    "路由器": "router",
    "U盘": "pendrive",
    "笔记本电脑": "laptop",
    "电脑包": "laptop bag",
    "相机": "camera",
    # beauty
    "口红": "lipstick",
    "唇膏": "lip balm",
    "指甲油": "nail polish",
    "香水": "perfume",
    "洗发水": "shampoo",
    "护发素": "conditioner",
    "面霜": "face cream",
    "化妆品": "makeup",
    "眼线笔": "eyeliner",
    "香皂": "soap",
    "肥皂": "soap",
    # other catalog departments
    "汽车用品": "car accessories",
    "车灯": "car light",
    "车罩": "car cover",
    "座套": "seat cover",
    "摩托车": "bike",
    "汽车": "car",
    "笔记本": "notebook",
    "日记本": "diary",
    "文件夹": "file folder",
    "马克笔": "marker",
    "钢笔": "pen",
    "笔": "pen",
    "玩具": "toys",
    "毛绒玩具": "soft toy",
    "拼图": "puzzle",
    "棋": "board game",
    "板球": "cricket",
    "瑜伽垫": "yoga mat",
    "足球": "football",
    "羽毛球": "badminton",
    "滑板": "skating",
    "宠物": "pet",
    "狗": "dog",
    "猫": "cat",
    "工具": "tools",
    "螺丝刀": "screwdriver",
    "尿布": "diaper",
    "纸尿裤": "diaper",
    "蛋白粉": "protein supplement",
    "包": "bag",
    # words that contain a product character but name no product (consumed, not translated)
    "包邮": "",
    "包裹": "",
    "包装": "",
    "红包": "",
    "面包": "",
    "笔记": "",
}


CJK_RE = re.compile(r"[\u3400-\u9fff]")


def translate_product_zh(value: str) -> list[str]:
    """English names of the Chinese product nouns in ``value`` ("红色的连衣裙" → ["dress"])."""
    out: list[str] = []
    rest = value
    for zh in sorted(PRODUCT_ZH, key=len, reverse=True):
        if zh in rest:
            if PRODUCT_ZH[zh]:
                out.append(PRODUCT_ZH[zh])
            rest = rest.replace(zh, " ")
    return list(dict.fromkeys(out))


# --- gender / audience ------------------------------------------------------------------
GENDER_SYNONYMS: dict[str, str] = {
    "women": "women",
    "woman": "women",
    "womens": "women",
    "ladies": "women",
    "lady": "women",
    "female": "women",
    "females": "women",
    "her": "women",
    "wife": "women",
    "girlfriend": "women",
    "men": "men",
    "man": "men",
    "mens": "men",
    "gents": "men",
    "gentlemen": "men",
    "male": "men",
    "males": "men",
    "him": "men",
    "husband": "men",
    "boyfriend": "men",
    "dad": "men",
    "father": "men",
    "brother": "men",
    "grandfather": "men",
    "grandpa": "men",
    "uncle": "men",
    "mom": "women",
    "mum": "women",
    "mother": "women",
    "sister": "women",
    "grandmother": "women",
    "grandma": "women",
    "aunt": "women",
    "son": "boys",
    "daughter": "girls",
    "girls": "girls",
    "girl": "girls",
    "boys": "boys",
    "boy": "boys",
    "kids": "kids",
    "kid": "kids",
    "children": "kids",
    "child": "kids",
    "childrens": "kids",
    "baby": "baby",
    "babies": "baby",
    "infant": "baby",
    "infants": "baby",
    "toddler": "baby",
    "unisex": "unisex",
    "couple": "couple",
    "女士": "women",
    "女": "women",
    "男士": "men",
    "男": "men",
    "儿童": "kids",
    "女孩": "girls",
    "男孩": "boys",
    "女生": "women",
    "男生": "men",
    "女款": "women",
    "男款": "men",
    "女式": "women",
    "男式": "men",
    "妈妈": "women",
    "老婆": "women",
    "女朋友": "women",
    "爸爸": "men",
    "老公": "men",
    "男朋友": "men",
    "孩子": "kids",
    "小孩": "kids",
    "宝宝": "baby",
    "婴儿": "baby",
    "女儿": "girls",
    "儿子": "boys",
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
