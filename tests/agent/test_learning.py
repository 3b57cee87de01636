"""Feedback → candidates → review queue, over the real store."""

from __future__ import annotations

import json
import uuid

from agent.learning import accepted_examples, candidates, collect, export, review


def test_export_and_review(store_agent, tmp_path) -> None:
    db, secret = store_agent.db, store_agent.store_secret
    s = f"learn-{uuid.uuid4().hex[:8]}"
    wrong = store_agent.respond(s, "how long does delivery take?")
    store_agent.feedback(s, wrong.turn_id, -1, correction="delivery_options")
    confident = store_agent.respond(s, "what is your return policy?")
    assert confident.confidence >= 0.8
    store_agent.feedback(s, confident.turn_id, -1)
    collect(db, secret)
    assert collect(db, secret) == 0  # idempotent
    items = {c.text: c for c in candidates(db) if c.provenance["turn_id"] in (wrong.turn_id, confident.turn_id)}
    corrected = items["how long does delivery take?"]
    # a shopper's correction waits for staff: pending, with the shopper's label as the suggestion
    assert corrected.status == "pending" and corrected.label == "delivery_options" and corrected.reason == "shopper_correction"
    pending = items["what is your return policy?"]
    assert pending.status == "pending" and pending.reason == "thumbs_down_confident"
    assert pending.provenance["model_version"] and pending.provenance["session"] != s  # hashed, not the raw id

    out = tmp_path / "candidates.jsonl"
    result = export(db, secret, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert result["written"] == len(rows) and all("provenance" in r for r in rows)

    assert review(db, pending.item_id, "relabel", "check_refund_policy", reviewer="asha").status == "accepted"
    assert review(db, corrected.item_id, "accept", reviewer="asha").label == "delivery_options"
    texts = {r["text"]: r for r in accepted_examples(db)}
    assert texts["what is your return policy?"]["intent"] == "check_refund_policy"
    assert texts["how long does delivery take?"]["meta"]["predicted"] == "delivery_period"


def test_handoff_after_misroute_becomes_a_review_item(store_agent) -> None:
    db, secret = store_agent.db, store_agent.store_secret
    s = f"learn-{uuid.uuid4().hex[:8]}"
    for text in ["what's the weather in paris", "book me a flight to delhi", "what is the capital of peru"]:
        last = store_agent.respond(s, text)
    assert last.handoff and last.handoff_reason == "repeated_misunderstanding"
    collect(db, secret)
    session = secret.digest(s, "session")
    mine = [c for c in candidates(db, "pending") if c.reason == "handoff_after_misroute" and c.provenance["session"] == session]
    # every misunderstood turn that led to the handoff is queued once, with this session's provenance
    texts = [c.text for c in mine]
    assert {"what is the capital of peru", "what's the weather in paris"} <= set(texts) and len(texts) == len(set(texts))
