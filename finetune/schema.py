"""Types shared by the fine-tuning scripts: labelled examples and the catalog facts augmentation uses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aisle.errors import DataError
from aisle.fileio import read_jsonl
from aisle.labels import OOS, SMALL_TALK  # noqa: F401  (re-exported: finetune.dataset reads the labels from here)
from aisle.text import clean_text

EXAMPLE_FIELDS = {"text", "intent", "source", "group", "weight", "meta"}


@dataclass
class Example:
    """One labelled utterance. ``group`` ties templated variants together so splits never straddle them."""

    text: str
    intent: str
    source: str = ""
    group: str = ""
    weight: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["meta"]:
            d.pop("meta")
        if d["weight"] == 1.0:
            d.pop("weight")
        return d


@dataclass
class CatalogFacts:
    """What the shopping-intent generator may mention: real values from the store's catalog."""

    categories: list[str]
    brands: list[str]
    colors: list[str]
    titles: list[str]
    prices: list[float]


def load_examples(path: str | Path, strict_fields: bool = True) -> list[Example]:
    """Read a JSONL of ``{"text", "intent"}`` (plus optional fields) with file:line errors.

    Malformed training data must stop training, not be skipped: a silently dropped row
    changes what the model learns. Unknown fields, empty text and missing labels are errors.
    """
    out: list[Example] = []
    for lineno, obj in read_jsonl(path):
        loc = f"{path}:{lineno}"
        unknown = set(obj) - EXAMPLE_FIELDS
        if unknown and strict_fields:
            raise DataError(
                f"unknown field(s) {sorted(unknown)}; expected {{'text', 'intent'}} (optional: source, group, weight)", loc
            )
        text = clean_text(str(obj.get("text") or ""))
        intent = str(obj.get("intent") or "").strip()
        if not text:
            raise DataError("empty 'text'", loc)
        if not intent:
            raise DataError("missing 'intent' label", loc)
        try:
            weight = float(obj.get("weight", 1.0))
        except (TypeError, ValueError):
            raise DataError(f"'weight' must be a number, got {obj.get('weight')!r}", loc) from None
        if not weight > 0:
            raise DataError(f"'weight' must be positive, got {weight}", loc)
        out.append(
            Example(text, intent, str(obj.get("source", "")), str(obj.get("group", "")), weight, dict(obj.get("meta") or {}))
        )
    if not out:
        raise DataError(f"{path} holds no examples")
    return out
