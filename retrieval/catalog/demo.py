"""A small fictional catalog (~50 products of "Aisle Demo Store"), written by the project itself.

Used when no public catalog is available, and as the test fixture: it is deterministic,
covers every facet the agent understands (price bands, colours, sizes, audiences, brands,
categories) and is small enough to embed in a couple of seconds on a CPU.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# (category path, title, brand, price, attributes, description)
_ITEMS: list[tuple[str, str, str, float, dict[str, str], str]] = [
    ("footwear > womens footwear > sandals", "Lumo strappy flat sandals", "lumo", 449, {"color": "Red", "size": "6", "material": "Synthetic", "ideal_for": "Women"}, "Lightweight strappy flat sandals with a cushioned footbed for everyday wear."),
    ("footwear > womens footwear > sandals", "Lumo strappy flat sandals", "lumo", 449, {"color": "Blue", "size": "7", "material": "Synthetic", "ideal_for": "Women"}, "Lightweight strappy flat sandals with a cushioned footbed for everyday wear."),
    ("footwear > womens footwear > sandals", "Rivo block heel sandals", "rivo", 899, {"color": "Black", "size": "7", "material": "Faux leather", "ideal_for": "Women"}, "Block heel sandals with an ankle strap; 2 inch heel for parties and office."),
    ("footwear > womens footwear > sandals", "Kesar embroidered kolhapuri sandals", "kesar", 649, {"color": "Tan", "size": "6", "material": "Leather", "ideal_for": "Women"}, "Handcrafted kolhapuri sandals in genuine leather with embroidery."),
    ("footwear > mens footwear > sports shoes", "Stride Pro running shoes", "stride", 1899, {"color": "Grey", "size": "9", "material": "Mesh", "ideal_for": "Men"}, "Breathable mesh running shoes with a responsive foam sole."),
    ("footwear > mens footwear > sports shoes", "Stride Lite walking shoes", "stride", 1299, {"color": "Navy", "size": "10", "material": "Mesh", "ideal_for": "Men"}, "Everyday walking shoes, light and flexible."),
    ("footwear > mens footwear > casual shoes", "Oakfield suede loafers", "oakfield", 2499, {"color": "Brown", "size": "9", "material": "Suede", "ideal_for": "Men"}, "Slip-on suede loafers with a padded insole."),
    ("footwear > womens footwear > boots", "Nordic ankle boots", "nordic", 2999, {"color": "Black", "size": "7", "material": "Leather", "ideal_for": "Women"}, "Water-resistant leather ankle boots with a side zip."),
    ("footwear > kids footwear", "Bounce kids velcro sneakers", "bounce", 799, {"color": "Red", "size": "12", "material": "Canvas", "ideal_for": "Kids"}, "Canvas sneakers with velcro straps, easy for little ones to put on."),
    ("clothing > mens clothing > t-shirts", "Basics crew neck cotton t-shirt", "basics", 399, {"color": "White", "size": "M", "material": "Cotton", "ideal_for": "Men"}, "Soft 100% cotton crew neck t-shirt, regular fit."),
    ("clothing > mens clothing > t-shirts", "Basics crew neck cotton t-shirt", "basics", 399, {"color": "Black", "size": "L", "material": "Cotton", "ideal_for": "Men"}, "Soft 100% cotton crew neck t-shirt, regular fit."),
    ("clothing > mens clothing > t-shirts", "Basics polo t-shirt", "basics", 599, {"color": "Blue", "size": "XL", "material": "Cotton pique", "ideal_for": "Men"}, "Classic polo t-shirt in cotton pique with a two-button placket."),
    ("clothing > mens clothing > shirts", "Harbor linen casual shirt", "harbor", 1299, {"color": "Blue", "size": "L", "material": "Linen", "ideal_for": "Men"}, "Breathable linen shirt for summer, relaxed fit."),
    ("clothing > mens clothing > shirts", "Harbor formal cotton shirt", "harbor", 999, {"color": "White", "size": "M", "material": "Cotton", "ideal_for": "Men"}, "Crisp formal shirt with a spread collar, slim fit."),
    ("clothing > mens clothing > jeans", "Denimco slim fit jeans", "denimco", 1499, {"color": "Blue", "size": "32", "material": "Denim", "ideal_for": "Men"}, "Stretch denim jeans in a slim fit, mid-rise."),
    ("clothing > womens clothing > dresses", "Meadow floral summer dress", "meadow", 1199, {"color": "Yellow", "size": "S", "material": "Rayon", "ideal_for": "Women"}, "Flowy floral midi dress with short sleeves."),
    ("clothing > womens clothing > dresses", "Meadow wrap dress", "meadow", 1599, {"color": "Green", "size": "M", "material": "Crepe", "ideal_for": "Women"}, "Wrap dress with a tie waist, knee length."),
    ("clothing > womens clothing > dresses", "Noir evening maxi dress", "noir", 2799, {"color": "Black", "size": "M", "material": "Georgette", "ideal_for": "Women"}, "Floor-length evening dress with a flattering drape."),
    ("clothing > womens clothing > kurtas", "Kesar block print cotton kurta", "kesar", 899, {"color": "Pink", "size": "M", "material": "Cotton", "ideal_for": "Women"}, "Hand block printed straight kurta in breathable cotton."),
    ("clothing > womens clothing > kurtas", "Kesar anarkali kurta", "kesar", 1499, {"color": "Maroon", "size": "L", "material": "Rayon", "ideal_for": "Women"}, "Flared anarkali kurta with gold print, festive wear."),
    ("clothing > womens clothing > tops", "Aura sleeveless top", "aura", 499, {"color": "White", "size": "S", "material": "Cotton", "ideal_for": "Women"}, "Sleeveless cotton top with a round neck."),
    ("clothing > womens clothing > leggings", "Aura stretch leggings", "aura", 349, {"color": "Black", "size": "Free size", "material": "Cotton lycra", "ideal_for": "Women"}, "Ankle-length stretch leggings, free size."),
    ("clothing > kids clothing > girls wear", "Tiny party frock", "tiny", 799, {"color": "Pink", "size": "4", "material": "Net", "ideal_for": "Girls"}, "Party frock with a tulle skirt for girls aged 3 to 4."),
    ("clothing > kids clothing > boys wear", "Tiny striped boys sweater", "tiny", 699, {"color": "Grey", "size": "6", "material": "Acrylic", "ideal_for": "Boys"}, "Warm striped sweater for boys aged 5 to 6."),
    ("clothing > mens clothing > jackets", "Summit puffer jacket", "summit", 3499, {"color": "Olive", "size": "L", "material": "Polyester", "ideal_for": "Men"}, "Quilted puffer jacket, water repellent, with a hood."),
    ("watches > wrist watches", "Chrono analog steel watch", "chrono", 2499, {"color": "Silver", "material": "Stainless steel", "ideal_for": "Men"}, "Analog watch with a stainless steel strap, water resistant to 50 m."),
    ("watches > wrist watches", "Chrono analog leather watch", "chrono", 1799, {"color": "Brown", "material": "Leather", "ideal_for": "Men"}, "Analog watch with a brown leather strap and date display."),
    ("watches > wrist watches", "Petal rose gold watch", "petal", 1999, {"color": "Gold", "material": "Metal", "ideal_for": "Women"}, "Slim analog watch with a rose gold mesh strap."),
    ("watches > wrist watches", "Pulse digital sports watch", "pulse", 899, {"color": "Black", "material": "Silicone", "ideal_for": "Unisex"}, "Digital sports watch with stopwatch, alarm and backlight."),
    ("bags wallets & belts > bags > handbags", "Vela tote handbag", "vela", 1899, {"color": "Tan", "material": "Faux leather", "ideal_for": "Women"}, "Roomy tote with an inner zip pocket and magnetic closure."),
    ("bags wallets & belts > bags > backpacks", "Trail 25 L backpack", "trail", 1299, {"color": "Blue", "material": "Polyester", "ideal_for": "Unisex"}, "25 litre backpack with a padded laptop sleeve, fits 15.6 inch laptops."),
    ("bags wallets & belts > wallets", "Oakfield leather wallet", "oakfield", 699, {"color": "Brown", "material": "Leather", "ideal_for": "Men"}, "Bi-fold genuine leather wallet with 6 card slots."),
    ("bags wallets & belts > belts", "Oakfield reversible leather belt", "oakfield", 799, {"color": "Black", "size": "34", "material": "Leather", "ideal_for": "Men"}, "Reversible black and brown leather belt with a rotating buckle."),
    ("jewellery > earrings", "Gleam silver hoop earrings", "gleam", 1299, {"color": "Silver", "material": "Sterling silver", "ideal_for": "Women"}, "Sterling silver hoops, 2 cm, hypoallergenic."),
    ("jewellery > necklaces", "Gleam pearl pendant necklace", "gleam", 1599, {"color": "White", "material": "Sterling silver", "ideal_for": "Women"}, "Freshwater pearl pendant on a sterling silver chain."),
    ("kitchen & dining > coffee mugs", "Brew ceramic coffee mug", "brew", 249, {"color": "White", "material": "Ceramic", "capacity": "350 ml"}, "Microwave-safe ceramic mug, 350 ml."),
    ("kitchen & dining > coffee mugs", "Brew travel mug", "brew", 599, {"color": "Black", "material": "Stainless steel", "capacity": "450 ml"}, "Double-walled travel mug keeps drinks hot for 6 hours; leak-proof lid."),
    ("kitchen & dining > bottles", "Hydra steel water bottle", "hydra", 699, {"color": "Green", "material": "Stainless steel", "capacity": "1 L"}, "Insulated 1 litre steel bottle, cold for 24 hours, hot for 12."),
    ("kitchen & dining > cookware", "Tava non-stick frying pan", "tava", 899, {"color": "Black", "material": "Aluminium", "size": "26 cm"}, "26 cm non-stick pan, induction compatible."),
    ("home furnishing > cushion covers", "Nest cotton cushion covers set of 2", "nest", 499, {"color": "Blue", "material": "Cotton", "size": "16 x 16 in"}, "Set of 2 printed cotton cushion covers with zips."),
    ("home furnishing > bed linen", "Nest double bedsheet with 2 pillow covers", "nest", 1199, {"color": "White", "material": "Cotton", "size": "Double"}, "Soft 180 thread count cotton double bedsheet with 2 pillow covers."),
    ("home decor > lighting", "Glow LED desk lamp", "glow", 1499, {"color": "White", "material": "ABS plastic"}, "Dimmable LED desk lamp with 3 colour temperatures and a USB port."),
    ("mobiles & accessories > chargers", "Volt 20W fast wall charger", "volt", 799, {"color": "White", "material": "Plastic"}, "20 W USB-C fast charger for phones and tablets."),
    ("mobiles & accessories > chargers", "Volt dual USB car charger", "volt", 499, {"color": "Black", "material": "Plastic"}, "Dual port car charger with 3.4 A output."),
    ("mobiles & accessories > headphones", "Echo wireless earbuds", "echo", 1999, {"color": "Black", "material": "Plastic"}, "Bluetooth 5.3 earbuds with 24 hour battery life and charging case."),
    ("mobiles & accessories > headphones", "Echo wired earphones with mic", "echo", 399, {"color": "White", "material": "Plastic"}, "In-ear wired earphones with an inline mic and 3.5 mm jack."),
    ("beauty and personal care > skin care", "Dew aloe vera face gel", "dew", 299, {"material": "Gel", "ideal_for": "Unisex"}, "Soothing aloe vera gel for face and body, 100 ml."),
    ("beauty and personal care > hair care", "Dew argan oil shampoo", "dew", 449, {"ideal_for": "Women"}, "Sulphate-free argan oil shampoo for dry hair, 250 ml."),
    ("sports & fitness > yoga", "Flex yoga mat 6 mm", "flex", 999, {"color": "Purple", "material": "TPE"}, "Non-slip 6 mm yoga mat with a carry strap."),
    ("sports & fitness > cricket", "Willow kashmir cricket bat", "willow", 1599, {"material": "Kashmir willow", "size": "Full size"}, "Kashmir willow bat for tennis and leather ball practice."),
    ("toys & games > puzzles", "Brainy 500 piece jigsaw puzzle", "brainy", 599, {"ideal_for": "Kids"}, "500 piece jigsaw puzzle of a world map, for ages 8 and up."),
]


def demo_products() -> list[dict[str, Any]]:
    """The demo catalog in aisle's JSONL schema (ids ``DEMO-001`` …)."""
    rows = []
    for i, (cat, title, brand, price, attrs, desc) in enumerate(_ITEMS, start=1):
        pid = f"DEMO-{i:03d}"
        rows.append(
            {
                "id": pid,
                "title": title,
                "description": desc,
                "category": cat,
                "brand": brand,
                "price": price,
                "currency": "INR",
                "attributes": attrs,
                "rating": round(3.5 + (i % 4) * 0.4, 1),
                "image_url": None,
                "url": f"https://aisle-demo.example/p/{pid.lower()}",
            }
        )
    return rows


def write_demo_catalog(path: Path) -> int:
    """Write the demo catalog as JSONL; returns the number of products."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = demo_products()
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return len(rows)
