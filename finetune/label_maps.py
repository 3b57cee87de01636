"""Label maps: how an external data set's labels read in this store (``aisle/data/eval/label_maps/``).

One file per data set, used both to build training data (``aisle data intents``) and to score
an external set (``aisle eval intents --label-map``), so the two can never disagree::

    {"name": "banking77", "dataset": "…", "about": "…",
     "labels": {"transaction_charged_twice": "payment_issue", "exchange_rate": "out_of_scope", "card_arrival": null},
     "train_exclude": {"*": "top.?up|…", "request_refund": "\\bcancel"}}

* a store label: the external label means that intent here;
* ``"out_of_scope"``: nothing a shop could serve;
* ``null``: a customer could mean it about the shop or not: never trained on, always skipped in evaluation;
* a label missing from the map is *unknown*: evaluation counts it as out of scope or skips it
  (``--unknown oos|skip``); training leaves it out.

``train_exclude`` holds regular expressions (per external label, or ``"*"`` for all) of
phrasings that only make sense in the source's domain ("top up", "ATM"): a row mapped to a
store intent that matches one is left out of *training* ("which cards can I top up with?" is
not a store payment question), never out of evaluation. Rows mapped to ``out_of_scope`` are
kept as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from aisle.errors import DataError
from aisle.settings import PACKAGE_DATA

LABEL_MAPS_DIR = PACKAGE_DATA / "eval" / "label_maps"


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class LabelMap:
    name: str
    labels: dict[str, str | None]
    train_exclude: dict[str, str] = field(default_factory=dict)
    dataset: str = ""

    def target(self, label: str) -> str | None | _Unknown:
        """The store label for ``label``; ``None`` to skip it; ``UNKNOWN`` if the map does not list it."""
        return self.labels.get(label, UNKNOWN)

    def excluded_from_training(self, label: str, text: str) -> bool:
        for key in ("*", label):
            pattern = self.train_exclude.get(key)
            if pattern and re.search(pattern, text, re.IGNORECASE):
                return True
        return False


def load_label_map(path: str | Path) -> LabelMap:
    """Read and validate a label-map JSON (see module docstring)."""
    path = Path(path)
    if not path.exists() and (LABEL_MAPS_DIR / f"{path.name}.json").exists():  # a bare name: "clinc150"
        path = LABEL_MAPS_DIR / f"{path.name}.json"
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in LABEL_MAPS_DIR.glob("*.json")))
        raise DataError(f"label map not found: {path} (packaged maps: {known})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"label map is not valid JSON: {exc}", f"{path}:{exc.lineno}") from None
    labels = obj.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise DataError('a label map needs a non-empty "labels" object {external_label: store_label | null}', str(path))
    bad = {k: v for k, v in labels.items() if v is not None and not (isinstance(v, str) and v.strip())}
    if bad:
        raise DataError(f"label-map targets must be a store label or null; got {sorted(bad.items())[:3]}", str(path))
    excl = obj.get("train_exclude") or {}
    for key, pattern in excl.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise DataError(f"train_exclude[{key!r}] is not a valid regular expression: {exc}", str(path)) from None
    return LabelMap(str(obj.get("name") or path.stem), dict(labels), dict(excl), str(obj.get("dataset", "")))


def packaged(name: str) -> LabelMap:
    return load_label_map(LABEL_MAPS_DIR / f"{name}.json")
