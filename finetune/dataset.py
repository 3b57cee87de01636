"""Assemble the store router's labelled train/dev/test sets (``aisle data intents``).

Sources (all in ``settings.sources_dir``; packaged gzip copies when ../shared is absent):

* **Bitext** customer-service utterances (its train *and* dev files, pooled and re-split by
  family): the 27 store intents, as labelled.
* **CLINC150**, train split only (its dev split is kept for ``aisle eval intents --label-map``;
  its test split is held back elsewhere), read through ``label_maps/clinc150.json``: five
  small-talk intents, ``order_status`` as ``track_order``; ``out_of_scope`` = CLINC's own OOS
  examples plus a few rows of every intent no shop could serve, each such intent one family.
* **Banking77**, train split only, through ``label_maps/banking77.json``: failed, declined,
  pending and double card payments as ``payment_issue``, refunds as ``get_refund`` /
  ``track_refund``, accepted cards as ``check_payment_methods``, three account intents;
  banking-only intents as ``out_of_scope`` (one family each).
* **WANDS** real product-search queries → ``product_search``.
* **Help centre**: each article's ``questions`` with the article's first intent (one family per article).
* **Shopper-written** messages (``sources/shopper_written``): typed one by one, in the way shoppers
  type (typos, Hinglish, run-ons, indirect and very short messages), by writers who saw only the label
  list and a description of the store, never the wild sets or the other sources. The templated sources
  teach the labels; these teach how people actually phrase them.
* **Generated** ``product_search``/``product_question``/``recommendation`` from the catalog,
  and store-policy questions that mention products, one family per template
  (``finetune.augment``); greetings/thanks/goodbyes in other languages.

Then: families and a leak-free three-way split (``finetune.splits``: no family straddles,
every dev/test row has skeleton Jaccard < 0.6 to every train row of its label), per-label caps
that spread each split over sources and families, style augmentation of the *train* split
only, and the quality gate (dedup, conflicts, leakage, label-noise report). Written:
train.jsonl, dev.jsonl, test.jsonl, label_noise_review.jsonl and manifest.json (counts per
label and source, SHA-256 of each split, the split method and the leakage measured).

Dev is for early stopping, temperature, τ, weighting and rule choices; test is read only by
``aisle eval``. The hand-written wild sets (``aisle/data/eval/wild/``) are never a source:
the manifest only reports how close training comes to them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.fileio import open_text, read_jsonl, write_jsonl
from aisle.text import normalize_for_match
from finetune import augment
from finetune.label_maps import LabelMap, packaged
from finetune.quality import run_gate
from finetune.schema import OOS, CatalogFacts, Example
from finetune.splits import DEFAULT_BOUND, SPLITS, family_split, max_jaccard, max_same_label_jaccard, skeleton

if TYPE_CHECKING:
    from aisle.settings import Settings

SPLIT_FRACTIONS = (0.7, 0.15, 0.15)
LEAKAGE_BOUND = DEFAULT_BOUND
CAP = {"train": 200, "dev": 40, "test": 40}  # rows per in-scope label and split, before augmentation
OOS_CAP = {"train": 900, "dev": 300, "test": 300}
AUGMENT = {"in_scope": 50, "oos": 150}  # restyled copies per label, train only
POOL_CAP = 400  # rows per (label, source) taken from a source before splitting
TOPIC_ROWS = 14  # rows per external out-of-scope intent (one family each)
GENERATED_PER_INTENT = 360
POLICY_PER_INTENT = 48
WILD_DIR = "eval/wild"
DEV_WILD_DIR = "devwild"  # beside WILD_DIR: hand-written dev sets for tuning (aisle/data/eval/devwild/README.md)
WRITTEN = "shopper_written/messages.jsonl"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [obj for _, obj in read_jsonl(path)]


def _source(ex: Example) -> str:
    return ex.source.split(":")[0]


def bitext(settings: Settings) -> list[Example]:
    """Bitext's train and dev files pooled: the family splitter re-splits them."""
    return [
        Example(r["text"], r["intent"], "bitext")
        for split in ("train", "dev")
        for r in _jsonl(settings.source_file(f"bitext_cs/{split}.jsonl"))
    ]


