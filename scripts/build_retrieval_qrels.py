"""Build aisle's retrieval dev set: queries + graded judgments over the Flipkart sample.

Judgments come from explicit per-query rules over the *cleaned* catalog (category path,
attributes, price, colour, title words), not from pooling the systems under test, so they
do not favour dense or lexical retrieval by construction. Grades: 2 = what was asked
(type and every constraint), 1 = right kind of item but a constraint unmet, 0 = other.
Rules are deliberately simple and readable; spot-checked by hand.

Run:  python scripts/build_retrieval_qrels.py  (writes aisle/data/eval/retrieval_dev_*.jsonl)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from aisle.settings import Settings
from retrieval.ingest import read_catalog
from retrieval.schema import Product

OUT = Path(__file__).resolve().parents[1] / "aisle" / "data" / "eval"


def cat(p: Product, *nodes: str) -> bool:
    path = [c.lower() for c in p.category_path]
    return any(n in path for n in nodes)


def under(p: Product, *prefix: str) -> bool:
    path = [c.lower() for c in p.category_path]
    return path[: len(prefix)] == list(prefix)


def words(p: Product, *ws: str) -> bool:
    t = p.title.lower()
    return any(re.search(rf"\b{re.escape(w)}", t) for w in ws)


def price_le(p: Product, x: float) -> bool:
    return p.price is not None and p.price <= x


def price_ge(p: Product, x: float) -> bool:
    return p.price is not None and p.price >= x


def color(p: Product, c: str) -> bool:
    return c in p.colors


def gender(p: Product, g: str) -> bool:
    return g in p.genders


def g(cond2: bool, cond1: bool = False) -> int:
    return 2 if cond2 else (1 if cond1 else 0)


SANDAL_LIKE = ("sports sandals", "flats", "ballerinas", "heels", "wedges", "slippers & flip flops")

Rule = Callable[[Product], int]
QUERIES: list[tuple[str, Rule]] = [
    (
        "red women's sandals under 500",
        lambda p: g(
            (cat(p, *SANDAL_LIKE) or words(p, "sandal", "bellies", "flats"))
            and under(p, "footwear", "womens footwear")
            and color(p, "red")
            and price_le(p, 500),
            under(p, "footwear", "womens footwear") and price_le(p, 500) and (color(p, "red") or cat(p, *SANDAL_LIKE)),
        ),
    ),
    (
        "men's analog watch",
        lambda p: g(
            cat(p, "wrist watches") and gender(p, "men") and words(p, "analog"), cat(p, "wrist watches") and gender(p, "men")
        ),
    ),
    (
        "watches for women under 1000",
        lambda p: g(
            cat(p, "wrist watches") and gender(p, "women") and price_le(p, 1000), cat(p, "wrist watches") and gender(p, "women")
        ),
    ),
    ("gold ring", lambda p: g(cat(p, "rings") and (color(p, "gold") or words(p, "gold")), cat(p, "rings"))),
    (
        "sterling silver pendant",
        lambda p: g(cat(p, "pendants & lockets") and words(p, "sterling silver", "silver"), cat(p, "pendants & lockets")),
    ),
    ("mangalsutra", lambda p: g(cat(p, "mangalsutras & tanmaniyas"))),
    (
        "necklace for girls",
        lambda p: g(
            cat(p, "necklaces", "necklaces & chains") and (gender(p, "girls") or gender(p, "kids")),
            cat(p, "necklaces", "necklaces & chains"),
        ),
    ),
    ("coffee mug for my brother", lambda p: g(cat(p, "coffee mugs") and words(p, "brother"), cat(p, "coffee mugs"))),
    (
        "ceramic mug under 300",
        lambda p: g((cat(p, "coffee mugs") or words(p, "mug")) and price_le(p, 300), cat(p, "coffee mugs") or words(p, "mug")),
    ),
    (
        "stainless steel water bottle",
        lambda p: g(
            cat(p, "water bottle", "water bottles", "bottles & sippers") and words(p, "steel"),
            cat(p, "water bottle", "water bottles", "bottles & sippers", "travel bottles"),
        ),
    ),
    ("lunch box for kids", lambda p: g(cat(p, "lunch boxes") and words(p, "kids"), cat(p, "lunch boxes"))),
    (
        "kadhai for induction cooktop",
        lambda p: g(words(p, "kadhai") and words(p, "induction"), words(p, "kadhai") or cat(p, "pans & tawas")),
    ),
    (
        "led bulb",
        lambda p: g(
            cat(p, "bulbs") or (words(p, "led") and words(p, "bulb")) and not under(p, "automotive"),
            under(p, "automotive") and words(p, "bulb"),
        ),
    ),
    ("car charger for mobile", lambda p: g(cat(p, "car chargers"), cat(p, "wall chargers", "chargers", "mobile chargers"))),
    ("phone wall charger", lambda p: g(cat(p, "wall chargers"), cat(p, "car chargers"))),
    (
        "tempered glass screen guard for xiaomi",
        lambda p: g(cat(p, "screen guards") and words(p, "xiaomi"), cat(p, "screen guards")),
    ),
    ("speaker for mobile phone", lambda p: g(cat(p, "speakers") and under(p, "mobiles & accessories"), words(p, "speaker"))),
    ("ipad mini back cover", lambda p: g(cat(p, "cases & covers") and words(p, "ipad mini"), cat(p, "cases & covers"))),
    ("usb fan", lambda p: g(words(p, "usb fan"), cat(p, "usb gadgets"))),
    ("car sun shade for maruti", lambda p: g(cat(p, "car sun shades") and words(p, "maruti"), cat(p, "car sun shades"))),
    ("car floor mats", lambda p: g(cat(p, "car mats"))),
    ("bike tail light bulb", lambda p: g(cat(p, "bike light bulbs"), cat(p, "bike lighting", "car lighting", "car headlights"))),
    ("helmet for motorbike", lambda p: g(cat(p, "helmets"))),
    ("car body cover", lambda p: g(cat(p, "car body covers"), cat(p, "bike body covers"))),
    ("women's black leggings", lambda p: g(words(p, "legging") and color(p, "black"), words(p, "legging"))),
    (
        "sleeveless top for women",
        lambda p: g(cat(p, "tops") and gender(p, "women") and words(p, "sleeveless"), cat(p, "tops") and gender(p, "women")),
    ),
    ("dress for girls", lambda p: g(under(p, "clothing", "kids clothing") and cat(p, "dresses"), cat(p, "dresses"))),
    (
        "men's formal shirt",
        lambda p: g(
            cat(p, "formal shirts"), under(p, "clothing", "mens clothing") and cat(p, "shirts", "casual & party wear shirts")
        ),
    ),
    (
        "slim fit jeans for men",
        lambda p: g(cat(p, "jeans") and gender(p, "men") and words(p, "slim", "skinny"), cat(p, "jeans") and gender(p, "men")),
    ),
    (
        "winter sweater for boys",
        lambda p: g(cat(p, "sweaters") and gender(p, "boys"), cat(p, "sweaters", "sweaters & pullovers")),
    ),
    ("women's kurti", lambda p: g(cat(p, "kurtis", "kurtas", "kurtas & kurtis"))),
    ("track pants for men", lambda p: g(cat(p, "track pants") and gender(p, "men"), cat(p, "track pants"))),
    ("cotton double bedsheet", lambda p: g(cat(p, "bedsheets") and words(p, "double"), cat(p, "bedsheets", "bed linen"))),
    ("window curtains", lambda p: g(cat(p, "curtains") and words(p, "window"), cat(p, "curtains"))),
    ("cushion covers", lambda p: g(words(p, "cushion") and words(p, "cover"), cat(p, "cushion covers"))),
    (
        "lemongrass air freshener",
        lambda p: g(words(p, "air freshener") and words(p, "lemongrass"), words(p, "air freshener") or cat(p, "home fragrances")),
    ),
    ("laughing buddha showpiece", lambda p: g(words(p, "laughing buddha"), words(p, "showpiece"))),
    ("wooden key holder", lambda p: g(cat(p, "key holders"))),
    ("cricket batting gloves", lambda p: g(cat(p, "cricket gloves"), cat(p, "cricket pads", "cricket bats"))),
    ("golf balls", lambda p: g(cat(p, "golf balls"))),
    ("roller skates for kids", lambda p: g(cat(p, "skates", "kits") and under(p, "sports & fitness", "other sports", "skating"))),
    ("dog shampoo", lambda p: g(under(p, "pet supplies") and words(p, "shampoo"), under(p, "pet supplies"))),
    ("hair conditioner", lambda p: g(cat(p, "conditioners"), cat(p, "shampoos") or words(p, "shampoo"))),
    ("nail polish", lambda p: g(cat(p, "nail polishes"))),
    ("women's handbag", lambda p: g(cat(p, "hand bags"), cat(p, "sling bags", "clutches"))),
    ("leather belt for men", lambda p: g(cat(p, "belts") and gender(p, "men") and words(p, "leather"), cat(p, "belts"))),
    (
        "running shoes for men",
        lambda p: g(words(p, "running") and gender(p, "men"), words(p, "running", "sports shoes") or cat(p, "sports shoes")),
    ),
    ("something to keep my tea hot", lambda p: g(words(p, "vacuum", "hot pot", "flask"), words(p, "casserole", "cups", "mug"))),
    ("gift for a cricket lover", lambda p: g(under(p, "sports & fitness", "team sports", "cricket"))),
    ("box to store makeup and jewellery", lambda p: g(cat(p, "vanity boxes"), words(p, "jewellery box", "jewelry box"))),
    ("boots for women", lambda p: g(cat(p, "boots") and under(p, "footwear", "womens footwear"), words(p, "boots"))),
    ("baby girl night suit", lambda p: g(cat(p, "night suits") and gender(p, "girls"), under(p, "baby care", "infant wear"))),
]


def main() -> None:
    settings = Settings.load()
    products = read_catalog(settings.products_file).products
    OUT.mkdir(parents=True, exist_ok=True)
    q_lines, r_lines = [], []
    for i, (query, rule) in enumerate(QUERIES, start=1):
        qid = f"q{i:02d}"
        q_lines.append({"qid": qid, "query": query})
        graded = [(p.id, rule(p)) for p in products]
        rel = [(pid, gr) for pid, gr in graded if gr > 0]
        if not any(gr > 0 for _, gr in rel):
            raise SystemExit(f"{qid} {query!r} has no relevant product; fix its rule")
        r_lines += [{"qid": qid, "doc_id": pid, "grade": gr} for pid, gr in rel]
        print(f"{qid} {query!r}: {sum(1 for _, x in rel if x == 2)} grade-2, {sum(1 for _, x in rel if x == 1)} grade-1")
    with open(OUT / "retrieval_dev_queries.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(q) + "\n" for q in q_lines)
    with open(OUT / "retrieval_dev_qrels.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in r_lines)


if __name__ == "__main__":
    main()
