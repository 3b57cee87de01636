"""Leak-free splits: template families never straddle train/dev/test, on hand-made data and on the packaged set.

The bound stated in the README and the manifest: every dev and test row has token-set Jaccard
< 0.6 to every train row of its label (on skeletons *and* on raw tokens), and every test row
< 0.6 to every dev row of its label. No model needed.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections import defaultdict

import numpy as np
import pytest

from aisle.settings import PACKAGE_DATA
from aisle.text import normalize_for_match, tokenize
from finetune.augment import ORDER_LABELS, restyle, styles_for
from finetune.label_maps import UNKNOWN, packaged
from finetune.schema import OOS, Example, load_examples
from finetune.splits import SPLITS, family_split, max_jaccard, max_same_label_jaccard, skeleton

BOUND = 0.6
INTENTS = PACKAGE_DATA / "intents"


def test_skeleton_hides_ids_emails_numbers_and_punctuation() -> None:
    a = skeleton("Cancel order ORD-10234 please!! mail me at priya.s@gmail.com")
    b = skeleton("cancel order #99871 please, mail me at rahul_k88@yahoo.in")
    assert a == b == "cancel order orderid please mail me at email"
    assert skeleton("find invoices from 4 months ago") == skeleton("find invoices from 10 months ago")
    # a bare product query keeps its words: it is its content, not a template
    terms = frozenset({"teak", "coffee", "table"})
    assert skeleton("teak coffee table", terms) == "teak coffee table"
    assert skeleton("show me teak coffee table under 500", terms) == "show me product under num"
    assert skeleton("teak table for ₹1,299", terms) == "teak table for money"


def _templated(seed: int = 0) -> list[Example]:
    """Three labels of template siblings, the way Bitext and the generator produce them."""
    rng = random.Random(seed)
    things = ["order", "parcel", "package", "purchase", "item", "shipment", "delivery", "stuff"]
    templates = {
        "track_order": [
            "where is my {x}",
            "i want to track my {x}",
            "can you tell me where my {x} is",
            "has my {x} shipped yet",
            "status of my {x} please",
            "when will my {x} arrive",
            "track {x} now",
            "i need to know where my {x} is",
        ],
        "cancel_order": [
            "cancel my {x}",
            "i want to cancel the {x}",
            "please cancel {x} right away",
            "how do i cancel my {x}",
            "stop my {x} i changed my mind",
            "can i still cancel the {x}",
            "cancel {x} asap",
            "i would like to cancel my {x}",
        ],
        "greeting": ["hi there {x} friend", "hello {x} team", "good morning {x} folks", "hey {x} people"],
    }
    out = []
    for label, ts in templates.items():
        for t in ts:
            for x in rng.sample(things, 5):
                out.append(Example(t.format(x=x), label, "test"))
    # an explicit group (e.g. one help-centre article) must stay whole even without word overlap
    out += [
        Example(q, "track_order", "help-centre", group="faq:where")
        for q in ("parcel not here", "courier lost it", "no delivery yet")
    ]
    return out


def _assert_no_straddle(fs) -> None:
    seen: dict[str, str] = {}
    for split in SPLITS:
        for fid in fs.families[split]:
            assert seen.setdefault(fid, split) == split, f"family {fid} in {seen[fid]} and {split}"


def test_families_stay_whole_and_held_out_rows_stay_far_from_train() -> None:
    data = _templated()
    fs = family_split(data, (0.6, 0.2, 0.2), seed=1, max_family_share=0.5)
    _assert_no_straddle(fs)
    assert all(fs.splits[s] for s in SPLITS)
    for held, ref in (("dev", "train"), ("test", "train"), ("test", "dev")):
        sims = max_same_label_jaccard(fs.splits[held], fs.splits[ref])
        assert sims.max() < BOUND, (held, ref, sims.max())
    where = {s for s in SPLITS for ex in fs.splits[s] if ex.group == "faq:where"}
    assert len(where) <= 1


def test_a_label_chained_into_one_giant_family_is_cut_and_the_bridges_dropped() -> None:
    # single linkage chains "a b c d e f" → "b c d e f g" → … into one component
    words = [a + b + c for a in "bdgkm" for b in "aeiou" for c in "lnrst"][:60]  # 60 distinct letter-only words
    rows = [Example(" ".join(words[i : i + 6]), "track_order", "chain") for i in range(54)]
    rows += [Example(f"cancel the {w} order please", "cancel_order", "other") for w in words[:20]]
    fs = family_split(rows, (0.6, 0.2, 0.2), seed=3, max_family_share=0.15, min_train=5)
    assert fs.cut_components >= 1
    chain = {s: [ex for ex in fs.splits[s] if ex.intent == "track_order"] for s in SPLITS}
    assert chain["train"] and chain["dev"] and chain["test"]
    assert sum(fs.dropped_bridges.values()) > 0
    for held in ("dev", "test"):
        assert max_same_label_jaccard(fs.splits[held], fs.splits["train"]).max() < BOUND
    assert max_same_label_jaccard(fs.splits["test"], fs.splits["dev"]).max() < BOUND


# --- the packaged data set ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def packaged_splits() -> dict[str, list[Example]]:
    return {s: load_examples(INTENTS / f"{s}.jsonl") for s in SPLITS}


def _raw_same_label_max(held: list[Example], ref: list[Example]) -> float:
    by: dict[str, list[frozenset[str]]] = defaultdict(list)
    for ex in ref:
        by[ex.intent].append(frozenset(tokenize(ex.text, drop_stopwords=False)))
    best = 0.0
    held_by: dict[str, list[frozenset[str]]] = defaultdict(list)
    for ex in held:
        held_by[ex.intent].append(frozenset(tokenize(ex.text, drop_stopwords=False)))
    for label, sets in held_by.items():
        best = max(best, float(max_jaccard(sets, by[label]).max()))
    return best


def test_packaged_families_never_straddle_and_never_name_a_split(packaged_splits) -> None:
    where: dict[str, set[str]] = defaultdict(set)
    for split, rows in packaged_splits.items():
        for ex in rows:
            assert ex.group, f"{split} row without a family: {ex.text!r}"
            assert not re.search(r"(?<![a-z])(train|dev|test)(?![a-z])", ex.group), ex.group
            where[ex.group].add(split)
    straddling = {g: s for g, s in where.items() if len(s) > 1}
    assert not straddling, list(straddling.items())[:5]


@pytest.mark.parametrize(("held", "ref"), [("dev", "train"), ("test", "train"), ("test", "dev")])
def test_packaged_held_out_rows_are_far_from_the_reference_split(packaged_splits, held: str, ref: str) -> None:
    h, r = packaged_splits[held], packaged_splits[ref]
    skel = max_same_label_jaccard(h, r)
    assert skel.max() < BOUND, f"{held}→{ref}: skeleton Jaccard {skel.max():.3f}"
    assert _raw_same_label_max(h, r) < BOUND
    # and the manifest says the same
    manifest = json.loads((INTENTS / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["splits"]["bound"] == BOUND
    assert manifest["splits"]["leakage"][f"{held}->{ref}"]["same_label_max"] == pytest.approx(float(skel.max()), abs=1e-3)


def test_only_train_is_augmented_and_evaluation_sets_are_not_trained_on(packaged_splits) -> None:
    assert any(ex.source.startswith("augmented") for ex in packaged_splits["train"])
    assert not any(
        ex.source.startswith("augmented") or ex.meta.get("style") for s in ("dev", "test") for ex in packaged_splits[s]
    )
    train = {normalize_for_match(ex.text) for ex in packaged_splits["train"]}
    held_out: list[str] = []
    for path in sorted((PACKAGE_DATA / "eval" / "wild").glob("*.jsonl")) + sorted(
        (PACKAGE_DATA / "eval" / "devwild").glob("*.jsonl")
    ):
        held_out += [json.loads(line).get("text", "") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with gzip.open(PACKAGE_DATA / "sources" / "clinc150" / "dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        held_out += [json.loads(line)["text"] for line in fh]
    with gzip.open(PACKAGE_DATA / "sources" / "banking77" / "test.csv.gz", "rt", encoding="utf-8") as fh:
        held_out += [r["text"] for r in csv.DictReader(fh)]
    copies = [t for t in held_out if t and normalize_for_match(t) in train]
    assert not copies, copies[:5]


def test_every_source_reaches_training_and_each_split_has_every_label(packaged_splits) -> None:
    sources = {ex.source.split(":")[0] for ex in packaged_splits["train"]}
    assert {"bitext", "clinc", "clinc-oos", "banking77", "wands", "help-centre", "written", "generated", "augmented"} <= sources
    labels = {ex.intent for ex in packaged_splits["train"]}
    for split in ("dev", "test"):
        counts = defaultdict(int)
        for ex in packaged_splits[split]:
            counts[ex.intent] += 1
        assert set(counts) == labels
        assert min(counts.values()) >= 10, sorted(counts.items(), key=lambda kv: kv[1])[:3]
    assert len(packaged_splits["train"]) <= 9000  # the full fine-tune must stay a few minutes on 2 cores


# --- label maps and augmentation ------------------------------------------------------------------
def test_label_maps_cover_their_data_sets_and_name_only_store_labels(packaged_splits) -> None:
    store = {ex.intent for ex in packaged_splits["train"]}
    with gzip.open(PACKAGE_DATA / "sources" / "banking77" / "test.csv.gz", "rt", encoding="utf-8") as fh:
        banking = {r["category"] for r in csv.DictReader(fh)}
    with gzip.open(PACKAGE_DATA / "sources" / "clinc150" / "dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        clinc = {json.loads(line)["intent"] for line in fh}
    for name, labels in (("banking77", banking), ("clinc150", clinc)):
        lmap = packaged(name)
        assert all(lmap.target(lbl) is not UNKNOWN for lbl in labels), name
        assert {t for t in lmap.labels.values() if t is not None} <= store
    b = packaged("banking77")
    assert b.target("transaction_charged_twice") == "payment_issue" and b.target("Refund_not_showing_up") == "track_refund"
    assert b.target("exchange_rate") == OOS and b.target("card_arrival") is None
    assert b.excluded_from_training("supported_cards_and_currencies", "Can I top up with a US card?")
    assert packaged("clinc150").target("out_of_scope") == OOS and packaged("clinc150").target("greeting") == "greeting"


def test_restyling_changes_style_but_never_puts_an_order_id_into_out_of_scope_or_small_talk() -> None:
    rng = random.Random(5)
    assert "inline_id" not in styles_for(OOS) and "inline_id" not in styles_for("greeting")
    assert "inline_id" in styles_for("track_order") and "track_order" in ORDER_LABELS
    texts = []
    for _ in range(300):
        out, styles = restyle(rng, "what is the weather in paris tomorrow", OOS)
        assert styles and not re.search(r"ORD|#\d|@", out, re.IGNORECASE)
        texts.append(out)
    assert len(set(texts)) > 100  # many different styles, not one slot swapped
    outs = [restyle(rng, "where is my order", "track_order")[0] for _ in range(300)]
    assert any(re.search(r"ord-?\d{5}|#\d{5}", o, re.IGNORECASE) for o in outs)
    assert any(re.search(r"\b(yaar|bhai|na|ji)\b", o) for o in outs)
    assert np.mean([o.lower() != "where is my order" for o in outs]) > 0.9
