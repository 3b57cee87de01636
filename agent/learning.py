"""From the conversation log to training candidates: export and the review queue.

Rules (``collect``):

* a feedback **correction** ("this was about: …") becomes a *pending* review item with the
  shopper's label as the suggestion (reason ``shopper_correction``). A stranger's correction
  is never training data by itself: only a staff reviewer's ``review`` accepts or relabels it,
  and the reviewer is recorded (``review_items.reviewed_by``, ``meta.reviewer``);
* 👎 on a **confident** prediction (≥ ``CONFIDENT``) without a correction becomes a review item;
* a **handoff after a misroute** (repeated misunderstanding, "not sure") turns the
  low-confidence or out-of-scope turns before it into review items.

Every item keeps provenance: session (an HMAC keyed with the store secret), turn, time, and
the model version that served it. Texts are the stored, redacted ones, redacted again on the
way in and out (rows written by older versions may hold raw text). ``accepted_examples``, what
``aisle retrain`` trains on, holds only items a reviewer accepted.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.db import Database, FeedbackRepository, HandoffRepository, ReviewItems, TurnLog
from agent.privacy import StoreSecret, redact
from aisle.errors import InputError, NotFoundError
from aisle.fileio import write_jsonl
from aisle.labels import EMPTY, OOS

CONFIDENT = 0.8
UNSURE = 0.6  # turns below this confidence before a misroute handoff are queued for review
MISROUTE_HANDOFFS = ("repeated_misunderstanding", "not_sure", "sensitive_low_confidence")


@dataclass
class Candidate:
    item_id: int
    text: str
    predicted: str
    label: str | None
    reason: str
    status: str
    provenance: dict[str, Any] = field(default_factory=dict)
    reviewer: str | None = None  # the staff user who accepted, relabelled or rejected it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SESSION_PURPOSE = "session"


def _provenance(row: sqlite3.Row, secret: StoreSecret) -> dict[str, Any]:
    return {
        "session": secret.digest(row["session_id"], SESSION_PURPOSE),
        "turn_id": row["turn_id"],
        "at": row["created_at"],
        "model_version": row["model_version"],
        "confidence": row["confidence"],
        "top_k": json.loads(row["top_k_json"] or "[]"),
    }


def collect(db: Database, secret: StoreSecret, since: str = "", oos_label: str = OOS) -> int:
    """Turn feedback and handoffs logged since ``since`` into review items (idempotent); returns new items."""
    added = 0
    with db.transaction() as cur:

        def add(turn: sqlite3.Row, reason: str, suggested: str | None, status: str) -> None:
            nonlocal added
            clean = {"turn_id": turn["turn_id"], "user_text": redact(turn["user_text"]), "intent": turn["intent"]}
            added += ReviewItems.add(cur, clean, reason, suggested, status, json.dumps(_provenance(turn, secret)))

        for r in FeedbackRepository.with_turns(cur, since):
            if not r["user_text"].strip() or r["intent"] == EMPTY:
                continue
            if r["correction"]:
                add(r, "shopper_correction", r["correction"], "pending")  # a stranger's label waits for staff
            elif r["rating"] == -1 and r["confidence"] >= CONFIDENT:
                add(r, "thumbs_down_confident", None, "pending")
        for h in HandoffRepository.since_for_reasons(cur, since, MISROUTE_HANDOFFS):
            for t in TurnLog.unresolved_before(cur, h["session_id"], h["turn_id"], oos_label, UNSURE):
                if t["user_text"].strip():
                    add(t, "handoff_after_misroute", None, "pending")
    return added


def candidates(db: Database, status: str | None = None) -> list[Candidate]:
    rows = ReviewItems(db).list(status)
    return [
        Candidate(
            r["item_id"],
            redact(r["text"]),
            r["predicted"],
            r["final_label"] or r["suggested"],
            r["reason"],
            r["status"],
            json.loads(r["provenance_json"]),
            r["reviewed_by"],
        )
        for r in rows
    ]


def export(db: Database, secret: StoreSecret, out: Path, since: str = "") -> dict[str, Any]:
    """``aisle feedback export``: collect new items, write every candidate (redacted) as JSONL with provenance."""
    new = collect(db, secret, since)
    items = [c for c in candidates(db) if (c.provenance.get("at") or "") >= since]
    write_jsonl(out, (c.to_dict() for c in items))
    by_status: dict[str, int] = {}
    for c in items:
        by_status[c.status] = by_status.get(c.status, 0) + 1
    return {"new_items": new, "written": len(items), "by_status": by_status, "out": str(out)}


def review(
    db: Database, item_id: int, decision: str, label: str | None = None, labels: list[str] | None = None, *, reviewer: str
) -> Candidate:
    """Accept (with the suggested/predicted or a new label), relabel, or reject one item, as staff user ``reviewer``.

    Only staff surfaces call this (the logged-in console, ``aisle feedback review``); the
    reviewer is recorded and travels into the training row's provenance.
    """
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise InputError("a review needs the reviewer: the staff user who decides")
    items = ReviewItems(db)
    row = items.get(item_id)
    if row is None:
        raise NotFoundError(f"no review item {item_id}")
    if decision not in ("accept", "relabel", "reject"):
        raise InputError("decision must be accept, relabel or reject")
    final = None
    if decision in ("accept", "relabel"):
        final = label or row["suggested"] or (row["predicted"] if decision == "accept" else None)
        if not final:
            raise InputError("relabel needs a label")
        if labels and final not in labels:
            raise InputError(f"unknown intent {final!r}")
    status = "rejected" if decision == "reject" else "accepted"
    items.decide(item_id, status, final, reviewer)
    return candidates(db, None)[[c.item_id for c in candidates(db, None)].index(item_id)]


def accepted_examples(db: Database) -> list[dict[str, Any]]:
    """Items a reviewer accepted, as training rows ``{text, intent, source, meta}`` for ``aisle retrain``.

    An item marked accepted without a reviewer (shopper corrections auto-accepted by older
    versions) is not training data.
    """
    out = []
    for c in candidates(db, "accepted"):
        if c.label and c.reviewer:
            out.append(
                {
                    "text": c.text,
                    "intent": c.label,
                    "source": f"feedback:{c.reason}",
                    "meta": {
                        "item_id": c.item_id,
                        "at": c.provenance.get("at"),
                        "session": c.provenance.get("session"),
                        "predicted": c.predicted,
                        "model_version": c.provenance.get("model_version"),
                        "reviewer": c.reviewer,
                    },
                }
            )
    return out
