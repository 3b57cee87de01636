"""``aisle eval intents`` reports: scoring rules, label maps, written files, and the agent-level mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisle.errors import DataError
from finetune.evaluation import OTHER_FAQ, EvalItem, Outcome, load_items, score, stratified_sample, write_reports
from finetune.label_maps import load_label_map

OOS = "out_of_scope"


def _rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_refusals_other_faq_and_the_headline_figures() -> None:
    items = [
        EvalItem("where is my parcel", "track_order", source="wild", style=["short"]),
        EvalItem("do you take amex", "check_payment_methods", source="wild", style=["short", "slang"]),
        EvalItem("can you gift wrap it", OTHER_FAQ, source="wild"),
        EvalItem("do you sell gift cards", OTHER_FAQ, source="wild"),
        EvalItem("score of last night's game", OOS, source="wild"),
        EvalItem("who won the election", OOS, source="clinc"),
    ]
    outcomes = [
        Outcome("track_order", 0.9, refused=False),
        Outcome(OOS, 0.97, refused=True),  # a real question turned away
        Outcome("check_refund_policy", 0.5, refused=False, cited=True),  # answered from the help centre: right
        Outcome(OOS, 0.4, refused=False, products=3),  # products, no citation: not a refusal, but not an answer either
        Outcome("product_search", 0.6, refused=False, products=5),  # grounding turned a non-shopping message into a search
        Outcome(OOS, 0.8, refused=True),
    ]
    r = score(items, outcomes, OOS, mode="router")
    assert r["n"] == 6 and r["n_in_scope"] == 4 and r["n_oos"] == 2
    assert r["accuracy"] == pytest.approx(3 / 6, abs=1e-4)
    assert r["in_scope_accuracy"] == pytest.approx(2 / 4, abs=1e-4)
    assert r["in_scope_refused_rate"] == pytest.approx(1 / 4, abs=1e-4)
    assert r["oos_recall"] == pytest.approx(1 / 2, abs=1e-4)
    assert r["per_source"]["clinc"]["accuracy"] == 1.0 and r["per_source"]["wild"]["n"] == 5
    assert r["per_style"]["short"]["n"] == 2 and r["per_style"]["short"]["in_scope_refused_rate"] == 0.5
    assert r["per_intent"][OTHER_FAQ]["recall"] == 0.5
    missed = {m["text"]: m for m in r["misrouted"]}
    assert set(missed) == {"do you take amex", "do you sell gift cards", "score of last night's game"}
    assert missed["do you take amex"]["refused"] and missed["do you take amex"]["predicted"] == OOS
    # the classifier cannot cite: there other_faq only needs not to be out of scope (an upper bound)
    clf = score(
        items,
        [Outcome(OOS if o.intent == OOS else o.intent, o.confidence, o.intent == OOS) for o in outcomes],
        OOS,
        mode="classifier",
    )
    assert clf["per_intent"][OTHER_FAQ]["recall"] == 0.5


def test_label_maps_skip_null_labels_and_treat_unknown_ones_as_chosen(tmp_path: Path) -> None:
    data = _rows(
        tmp_path / "ext.jsonl",
        [
            {"text": "my card payment was declined", "intent": "declined_card_payment"},
            {"text": "what's the exchange rate", "intent": "exchange_rate"},
            {"text": "where is my new card", "intent": "card_arrival"},  # null: skipped
            {"text": "something brand new", "intent": "a_label_the_map_lacks"},
        ],
    )
    lmap = load_label_map("banking77")  # a packaged map by name
    items, info = load_items(data, lmap, "oos", OOS)
    assert [it.gold for it in items] == ["payment_issue", OOS, OOS]
    assert info.skipped_null == 1 and info.unknown_as_oos == 1 and info.unknown_labels == ["a_label_the_map_lacks"]
    assert items[0].source == "banking77:in-scope" and items[1].source == "banking77:as-oos"
    items, info = load_items(data, lmap, "skip", OOS)
    assert len(items) == 2 and info.skipped_unknown == 1


def test_bad_inputs_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "intent": "greeting"}\n{"text": "", "intent": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2"):
        load_items(bad)
    broken_map = tmp_path / "map.json"
    broken_map.write_text('{"labels": {"a": 3}}', encoding="utf-8")
    with pytest.raises(DataError, match="store label or null"):
        load_label_map(broken_map)
    with pytest.raises(DataError, match="packaged maps: banking77, clinc150"):
        load_label_map(tmp_path / "nope.json")


def test_reports_are_written(tmp_path: Path) -> None:
    items = [
        EvalItem(f"t{i}", lbl, source=src)
        for i, (lbl, src) in enumerate([("greeting", "a"), ("track_order", "a"), (OOS, "b"), ("track_order", "b")])
    ]
    outcomes = [
        Outcome("greeting", 0.9, False),
        Outcome("cancel_order", 0.7, False),
        Outcome(OOS, 0.8, True),
        Outcome("track_order", 0.95, False),
    ]
    files = write_reports(score(items, outcomes, OOS), items, tmp_path / "out", "test set")
    names = {p.name for p in files}
    assert names == {"report.json", "misrouted.jsonl", "confusion.png", "summary.md"}
    assert (tmp_path / "out" / "confusion.png").stat().st_size > 1000
    mis = [json.loads(line) for line in (tmp_path / "out" / "misrouted.jsonl").read_text().splitlines()]
    assert [m["text"] for m in mis] == ["t1"] and mis[0]["predicted"] == "cancel_order"
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["per_source"]["a"]["accuracy"] == 0.5 and "| a |" in (tmp_path / "out" / "summary.md").read_text()


def test_stratified_sample_spreads_over_sources_and_is_seeded() -> None:
    from finetune.schema import Example

    rows = (
        [Example(f"b{i}", "track_order", "bitext") for i in range(700)]
        + [Example(f"c{i}", OOS, "clinc:weather") for i in range(100)]
        + [Example(f"w{i}", "product_search", "wands") for i in range(50)]
    )
    a = stratified_sample(rows, 200, seed=1)
    assert len(a) == 200 and a == stratified_sample(rows, 200, seed=1) and a != stratified_sample(rows, 200, seed=2)
    share = {src: sum(1 for ex in a if ex.source.split(":")[0] == src) / 200 for src in ("bitext", "clinc", "wands")}
    assert share["bitext"] < 0.7 and share["clinc"] >= 0.2 and share["wands"] >= 0.2


def test_agent_level_evaluation_runs_the_whole_decision_path(
    store_settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from aisle.cli import main

    def turns() -> int:
        with sqlite3.connect(store_settings.db_path) as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'turns'").fetchone():
                return 0
            return int(db.execute("SELECT COUNT(*) FROM turns").fetchone()[0])

    monkeypatch.setenv("AISLE_HOME", str(store_settings.home))
    before = turns()
    data = _rows(
        tmp_path / "mini.jsonl",
        [
            {"id": "m1", "text": "hi", "intent": "greeting", "style": "short"},
            {"id": "m2", "text": "how long does delivery take?", "intent": "delivery_period"},
            {"id": "m3", "text": "what's the capital of peru", "intent": "capital_city"},  # unknown to the map → OOS
            {"id": "m4", "text": "red shoes for women under 1500", "intent": "product_search"},
        ],
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps(
            {
                "name": "mini",
                "labels": {"greeting": "greeting", "delivery_period": "delivery_period", "product_search": "product_search"},
            }
        )
    )
    out = tmp_path / "report"
    assert (
        main(["eval", "intents", "--data", str(data), "--router", "--label-map", str(mapping), "--json", "--out", str(out)]) == 0
    )
    r = json.loads(capsys.readouterr().out)
    assert r["scope"] == "router" and r["n"] == 4 and r["loaded"]["unknown_as_oos"] == 1
    assert r["accuracy"] >= 0.75  # greeting, delivery question and a product search are what this store does
    assert {"in_scope_refused_rate", "ece", "per_source", "per_intent", "per_style"} <= set(r)
    assert {p.split("/")[-1] for p in r["files"]} == {"report.json", "misrouted.jsonl", "confusion.png", "summary.md"}
    # the live store's conversation log is untouched: the evaluation talks to a copy of the database
    assert turns() == before


def test_handoff_report_counts_requests_false_handoffs_and_the_agent_path(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from finetune.evaluation import handoff_report, read_handoff_set

    path = _rows(
        tmp_path / "h.jsonl",
        [
            {"text": "get me a real person", "human_request": True},
            {"text": "hmuan agent plz", "human_request": True},
            {"text": "what is your customer care number", "human_request": False},
            {"text": "the delivery agent was rude", "human_request": False},
        ],
    )
    rows = read_handoff_set(path)
    detector = handoff_report(rows)["paths"]["detector"]
    assert detector == {
        "requests": 2, "handed_off": 2, "recall": 1.0, "non_requests": 2, "false_handoffs": 0, "false_handoff_rate": 0.0,
        "other_handoffs": 0,
    }  # fmt: skip
    replies = [
        SimpleNamespace(handoff=True, intent="contact_human_agent", handoff_reason="requested"),
        SimpleNamespace(handoff=False, intent="contact_human_agent", handoff_reason=None),  # only asked: missed
        SimpleNamespace(handoff=True, intent="contact_human_agent", handoff_reason="requested"),  # a false handoff
        SimpleNamespace(handoff=True, intent="complaint", handoff_reason="negative_sentiment"),  # policy, not a false one
    ]
    report = handoff_report(rows, replies)
    agent = report["paths"]["agent"]
    assert agent["recall"] == 0.5 and agent["false_handoff_rate"] == 0.5 and agent["other_handoffs"] == 1
    assert report["missed"] == ["hmuan agent plz"] and report["false_handoffs"] == ["what is your customer care number"]


def test_handoff_sets_reject_malformed_rows(tmp_path: Path) -> None:
    from finetune.evaluation import read_handoff_set

    with pytest.raises(DataError, match=r"h\.jsonl:2"):
        read_handoff_set(
            _rows(tmp_path / "h.jsonl", [{"text": "agent", "human_request": True}, {"text": "x", "human_request": "yes"}])
        )
    with pytest.raises(DataError, match="no rows"):
        read_handoff_set(_rows(tmp_path / "e.jsonl", []))


def test_the_detector_finds_the_packaged_dev_requests() -> None:
    """The rule detector was tuned on this dev set; a change that loses requests or adds false handoffs shows here."""
    from aisle.settings import PACKAGE_DATA
    from finetune.evaluation import handoff_report, read_handoff_set

    report = handoff_report(read_handoff_set(PACKAGE_DATA / "eval" / "devwild" / "handoff.jsonl"))["paths"]["detector"]
    assert report["recall"] >= 0.97 and report["false_handoff_rate"] <= 0.03, report


def test_agent_level_scores_on_an_unprepared_store_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No catalog, no router: every reply is the fallback's, so the agent-path figures would mean nothing."""
    from aisle.cli import main

    monkeypatch.setenv("AISLE_HOME", str(tmp_path / "empty"))
    data = _rows(
        tmp_path / "h.jsonl", [{"text": "get me a person", "human_request": True}, {"text": "hi", "human_request": False}]
    )
    assert main(["eval", "handoff", "--data", str(data)]) != 0
    assert "aisle setup" in capsys.readouterr().err
    assert main(["eval", "handoff", "--data", str(data), "--no-agent", "--json"]) == 0  # the detector needs no store
