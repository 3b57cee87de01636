"""Assemble the store router's labelled train/dev sets (``aisle data intents``).

Sources (all in ``settings.sources_dir``; packaged gzip copies when ../shared is absent):

* **Bitext** customer-service utterances: the 27 store intents, as labelled. Train is
  capped per intent (the set is heavily templated; more copies add time, not signal).
* **CLINC150**: five small-talk intents kept as classes (greeting, goodbye, thank_you,
  are_you_a_bot, what_can_i_ask_you); ``out_of_scope`` = CLINC's own OOS examples plus a
  sample of every *clearly unrelated* CLINC intent (travel, banking, cooking, smart home,
  off-topic chit-chat…). Intents that overlap a store's business (``order_status``,
  ``shopping_list``, ``card_declined``, ``cancel``, ``yes``/``no``…) are left out entirely
  rather than taught as out-of-scope.
* **WANDS** real product-search queries → ``product_search``.
* **Generated** ``product_search``/``product_question``/``recommendation`` from the catalog
  (``finetune.augment``), with disjoint train/dev templates; plus store-policy and order
  questions that *mention* products ("can I return earrings?"), so a product noun does not
  by itself mean "search"; plus a few greetings/thanks/goodbyes in other languages.

Then the quality gate runs (dedup, conflicts, leakage, label-noise report), and train.jsonl,
dev.jsonl, report.json and manifest.json (counts, SHA-256 of the data) are written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisle.fileio import open_text, read_jsonl, write_jsonl
from aisle.text import normalize_for_match
from finetune import augment
from finetune.quality import run_gate
from finetune.schema import OOS, SMALL_TALK, CatalogFacts, Example

if TYPE_CHECKING:
    from aisle.settings import Settings

# CLINC intents that a store's customers could mean in a store context: never OOS here.
CLINC_AMBIGUOUS = {
    "order", "order_status", "shopping_list", "shopping_list_update", "card_declined", "cancel", "yes", "no", "maybe",
    "repeat", "account_blocked", "freeze_account", "user_name", "change_user_name", "report_fraud", "transactions",
    "spending_history", "redeem_rewards", "rewards_balance", "expiration_date", "who_do_you_work_for", "who_made_you",
    "what_is_your_name", "change_ai_name", "reset_settings", "damaged_card", "new_card", "replacement_card_duration",
}
BITEXT_CAP = 180
SMALL_TALK_CAP = 100
OOS_PER_INTENT = {"train": 8, "dev": 4}
GENERATED = {"train": {"product_search": 200, "product_question": 260, "recommendation": 260},
             "dev": {"product_search": 60, "product_question": 80, "recommendation": 80}}
WANDS_PER_SPLIT = {"train": 150, "dev": 60}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [obj for _, obj in read_jsonl(path)]


def bitext(settings: Settings, split: str, rng: random.Random) -> list[Example]:
    rows = _jsonl(settings.source_file(f"bitext_cs/{split}.jsonl"))
    by_intent: dict[str, list[Example]] = {}
    for r in rows:
        by_intent.setdefault(r["intent"], []).append(Example(r["text"], r["intent"], "bitext"))
    out: list[Example] = []
    for intent in sorted(by_intent):
        items = by_intent[intent]
        if split == "train" and len(items) > BITEXT_CAP:
            items = rng.sample(items, BITEXT_CAP)
        out.extend(items)
    return out


def clinc(settings: Settings, split: str, rng: random.Random) -> list[Example]:
    rows = _jsonl(settings.source_file(f"clinc150/{split}.jsonl"))
    by_intent: dict[str, list[str]] = {}
    for r in rows:
        by_intent.setdefault(r["intent"], []).append(r["text"])
    out: list[Example] = []
    for intent in sorted(by_intent):
        texts = by_intent[intent]
        if intent in SMALL_TALK:
            out += [Example(t, intent, "clinc") for t in texts[:SMALL_TALK_CAP]]
        elif intent == "out_of_scope":
            out += [Example(t, OOS, "clinc-oos") for t in texts]
        elif intent not in CLINC_AMBIGUOUS:
            out += [Example(t, OOS, f"clinc:{intent}") for t in rng.sample(texts, min(len(texts), OOS_PER_INTENT[split]))]
    return out


def wands(settings: Settings, split: str) -> list[Example]:
    with open_text(settings.source_file("wands_queries/query.csv")) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    # split by query id parity so the two splits never share a query
    chosen = [r for r in rows if (int(r["query_id"]) % 3 == 0) == (split == "dev")]
    return [Example(r["query"], "product_search", "wands") for r in chosen[: WANDS_PER_SPLIT[split]]]


POLICY_PER_INTENT = {"train": 24, "dev": 8}


def generated(facts: CatalogFacts, split: str, seed: int) -> list[Example]:
    out: list[Example] = []
    for intent, n in GENERATED[split].items():
        out += [ex for ex in augment.generate(facts, split, n * 2, seed) if ex.intent == intent][:n]
    out += list(augment.generate_policy(facts, split, POLICY_PER_INTENT[split], seed))
    out += list(augment.multilingual_small_talk(split))
    return out


def data_hash(examples: Iterable[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.intent}\t{normalize_for_match(ex.text)}\n".encode())
    return h.hexdigest()


def build_intent_dataset(settings: Settings, out: Path, facts: CatalogFacts, seed: int = 13) -> dict[str, Any]:
    """Assemble, gate and write the dataset; returns a summary (also in ``manifest.json``)."""
    rng = random.Random(seed)
    splits: dict[str, list[Example]] = {}
    for split in ("train", "dev"):
        splits[split] = [*bitext(settings, split, rng), *clinc(settings, split, rng), *wands(settings, split), *generated(facts, split, seed)]
    gate = run_gate(splits["train"], splits["dev"], settings.quality, noise=True, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "train.jsonl", (ex.to_dict() for ex in gate.train))
    write_jsonl(out / "dev.jsonl", (ex.to_dict() for ex in gate.dev))
    write_jsonl(out / "label_noise_review.jsonl", gate.noise_flags)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "sources_dir": str(settings.sources_dir),
        "train": {"n": len(gate.train), "sha256": data_hash(gate.train), "labels": dict(sorted(Counter(e.intent for e in gate.train).items()))},
        "dev": {"n": len(gate.dev), "sha256": data_hash(gate.dev), "labels": dict(sorted(Counter(e.intent for e in gate.dev).items()))},
        "sources": {s: dict(Counter(e.source.split(":")[0] for e in gate.__dict__[s])) for s in ("train", "dev")},
        "gate": gate.report.to_dict(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    text = (
        f"Intent dataset written to {out}\n"
        f"  train {len(gate.train)} examples, dev {len(gate.dev)} examples, {len(manifest['train']['labels'])} labels\n"
        f"  label-noise candidates for review: {len(gate.noise_flags)} (label_noise_review.jsonl)\n" + gate.report.to_text()
    )
    return {**manifest, "text": text, "out": str(out)}
