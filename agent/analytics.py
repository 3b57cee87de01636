"""Store-staff analytics from the SQLite log (deflection, handoffs, intents, feedback, latency)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.db import Database

WINDOWS = {"last 24 hours": timedelta(hours=24), "last 7 days": timedelta(days=7), "last 30 days": timedelta(days=30), "all time": None}


@dataclass
class AnalyticsReport:
    window: str
    conversations: int = 0
    turns: int = 0
    deflection_rate: float | None = None  # conversations resolved without a handoff
    handoffs: int = 0
    handoff_reasons: dict[str, int] = field(default_factory=dict)
    intents: dict[str, int] = field(default_factory=dict)
    low_confidence_rate: float | None = None
    thumbs_up: int = 0
    thumbs_down: int = 0
    thumbs_up_ratio: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    unanswered: list[tuple[str, int]] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 1)


def compute(db: Database, window: str = "last 7 days", low_confidence: float = 0.45, now: datetime | None = None) -> AnalyticsReport:
    """Figures over ``window`` (a key of ``WINDOWS``)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; choose one of {list(WINDOWS)}")
    span = WINDOWS[window]
    since = ((now or datetime.now(UTC)) - span).isoformat() if span else ""
    turns = db.query(
        "SELECT session_id, intent, confidence, latency_ms, handoff, handoff_reason, resolved, user_text, action FROM turns WHERE created_at >= ?",
        (since,),
    )
    r = AnalyticsReport(window)
    if not turns:
        return r
    sessions = {t["session_id"] for t in turns}
    handed = {t["session_id"] for t in turns if t["handoff"]}
    r.conversations, r.turns = len(sessions), len(turns)
    r.deflection_rate = round(1 - len(handed) / len(sessions), 4)
    r.handoffs = sum(1 for t in turns if t["handoff"])
    r.handoff_reasons = dict(Counter(t["handoff_reason"] for t in turns if t["handoff"]).most_common())
    r.intents = dict(Counter(t["intent"] for t in turns).most_common())
    scored = [t for t in turns if t["intent"] != "empty"]
    r.low_confidence_rate = round(sum(1 for t in scored if t["confidence"] < low_confidence) / len(scored), 4) if scored else None
    lat = [float(t["latency_ms"]) for t in turns]
    r.latency_p50_ms, r.latency_p95_ms = _percentile(lat, 0.5), _percentile(lat, 0.95)
    r.actions = dict(Counter(t["action"] for t in turns if t["action"]).most_common())
    fb = db.query("SELECT rating, COUNT(*) AS n FROM feedback WHERE created_at >= ? GROUP BY rating", (since,))
    counts = {row["rating"]: row["n"] for row in fb}
    r.thumbs_up, r.thumbs_down = counts.get(1, 0), counts.get(-1, 0)
    rated = r.thumbs_up + r.thumbs_down
    r.thumbs_up_ratio = round(r.thumbs_up / rated, 4) if rated else None
    unanswered = Counter(
        re.sub(r"\s+", " ", t["user_text"].strip().lower())[:120] for t in turns if not t["resolved"] and t["intent"] != "empty" and t["user_text"].strip()
    )
    r.unanswered = unanswered.most_common(10)
    return r
