"""Versioned intent models under ``AISLE_HOME/models/intents`` with a promotion gate.

Layout::

    models/intents/
      v0001-20261122T193000Z/   model + tokenizer + aisle_intents.json (manifest) + plots
      v0002-…/
      current -> v0002-…         symlink to the promoted version (swapped atomically)
      promotions.jsonl           every promotion and refusal, with its reason

A candidate is promoted automatically only if, on the *same* dev examples, it is not worse
than ``current`` on any gated metric by more than the tolerance (or, on small supports, by more
than the metric's sampling noise; see ``compare``). An operator can promote any
version by hand (``aisle models promote v0001``): that is the instant rollback.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aisle.errors import ModelNotFoundError, NotFoundError
from finetune.train import MANIFEST

VERSION_RE = re.compile(r"^v(\d{4,})-")


@dataclass
class ModelVersion:
    name: str
    path: Path
    manifest: dict[str, Any]

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.manifest.get("metrics", {}))


@dataclass
class GateDecision:
    passed: bool
    reason: str
    candidate: dict[str, Any] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)
    deltas: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reason": self.reason, "candidate": self.candidate, "current": self.current, "deltas": self.deltas}


def compare(candidate: dict[str, Any], current: dict[str, Any], metrics: list[str], tolerance: float,
            supports: dict[str, int] | None = None, z: float = 0.0) -> GateDecision:
    """Pure gate: fail if any tracked metric drops by more than it may.

    A metric may drop by ``tolerance``, or, when ``supports`` gives the number of examples
    behind it and ``z`` > 0, by ``z`` standard errors of the difference of two proportions
    measured on that many examples, whichever is larger: OOS recall on 25 out-of-scope dev
    utterances moves 4 points per utterance, and refusing every retrain for that noise
    would stall the loop as surely as promoting a worse model would harm it.
    """
    deltas: dict[str, float] = {}
    worse: list[str] = []
    for m in metrics:
        c, p = candidate.get(m), current.get(m)
        if c is None or p is None:
            continue
        deltas[m] = round(float(c) - float(p), 4)
        n = (supports or {}).get(m, 0)
        noise = z * math.sqrt(2 * float(p) * (1 - float(p)) / n) if z > 0 and n > 0 else 0.0
        allowed = max(tolerance, noise)
        if float(c) < float(p) - allowed:
            worse.append(f"{m} {p:.4f} → {c:.4f} (allowed drop {allowed:.4f})")
    if worse:
        return GateDecision(False, "worse than current beyond tolerance: " + "; ".join(worse), candidate, current, deltas)
    return GateDecision(True, "not worse than current on any tracked metric", candidate, current, deltas)


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def versions(self) -> list[ModelVersion]:
        if not self.root.is_dir():
            return []
        out = []
        for d in sorted(self.root.iterdir()):
            if d.is_dir() and not d.is_symlink() and VERSION_RE.match(d.name):
                try:
                    manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError):
                    manifest = {"broken": True}
                out.append(ModelVersion(d.name, d, manifest))
        return out

    def get(self, name: str) -> ModelVersion:
        for v in self.versions():
            if v.name == name or v.name.startswith(name + "-"):
                return v
        known = ", ".join(v.name for v in self.versions()) or "none"
        raise NotFoundError(f"no model version {name!r}; known: {known}")

    def current(self) -> ModelVersion | None:
        link = self.current_link
        if not link.exists():
            return None
        target = link.resolve()
        return next((v for v in self.versions() if v.path.resolve() == target), None)

    def current_path(self) -> Path:
        """Directory of the promoted model, or a clear error telling how to get one."""
        cur = self.current()
        if cur is None:
            raise ModelNotFoundError(f"no promoted intent model in {self.root}; run `aisle setup` or `aisle train intents`")
        return cur.path

    def new_version_dir(self) -> Path:
        numbers = [int(m.group(1)) for v in self.versions() if (m := VERSION_RE.match(v.name))]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f"v{(max(numbers) + 1) if numbers else 1:04d}-{stamp}"

    def promote(self, name: str, reason: str = "manual") -> ModelVersion:
        """Point ``current`` at ``name`` atomically (symlink swap)."""
        version = self.get(name)
        if version.manifest.get("broken"):
            raise ModelNotFoundError(f"{version.name} has no readable {MANIFEST}; it cannot be promoted")
        tmp = self.root / f".current-{os.getpid()}"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(version.name, tmp)
        os.replace(tmp, self.current_link)
        self.log({"event": "promoted", "version": version.name, "reason": reason})
        return version

    def log(self, event: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        event = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **event}
        with open(self.root / "promotions.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")

    def history(self) -> list[dict[str, Any]]:
        path = self.root / "promotions.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
