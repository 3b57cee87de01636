"""Versioned intent models under ``AISLE_HOME/models/intents`` with a promotion gate.

Layout::

    models/intents/
      v0001-20261122T193000Z/   model + tokenizer + aisle_intents.json (manifest) + plots
      v0002-…/
      current -> v0002-…         symlink to the promoted version (swapped atomically)
      promotions.jsonl           every promotion and refusal, with its reason

A candidate is promoted automatically only if, on the *same* examples, it is not worse on any
gated metric by more than the tolerance (or, on small supports, by more than the metric's
sampling noise; see ``compare``) than the **best of the recent versions** — ``current`` and the
last few promoted ones (``gate_candidate``) — on the dev set *and* on the frozen test split.
Comparing with ``current`` alone lets allowed drops add up (−0.9, then −0.9 again from the
new, lower bar); comparing with the best of the recent history does not. A version is a
reference for a split only if it was trained with that same split (its manifest's fingerprint
matches), so a model that may have trained on today's test rows never sets the bar.

An operator can promote any version by hand (``aisle models promote v0001``): that is the
instant rollback.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
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
        return {
            "passed": self.passed,
            "reason": self.reason,
            "candidate": self.candidate,
            "current": self.current,
            "deltas": self.deltas,
        }


def compare(
    candidate: dict[str, Any],
    current: dict[str, Any],
    metrics: list[str],
    tolerance: float,
    supports: dict[str, int] | None = None,
    z: float = 0.0,
) -> GateDecision:
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


def best_of(references: dict[str, dict[str, Any]], metrics: Sequence[str]) -> tuple[dict[str, float], dict[str, str]]:
    """Per metric, the best value among the reference versions and which version holds it."""
    best: dict[str, float] = {}
    who: dict[str, str] = {}
    for name, m in references.items():
        for k in metrics:
            v = m.get(k)
            if v is not None and (k not in best or float(v) > best[k]):
                best[k], who[k] = float(v), name
    return best, who


def compare_with_best(
    candidate: dict[str, Any],
    references: dict[str, dict[str, Any]],
    metrics: list[str],
    tolerance: float,
    supports: dict[str, int] | None = None,
    z: float = 0.0,
) -> GateDecision:
    """``compare`` against the best reference on each metric (pure). No references: passes."""
    if not references:
        return GateDecision(True, "no earlier version trained on these data to compare with", candidate, {}, {})
    best, who = best_of(references, metrics)
    d = compare(candidate, best, metrics, tolerance, supports, z)
    bars = ", ".join(f"{m} {best[m]:.4f} ({who[m]})" for m in metrics if m in best)
    reason = (
        "not worse than the best of " if d.passed else "worse than the best of "
    ) + f"{', '.join(sorted(references))} [bar: {bars}]"
    if not d.passed:
        reason += ": " + d.reason.split(": ", 1)[-1]
    return GateDecision(d.passed, reason, candidate, {"best": best, "set_by": who}, d.deltas)


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

    def recent(self, n: int, exclude: str | None = None) -> list[ModelVersion]:
        """``current`` and the last promoted versions, most recent first, up to ``n`` + 1 distinct ones."""
        names: list[str] = []
        cur = self.current()
        if cur is not None:
            names.append(cur.name)
        for event in reversed(self.history()):
            if len(names) > n:
                break
            if event.get("event") == "promoted" and event.get("version") not in names:
                names.append(str(event["version"]))
        known = {v.name: v for v in self.versions()}
        return [known[nm] for nm in names if nm in known and nm != exclude and not known[nm].manifest.get("broken")]

    def cached_metrics(self, version: ModelVersion, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Metrics of ``version`` on the examples fingerprinted by ``key``, computed once and kept beside the model."""
        path = version.path / "eval_cache.json"
        try:
            cache = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            cache = {}
        if key not in cache:
            cache[key] = compute()
            try:
                path.write_text(json.dumps(cache, indent=2), encoding="utf-8")
            except OSError:  # a read-only registry still gates, it just recomputes next time
                pass
        return dict(cache[key])

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


@dataclass
class GateSplit:
    """One split the gate compares on: its examples, their fingerprint, and the manifest fields that record it.

    ``unrecorded_ok``: a version whose manifest records none of ``manifest_keys`` (made before
    fingerprints were kept, or by a script that does not keep them) is assumed to have used
    this split, as the gate always assumed for the fixed dev set; never for test.
    """

    name: str
    examples: list[Any]
    fingerprint: str
    manifest_keys: tuple[str, ...]
    supports: dict[str, int] = field(default_factory=dict)
    unrecorded_ok: bool = False


def trained_with(version: ModelVersion, split: GateSplit) -> bool:
    """Whether ``version`` was trained (early-stopped, calibrated) with the same ``split``."""
    data = version.manifest.get("data") or {}
    if split.unrecorded_ok and not any(k in data for k in split.manifest_keys):
        return True
    return any(data.get(k) == split.fingerprint for k in split.manifest_keys)


def gate_candidate(
    registry: ModelRegistry,
    candidate: Path,
    splits: list[GateSplit],
    evaluate: Callable[[Path, list[Any]], dict[str, Any]],
    metrics: list[str],
    tolerance: float,
    z: float = 0.0,
    history: int = 3,
) -> GateDecision:
    """Compare ``candidate`` with the best of ``current`` and the last ``history`` promoted versions, on each split.

    Only versions trained with a split are references for it (``trained_with``); the candidate
    is evaluated on a split only when some reference exists. The candidate passes when it
    passes on every split; the decision's ``current`` holds, per split, the bar and who set it.
    """
    refs = registry.recent(history, exclude=candidate.name)
    cand_all: dict[str, Any] = {}
    bars: dict[str, Any] = {}
    deltas: dict[str, float] = {}
    reasons: list[str] = []
    passed = True
    for split in splits:
        eligible = [v for v in refs if trained_with(v, split)]
        skipped = [v.name for v in refs if v not in eligible]
        if not split.examples or not eligible:
            reasons.append(
                f"{split.name}: no earlier version trained with this {split.name} set"
                + (f" ({', '.join(skipped)} used other data)" if skipped else "")
            )
            continue
        cand = evaluate(candidate, split.examples)
        ref_metrics = {
            v.name: registry.cached_metrics(
                v, f"{split.name}:{split.fingerprint}", lambda v=v, rows=split.examples: evaluate(v.path, rows)
            )
            for v in eligible
        }
        d = compare_with_best(cand, ref_metrics, metrics, tolerance, split.supports, z)
        passed &= d.passed
        cand_all[split.name] = cand
        bars[split.name] = d.current
        deltas.update({f"{split.name}_{k}" if split.name != "dev" else k: v for k, v in d.deltas.items()})
        reasons.append(f"{split.name}: {d.reason}")
    return GateDecision(passed, "; ".join(reasons), cand_all, bars, deltas)