def _mapped(rows: Iterable[tuple[str, str]], lmap: LabelMap, name: str, rng: random.Random) -> list[Example]:
    """External (text, label) rows through ``lmap``: in-scope rows (minus ``train_exclude``), and up to
    ``TOPIC_ROWS`` rows of each out-of-scope intent as one family; the source's own OOS rows as they are."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in rows:
        by_label[label].append(text)
    out: list[Example] = []
    for label in sorted(by_label):
        target = lmap.target(label)
        if not isinstance(target, str):
            continue  # null (ambiguous) or not in the map
        texts = by_label[label]
        if target != OOS:
            out += [Example(t, target, name) for t in texts if not lmap.excluded_from_training(label, t)]
        elif label == OOS:
            out += [Example(t, OOS, f"{name}-oos") for t in texts]
        else:
            out += [
                Example(t, OOS, f"{name}:{label}", group=f"{name}:{label}")
                for t in rng.sample(texts, min(len(texts), TOPIC_ROWS))
            ]
    return out


def clinc(settings: Settings, rng: random.Random) -> list[Example]:
    rows = _jsonl(settings.source_file("clinc150/train.jsonl"))
    return _mapped(((r["text"], r["intent"]) for r in rows), packaged("clinc150"), "clinc", rng)


def read_banking77(path: Path) -> list[tuple[str, str]]:
    with open_text(path) as fh:
        return [(r["text"], r["category"]) for r in csv.DictReader(fh)]


def banking77(settings: Settings, rng: random.Random) -> list[Example]:
    return _mapped(read_banking77(settings.source_file("banking77/train.csv")), packaged("banking77"), "banking77", rng)


def wands(settings: Settings) -> list[Example]:
    with open_text(settings.source_file("wands_queries/query.csv")) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [Example(r["query"], "product_search", "wands") for r in rows]


def help_centre(settings: Settings) -> list[Example]:
    """The help centre's ``questions``, labelled with the article's first intent; one family per article."""
    out = []
    for obj in _jsonl(settings.faq_file):
        intents = obj.get("intents") or []
        if intents:
            out += [Example(q, intents[0], "help-centre", group=f"faq:{obj['id']}") for q in obj.get("questions", [])]
    return out


def written(settings: Settings) -> list[Example]:
    """The hand-typed shopper messages (see ``aisle/data/sources/shopper_written/README.md``)."""
    return [Example(r["text"], r["intent"], "written") for r in _jsonl(settings.source_file(WRITTEN))]


def generated(facts: CatalogFacts, seed: int) -> list[Example]:
    return [
        *augment.generate(facts, GENERATED_PER_INTENT, seed),
        *augment.generate_policy(facts, POLICY_PER_INTENT, seed),
        *augment.multilingual_small_talk(),
    ]


def collect(settings: Settings, facts: CatalogFacts, seed: int) -> list[Example]:
    """Every source's pool, capped at ``POOL_CAP`` rows per (label, source)."""
    rng = random.Random(seed)
    pool = [
        *bitext(settings),
        *clinc(settings, rng),
        *banking77(settings, rng),
        *wands(settings),
        *help_centre(settings),
        *written(settings),
        *generated(facts, seed),
    ]
    by: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in pool:
        by[(ex.intent, ex.source if ex.group.startswith(("clinc:", "banking77:")) else _source(ex))].append(ex)
    out: list[Example] = []
    for key in sorted(by):
        rows = by[key]
        out += rows if len(rows) <= POOL_CAP else rng.sample(rows, POOL_CAP)
    return out


