"""Store analytics from a real SQLite log: deflection, handoffs, intents, feedback, latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.analytics import compute
from agent.db import Database, FeedbackRepository, SessionRepository, TurnLog


def log_turn(db: Database, session: str, intent: str, conf: float, latency: float, handoff: str | None = None, resolved: bool = True,
             text: str = "hello") -> int:  # fmt: skip
    with db.transaction() as cur:
        SessionRepository.save(cur, session, "{}")
        return TurnLog.append(
            cur,
            session,
            {
                "user_text": text,
                "reply_text": "ok",
                "intent": intent,
                "confidence": conf,
                "latency_ms": latency,
                "handoff": int(handoff is not None),
                "handoff_reason": handoff,
                "resolved": int(resolved),
            },
        )


def test_figures_over_a_small_log(tmp_path: Path) -> None:
    db = Database(tmp_path / "aisle.db")
    t1 = log_turn(db, "a", "greeting", 0.99, 10)
    log_turn(db, "a", "track_order", 0.3, 20, resolved=False, text="Where  is my PARCEL")
    log_turn(db, "b", "contact_human_agent", 0.9, 30, handoff="requested")
    log_turn(db, "c", "out_of_scope", 0.2, 40, resolved=False, text="where is my parcel")
    FeedbackRepository(db).add(t1, "a", 1, None, None)
    r = compute(db, "all time")
    assert (r.conversations, r.turns, r.handoffs) == (3, 4, 1)
    assert r.deflection_rate == round(1 - 1 / 3, 4)
    assert r.handoff_reasons == {"requested": 1}
    assert r.low_confidence_rate == 0.5
    assert r.latency_p50_ms == 25.0 and r.thumbs_up == 1 and r.thumbs_up_ratio == 1.0
    assert r.unanswered == [("where is my parcel", 2)]  # the same question, normalised


def test_a_window_excludes_older_turns(tmp_path: Path) -> None:
    db = Database(tmp_path / "aisle.db")
    log_turn(db, "a", "greeting", 0.99, 10)
    later = datetime.now(UTC) + timedelta(days=2)
    assert compute(db, "last 24 hours", now=later).turns == 0
    assert compute(db, "last 7 days", now=later).turns == 1
