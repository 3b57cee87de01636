"""Store-staff analytics from the SQLite log (deflection, handoffs, intents, feedback, latency)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.db import Database, FeedbackRepository, TurnLog
from agent.privacy import redact
from aisle.formatting import percentile
from aisle.labels import EMPTY

WINDOWS = {
    "last 24 hours": timedelta(hours=24),
    "last 7 days": timedelta(days=7),
    "last 30 days": timedelta(days=30),
    "all time": None,
}


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


def _normalise(text: str) -> str:
    """One line, lower case, redacted (tags stay upper case: ``[PHONE]``)."""
    low = redact(re.sub(r"\s+", " ", text.strip())).lower()
    return re.sub(r"\[(email|phone|card|address|id)\]", lambda m: m.group(0).upper(), low)[:120]


def compute(
    db: Database, window: str = "last 7 days", low_confidence: float = 0.45, now: datetime | None = None
) -> AnalyticsReport:
    """Figures over ``window`` (a key of ``WINDOWS``)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; choose one of {list(WINDOWS)}")
    span = WINDOWS[window]
    since = ((now or datetime.now(UTC)) - span).isoformat() if span else ""
    turns = TurnLog(db).since(since)
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
    scored = [t for t in turns if t["intent"] != EMPTY]
    r.low_confidence_rate = round(sum(1 for t in scored if t["confidence"] < low_confidence) / len(scored), 4) if scored else None
    lat = [float(t["latency_ms"]) for t in turns]
    r.latency_p50_ms, r.latency_p95_ms = percentile(lat, 0.5, digits=1), percentile(lat, 0.95, digits=1)
    r.actions = dict(Counter(t["action"] for t in turns if t["action"]).most_common())
    counts = FeedbackRepository(db).rating_counts(since)
    r.thumbs_up, r.thumbs_down = counts.get(1, 0), counts.get(-1, 0)
    rated = r.thumbs_up + r.thumbs_down
    r.thumbs_up_ratio = round(r.thumbs_up / rated, 4) if rated else None
    unanswered = Counter(  # redacted again on the way out: rows written by older versions may hold raw text
        _normalise(t["user_text"]) for t in turns if not t["resolved"] and t["intent"] != EMPTY and t["user_text"].strip()
    )
    r.unanswered = unanswered.most_common(10)
    return r
