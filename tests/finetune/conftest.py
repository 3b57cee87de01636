from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisle.settings import PACKAGE_DATA

LABELS = ("greeting", "track_order", "cancel_order", "out_of_scope")


def _pick(split: str, per_label: int, labels: tuple[str, ...] = LABELS) -> list[dict]:
    rows = [json.loads(line) for line in (PACKAGE_DATA / "intents" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    out: list[dict] = []
    for label in labels:
        mine = [{"text": r["text"], "intent": r["intent"]} for r in rows if r["intent"] == label]
        # evenly spaced over the label's rows: the split lists a label's rows source by source, and a tiny set
        # should see them all, not only the first source's phrasing
        out += [mine[i * len(mine) // per_label] for i in range(min(per_label, len(mine)))]
    return out


@pytest.fixture(scope="session")
def tiny_intents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 labels × 16 train / 6 dev real examples: enough for a 1-epoch smoke training."""
    d = tmp_path_factory.mktemp("tiny-intents")
    for split, n in (("train", 16), ("dev", 6)):
        (d / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _pick(split, n)), encoding="utf-8")
    return d


SHIFT_LABELS = (
    "greeting",
    "track_order",
    "cancel_order",
    "get_refund",
    "track_refund",
    "check_payment_methods",
    "delivery_period",
    "out_of_scope",
)


@pytest.fixture(scope="session")
def shift_intents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 labels × 16 train / 6 dev: the labels the Hinglish shift confuses."""
    d = tmp_path_factory.mktemp("shift-intents")
    for split, n in (("train", 16), ("dev", 6)):
        (d / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _pick(split, n, SHIFT_LABELS)), encoding="utf-8")
    return d
