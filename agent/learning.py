"""From the conversation log to training candidates: export and the review queue.

Rules (``collect``):

* a feedback **correction** ("this was about: …") becomes a labelled example, status
  ``accepted`` with source ``shopper_correction``: still subject to the noise filter at
  retrain time, because shoppers mislabel too;
* 👎 on a **confident** prediction (≥ ``CONFIDENT``) without a correction becomes a review item;
* a **handoff after a misroute** (repeated misunderstanding, "not sure") turns the
  low-confidence or out-of-scope turns before it into review items.

Every item keeps provenance: session (hashed), turn, time, and the model version that
served it. Texts are the stored, already redacted ones.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.db import Database
from agent.privacy import pii_hash
from agent.session import now_iso
from aisle.errors import InputError, NotFoundError
from aisle.fileio import write_jsonl

CONFIDENT = 0.8
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _provenance(row: Any, salt: str) -> dict[str, Any]:
    return {
        "session": pii_hash(row["session_id"], salt),
        "turn_id": row["turn_id"],
        "at": row["created_at"],
        "model_version": row["model_version"],
        "confidence": row["confidence"],
        "top_k": json.loads(row["top_k_json"] or "[]"),
    }


def collect(db: Database, salt: str, since: str = "") -> int:
    """Turn feedback and handoffs logged since ``since`` into review items (idempotent); returns new items."""
    added = 0
    with db.transaction() as cur:
        def add(turn: Any, reason: str, suggested: str | None, status: str) -> None:
            nonlocal added
            cur.execute(
                """INSERT OR IGNORE INTO review_items(created_at, turn_id, text, predicted, suggested, reason, status, final_label, reviewed_at, provenance_json)
                   VALUES (?,?,?,?,?,?,?,?,?,?)""",
                (now_iso(), turn["turn_id"], turn["user_text"], turn["intent"], suggested, reason, status,
                 suggested if status == "accepted" else None, now_iso() if status == "accepted" else None,
                 json.dumps(_provenance(turn, salt))),
            )
            added += cur.rowcount

        rows = cur.execute(
            "SELECT f.rating, f.correction, f.created_at AS fb_at, t.* FROM feedback f JOIN turns t USING(turn_id) WHERE f.created_at >= ? ORDER BY f.feedback_id",
            (since,),
        ).fetchall()
        for r in rows:
            if not r["user_text"].strip() or r["intent"] == "empty":
                continue
            if r["correction"]:
                add(r, "shopper_correction", r["correction"], "accepted")
            elif r["rating"] == -1 and r["confidence"] >= CONFIDENT:
                add(r, "thumbs_down_confident", None, "pending")
        handoffs = cur.execute(
            f"SELECT session_id, turn_id FROM handoffs WHERE created_at >= ? AND reason IN ({','.join('?' * len(MISROUTE_HANDOFFS))})",
            (since, *MISROUTE_HANDOFFS),
        ).fetchall()
        for h in handoffs:
            before = cur.execute(
                "SELECT * FROM turns WHERE session_id = ? AND turn_id <= ? AND (intent = 'out_of_scope' OR confidence < 0.6 OR resolved = 0) AND intent != 'empty'",
                (h["session_id"], h["turn_id"]),
            ).fetchall()
            for t in before:
                if t["user_text"].strip():
                    add(t, "handoff_after_misroute", None, "pending")
    return added


def candidates(db: Database, status: str | None = None) -> list[Candidate]:
    sql = "SELECT * FROM review_items" + (" WHERE status = ?" if status else "") + " ORDER BY item_id"
    rows = db.query(sql, (status,) if status else ())
    return [
        Candidate(r["item_id"], r["text"], r["predicted"], r["final_label"] or r["suggested"], r["reason"], r["status"], json.loads(r["provenance_json"]))
        for r in rows
    ]


def export(db: Database, salt: str, out: Path, since: str = "") -> dict[str, Any]:
    """``aisle feedback export``: collect new items, write every candidate as JSONL with provenance."""
    new = collect(db, salt, since)
    items = [c for c in candidates(db) if (c.provenance.get("at") or "") >= since]
    write_jsonl(out, (c.to_dict() for c in items))
    by_status: dict[str, int] = {}
    for c in items:
        by_status[c.status] = by_status.get(c.status, 0) + 1
    return {"new_items": new, "written": len(items), "by_status": by_status, "out": str(out)}


def review(db: Database, item_id: int, decision: str, label: str | None = None, labels: list[str] | None = None) -> Candidate:
    """Accept (with the suggested/predicted or a new label), relabel, or reject one item."""
    rows = db.query("SELECT * FROM review_items WHERE item_id = ?", (item_id,))
    if not rows:
        raise NotFoundError(f"no review item {item_id}")
    row = rows[0]
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
    with db.transaction() as cur:
        cur.execute("UPDATE review_items SET status=?, final_label=?, reviewed_at=? WHERE item_id=?", (status, final, now_iso(), item_id))
    return candidates(db, None)[[c.item_id for c in candidates(db, None)].index(item_id)]


def accepted_examples(db: Database) -> list[dict[str, Any]]:
    """Accepted items as training rows ``{text, intent, source, meta}`` for ``aisle retrain``."""
    out = []
    for c in candidates(db, "accepted"):
        if c.label:
            out.append({"text": c.text, "intent": c.label, "source": f"feedback:{c.reason}",
                        "meta": {"item_id": c.item_id, "at": c.provenance.get("at"), "session": c.provenance.get("session"),
                                 "predicted": c.predicted, "model_version": c.provenance.get("model_version")}})
    return out
