"""A learning loop strangers can't poison: shopper corrections wait for a staff reviewer; feedback is rate-limited."""

from __future__ import annotations

import pytest

from agent.learning import accepted_examples, candidates, collect, review
from aisle.errors import InputError, RateLimitError
from finetune.feedback_loop import reviewed_rows
from tests.security._agent_store import private_agent, private_store, sid


@pytest.fixture
def shop(store_agent, store_settings, tmp_path):
    return private_agent(
        store_agent, private_store(store_settings, tmp_path, feedback_per_session_per_hour=3, feedback_per_client_per_hour=5)
    )


def test_a_shopper_correction_never_becomes_training_data_by_itself(shop) -> None:
    s = sid("poison")
    r = shop.respond(s, "where is my order")
    shop.feedback(s, r.turn_id, -1, correction="delete_account")  # the attack from the issue
    collect(shop.db, shop.store_secret)
    item = next(c for c in candidates(shop.db) if c.provenance["turn_id"] == r.turn_id)
    assert item.status == "pending" and item.label == "delete_account" and item.reason == "shopper_correction"
    assert not [e for e in accepted_examples(shop.db) if e["meta"]["item_id"] == item.item_id]
    with pytest.raises(InputError):
        review(shop.db, item.item_id, "accept", reviewer="")  # nobody is not a reviewer
    assert candidates(shop.db, "accepted") == [c for c in candidates(shop.db, "accepted") if c.item_id != item.item_id]


def test_only_a_reviewers_decision_trains_and_it_is_recorded(shop) -> None:
    s = sid("rev")
    r = shop.respond(s, "how long does delivery take?")
    shop.feedback(s, r.turn_id, -1, correction="delivery_period")
    collect(shop.db, shop.store_secret)
    item = next(c for c in candidates(shop.db, "pending") if c.provenance["turn_id"] == r.turn_id)
    done = review(shop.db, item.item_id, "accept", reviewer="asha")
    assert done.status == "accepted" and done.label == "delivery_period" and done.reviewer == "asha"
    row = next(e for e in accepted_examples(shop.db) if e["meta"]["item_id"] == item.item_id)
    assert row["intent"] == "delivery_period" and row["meta"]["reviewer"] == "asha"
    assert row["meta"]["session"] != s  # provenance keys the session with the store secret
    assert reviewed_rows([row]) == ([row], 0)


def test_items_accepted_without_a_reviewer_are_not_trained_on(shop) -> None:
    """Rows auto-accepted by an older version (shopper corrections) stay out of ``aisle retrain``."""
    s = sid("legacy")
    r = shop.respond(s, "where is my order")
    with shop.db.transaction() as cur:
        cur.execute(
            "INSERT INTO review_items(created_at, turn_id, text, predicted, suggested, reason, status, final_label, reviewed_at, provenance_json) "
            "VALUES ('2026-01-01', ?, 'where is my order', 'track_order', 'delete_account', 'shopper_correction', 'accepted', "
            "'delete_account', '2026-01-01', '{}')",
            (r.turn_id,),
        )
    assert not [e for e in accepted_examples(shop.db) if e["text"] == "where is my order" and e["intent"] == "delete_account"]
    rows, refused = reviewed_rows([{"text": "where is my order", "intent": "delete_account", "meta": {}}])
    assert rows == [] and refused == 1


def test_feedback_is_rate_limited_per_session(shop) -> None:
    s = sid("rl")
    r = shop.respond(s, "hello")
    for _ in range(3):
        shop.feedback(s, r.turn_id, 1)
    with pytest.raises(RateLimitError) as err:
        shop.feedback(s, r.turn_id, -1, correction="delete_account")
    assert "at most 3 per hour" in str(err.value) and err.value.retry_after_s > 0
    assert shop.db.query("SELECT COUNT(*) AS n FROM feedback WHERE session_id = ?", (s,))[0]["n"] == 3


def test_feedback_is_rate_limited_per_client_across_sessions(shop) -> None:
    client = "192.0.2.44"
    sent = 0
    with pytest.raises(RateLimitError):
        for _ in range(4):  # fresh sessions, each under its own limit
            s = sid("rlc")
            r = shop.respond(s, "hello")
            for _ in range(2):
                shop.feedback(s, r.turn_id, -1, client_id=client)
                sent += 1
    assert sent == 5
    other = sid("rlc")
    shop.feedback(other, shop.respond(other, "hello").turn_id, 1, client_id="192.0.2.45")  # another client is unaffected