def select(rows: list[Example], cap: int, rng: random.Random) -> list[Example]:
    """Up to ``cap`` rows, round-robin over sources and, within a source, over families: a
    label's split is spread over where its data comes from, not filled by its biggest source.
    Text people wrote gets two turns per round, generated text one."""
    if len(rows) <= cap:
        return list(rows)
    by_source: dict[str, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for ex in rows:
        by_source[_source(ex)][ex.group].append(ex)
    queues: dict[str, list[list[Example]]] = {}
    for src, fams in by_source.items():
        fam_lists = [rng.sample(v, len(v)) for _, v in sorted(fams.items())]
        rng.shuffle(fam_lists)
        queues[src] = fam_lists
    chosen: list[Example] = []
    pos = {src: 0 for src in queues}
    while len(chosen) < cap and any(queues.values()):
        for src in sorted(queues):
            for _ in range(1 if src.startswith("generated") else 2):
                fams = queues[src]
                if not fams or len(chosen) >= cap:
                    break
                k = pos[src] % len(fams)
                chosen.append(fams[k].pop())
                if not fams[k]:
                    fams.pop(k)
                else:
                    pos[src] = k + 1
    return chosen


def data_hash(examples: Iterable[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.intent}\t{normalize_for_match(ex.text)}\n".encode())
    return h.hexdigest()


def leakage_report(splits: dict[str, list[Example]], product_terms: frozenset[str] | None = None) -> dict[str, Any]:
    """Max and median skeleton Jaccard of each held-out split to train (same label, and any label)."""
    out: dict[str, Any] = {}
    for held, ref in (("dev", ("train",)), ("test", ("train",)), ("test", ("dev",))):
        reference = [ex for r in ref for ex in splits[r]]
        same = max_same_label_jaccard(splits[held], reference, product_terms)
        anyl = max_jaccard(
            [frozenset(skeleton(ex.text, product_terms).split()) for ex in splits[held]],
            [frozenset(skeleton(ex.text, product_terms).split()) for ex in reference],
        )
        out[f"{held}->{'+'.join(ref)}"] = {
            "same_label_max": round(float(same.max()), 4) if len(same) else 0.0,
            "same_label_median": round(float(np.median(same)), 4) if len(same) else 0.0,
            "any_label_max": round(float(anyl.max()), 4) if len(anyl) else 0.0,
            "any_label_share_at_or_above_bound": round(float((anyl >= LEAKAGE_BOUND).mean()), 4) if len(anyl) else 0.0,
        }
    return out


def _wild_rows(wild_dir: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for path in sorted(wild_dir.glob("*.jsonl")):
        out[path.name] = [obj for _, obj in read_jsonl(path) if isinstance(obj, dict) and "text" in obj and "intent" in obj]
    return out


def evaluation_texts(settings: Settings, wild_dir: Path) -> set[str]:
    """Normalised texts of the evaluation-only sets (wild sets, the dev wild sets beside them, CLINC150 dev,
    Banking77 test): never trained on."""
    paths = sorted(wild_dir.glob("*.jsonl")) + sorted((wild_dir.parent / DEV_WILD_DIR).glob("*.jsonl"))
    texts = {obj["text"] for path in paths for _, obj in read_jsonl(path) if isinstance(obj, dict) and "text" in obj}
    texts |= {r["text"] for r in _jsonl(settings.source_file("clinc150/dev.jsonl"))}
    texts |= {t for t, _ in read_banking77(settings.source_file("banking77/test.csv"))}
    return {normalize_for_match(t) for t in texts}


def wild_overlap(train: list[Example], wild_dir: Path) -> dict[str, Any]:
    """How close training comes to the hand-written wild sets (a contamination check, never a source)."""
    out: dict[str, Any] = {}
    train_norm = {normalize_for_match(ex.text) for ex in train}
    train_sk = [frozenset(skeleton(ex.text).split()) for ex in train]
    for name, rows in _wild_rows(wild_dir).items():
        if not rows:
            continue
        sims = max_jaccard([frozenset(skeleton(r["text"]).split()) for r in rows], train_sk)
        out[name] = {
            "rows": len(rows),
            "exact_copies_in_train": sum(1 for r in rows if normalize_for_match(r["text"]) in train_norm),
            "jaccard_ge_0.8_to_train": int((sims >= 0.8).sum()),
        }
    return out


def build_intent_dataset(settings: Settings, out: Path, facts: CatalogFacts, seed: int = 13) -> dict[str, Any]:
    """Assemble, split, augment, gate and write the dataset; returns a summary (also in ``manifest.json``)."""
    from aisle.settings import PACKAGE_DATA

    rng = random.Random(seed)
    pool = collect(settings, facts, seed)
    fs = family_split(pool, SPLIT_FRACTIONS, seed=seed, bound=LEAKAGE_BOUND)
    # every row's group is now its family: template ids, articles and topics are folded into it
    split_rows: dict[str, list[Example]] = {}
    for split in SPLITS:
        split_rows[split] = [
            Example(ex.text, ex.intent, ex.source, f"fam-{fid}", ex.weight, ex.meta)
            for ex, fid in zip(fs.splits[split], fs.families[split])
        ]
    chosen: dict[str, list[Example]] = {}
    for split in SPLITS:
        by_label: dict[str, list[Example]] = defaultdict(list)
        for ex in split_rows[split]:
            by_label[ex.intent].append(ex)
        chosen[split] = [
            ex for label in sorted(by_label) for ex in select(by_label[label], (OOS_CAP if label == OOS else CAP)[split], rng)
        ]
    wanted = {label: AUGMENT["oos" if label == OOS else "in_scope"] for label in {ex.intent for ex in chosen["train"]}}
    augmented = augment.augment_styles(chosen["train"], wanted, seed)
    # a rewrite ("can i X?" → "i want to X") can land next to a held-out row: such copies are dropped
    near = max_same_label_jaccard(augmented, chosen["dev"] + chosen["test"])
    n_restyled = len(augmented)
    augmented = [ex for ex, sim in zip(augmented, near) if sim < LEAKAGE_BOUND]
    # decontamination: a training row that is word for word a message of an evaluation set (the wild
    # sets, CLINC150 dev, Banking77 test) would inflate that figure
    held_out = evaluation_texts(settings, PACKAGE_DATA / WILD_DIR)
    train_rows = [ex for ex in chosen["train"] + augmented if normalize_for_match(ex.text) not in held_out]
    n_decontaminated = len(chosen["train"]) + len(augmented) - len(train_rows)
    quality = settings.quality.model_copy(update={"near_duplicate_jaccard": min(settings.quality.near_duplicate_jaccard, 0.9)})
    gate = run_gate(train_rows, chosen["dev"], quality, noise=True, seed=seed, test=chosen["test"])
    final = {"train": gate.train, "dev": gate.dev, "test": gate.test}
    out.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        write_jsonl(out / f"{split}.jsonl", (ex.to_dict() for ex in final[split]))
    write_jsonl(out / "label_noise_review.jsonl", gate.noise_flags)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "sources_dir": str(settings.sources_dir),
        **{
            split: {
                "n": len(final[split]),
                "sha256": data_hash(final[split]),
                "labels": dict(sorted(Counter(e.intent for e in final[split]).items())),
            }
            for split in SPLITS
        },
        "sources": {split: dict(sorted(Counter(_source(e) for e in final[split]).items())) for split in SPLITS},
        "augmentation": {
            "restyled": n_restyled,
            "dropped_near_held_out": n_restyled - len(augmented),
            "styles": dict(sorted(Counter(s for e in final["train"] for s in e.meta.get("style", [])).items())),
        },
        "splits": {
            "method": "families = connected components of the same-label skeleton-Jaccard ≥ bound graph (union-find, explicit groups joined; "
            "components over 15% of a label cut into grown dev/test regions); one split per family by seeded hash; bridge rows dropped",
            "fractions": dict(zip(SPLITS, SPLIT_FRACTIONS)),
            "bound": LEAKAGE_BOUND,
            "families": fs.n_families,
            "giant_components_cut": fs.cut_components,
            "bridge_rows_dropped": dict(fs.dropped_bridges),
            "leakage": leakage_report(final),
        },
        "evaluation_overlap": {
            "train_rows_dropped_as_exact_copies_of_evaluation_sets": n_decontaminated,
            **wild_overlap(final["train"], PACKAGE_DATA / WILD_DIR),
        },
        "gate": gate.report.to_dict(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    leak = manifest["splits"]["leakage"]
    text = (
        f"Intent dataset written to {out}\n"
        f"  train {len(final['train'])} examples ({len(augmented)} restyled copies before the gate), dev {len(final['dev'])}, test {len(final['test'])}, "
        f"{len(manifest['train']['labels'])} labels\n"
        f"  families train/dev/test {fs.n_families}; leakage (same label, skeleton Jaccard, bound {LEAKAGE_BOUND}): "
        f"dev→train max {leak['dev->train']['same_label_max']}, test→train max {leak['test->train']['same_label_max']}, test→dev max {leak['test->dev']['same_label_max']}\n"
        f"  label-noise candidates for review: {len(gate.noise_flags)} (label_noise_review.jsonl)\n" + gate.report.to_text()
    )
    return {**manifest, "text": text, "out": str(out)}
