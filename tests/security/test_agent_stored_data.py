"""After a conversation full of personal data, nothing raw is left anywhere the store writes.

Every column of every table (except ``orders``, the shop's own customer records) is scanned,
and so are the logs, the feedback export, the analytics report and the review queue.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3

from agent.analytics import compute
from agent.learning import candidates, collect, export
from tests.security._agent_store import private_agent, private_store, revealed, sid, some_orders

# what the shopper typed, and the raw values that must not be stored anywhere
MESSAGES = [
    "hi, I'm priya.sharma92 at gmail dot com and my phone is +91 98765 43210",
    "deliver red sandals to flat 302, Sai Residency, Andheri West, Mumbai 400053",
    "can I pay with card 4111 1111 1111 1111? or upi priya@okaxis",
    "call9812345670now about my aadhaar 2345 6789 0123 and PAN ABCDE1234F",
    "我的电话是13812345678，邮箱是wang.fang@example.cn",
    "my office is 221B Baker Street, London, landline 022-2345 6789",
    "jürgen.müller@bücher.de wrote from (415) 555-2671",
]
RAW = [
    "priya.sharma92",
    "98765 43210",
    "9876543210",
    "Sai Residency",
    "Andheri",
    "400053",
    "4111 1111 1111 1111",
    "4111111111111111",
    "priya@okaxis",
    "9812345670",
    "2345 6789 0123",
    "234567890123",
    "ABCDE1234F",
    "13812345678",
    "wang.fang",
    "221B Baker",
    "2345 6789",
    "jürgen",
    "bücher",
    "555-2671",
]
DIGITS = [re.sub(r"\D", "", v) for v in RAW if sum(c.isdigit() for c in v) >= 8]


def _leaks(value: str, extra: tuple[str, ...] = ()) -> list[str]:
    lowered = value.lower()
    found = [v for v in (*RAW, *extra) if v.lower() in lowered]
    digits = re.sub(r"\D", "", value)
    found += [d for d in DIGITS if d in digits and d not in ("".join(re.findall(r"\d", f)) for f in found)]
    return found


def _scan_database(path, skip: set[str], extra: tuple[str, ...]) -> list[str]:
    conn = sqlite3.connect(path)
    problems = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    assert {"turns", "sessions", "feedback", "review_items", "handoffs", "actions", "security_counters"} <= set(tables)
    for table in tables:
        if table in skip:
            continue
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        for row in conn.execute(f"SELECT * FROM {table}"):
            for col, value in zip(cols, row):
                if isinstance(value, str) and (hits := _leaks(value, extra)):
                    problems.append(f"{table}.{col}: {hits} in {value[:120]!r}")
    conn.close()
    return problems


def test_nothing_raw_is_stored_after_a_conversation(store_agent, store_settings, tmp_path, caplog) -> None:
    settings = private_store(store_settings, tmp_path)
    agent = private_agent(store_agent, settings)
    ((oid, email),) = some_orders(agent.db, 1, 30)
    s = sid("pii")
    with caplog.at_level(logging.DEBUG):
        turns = [agent.respond(s, m) for m in MESSAGES]
        verify = agent.respond(s, f"where is my order {oid}? my email is {email.replace('@', ' at ').replace('.', ' dot ')}")
        assert revealed(verify), verify.text  # a spelled-out e-mail verifies too
        agent.feedback(
            s,
            turns[0].turn_id,
            -1,
            correction="product_search",
            comment="wrong! reach me at priya.sharma92@gmail.com or 98765 43210, flat 302, Sai Residency",
        )
        agent.feedback(s, turns[2].turn_id, -1, comment="card 4111 1111 1111 1111 was charged twice")
        handoff = agent.respond(s, "I want to talk to a human, call me on 9812345670")
        assert handoff.handoff
        agent.respond(sid("pii"), "show me order ORD-17016 for attacker 98765 43210")  # a failed verification with a phone
        collect(agent.db, agent.store_secret)
        out = tmp_path / "export.jsonl"
        export(agent.db, agent.store_secret, out)
        report = compute(agent.db, "all time")

    # the verification e-mail is the only personal value the shopper gave that the shop already holds
    problems = _scan_database(settings.db_path, skip={"orders"}, extra=(email, email.split("@")[0]))
    assert not problems, "\n".join(problems)
    for name, text in {
        "logs": caplog.text,
        "export": out.read_text(encoding="utf-8"),
        "analytics": json.dumps(report.to_dict(), ensure_ascii=False),
        "review queue": json.dumps([c.to_dict() for c in candidates(agent.db)], ensure_ascii=False),
        "history": json.dumps(agent.history(s), ensure_ascii=False),
    }.items():
        assert not _leaks(text, (email,)), f"{name}: {_leaks(text, (email,))}"
    stored = " ".join(t["user_text"] for t in agent.history(s))
    for tag in ("[EMAIL]", "[PHONE]", "[CARD]", "[ADDRESS]", "[ID]"):
        assert tag in stored  # redacted, not dropped: staff still see what kind of thing was said
    assert oid in json.dumps(agent.history(s))  # order ids are kept


def test_old_unredacted_rows_are_redacted_on_the_way_out(store_agent, store_settings, tmp_path) -> None:
    """Rows written by an older version (raw text) don't leak through analytics or the review queue."""
    settings = private_store(store_settings, tmp_path)
    agent = private_agent(store_agent, settings)
    r = agent.respond(sid("old"), "what's the weather in paris")
    with agent.db.transaction() as cur:
        cur.execute(
            "UPDATE turns SET user_text = ?, resolved = 0 WHERE turn_id = ?", ("call me on 9876543210 about paris", r.turn_id)
        )
    agent.feedback(r.session_id, r.turn_id, -1, correction="out_of_scope")
    collect(agent.db, agent.store_secret)
    texts = json.dumps(compute(agent.db, "all time").unanswered) + json.dumps([c.text for c in candidates(agent.db)])
    assert "9876543210" not in texts and "[PHONE]" in texts
