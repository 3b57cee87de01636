"""The scripted conversations (aisle/data/conversations/dev.jsonl) against the full demo store."""

from __future__ import annotations

import json

import pytest

from agent.scripts import check, load_scripts, run_scripts
from agent.types import ProductCard, Reply
from aisle.errors import DataError
from aisle.settings import PACKAGE_DATA

SCRIPTS = PACKAGE_DATA / "conversations" / "dev.jsonl"


def test_all_scripted_conversations_pass(store_settings, store_agent) -> None:
    assert len(load_scripts(SCRIPTS)) >= 30
    result = run_scripts(store_settings, SCRIPTS, store_agent)
    assert result["failures"] == [], json.dumps(result["failures"], indent=1, ensure_ascii=False)
    assert result["pass_rate"] == 1.0


def test_expectations_are_checked() -> None:
    reply = Reply(
        text="Here you go",
        intent="product_search",
        confidence=0.9,
        products=[
            ProductCard("P1", "Red sandal", 600.0, "INR", "footwear > sandals", "lumo", {"color": "Red"}, None, None, "why")
        ],
    )
    assert check(reply, {"intent": "product_search", "products_nonempty": True}) == []
    problems = check(reply, {"all_products": {"max_price": 500, "brand": "rivo"}, "reply_not_contains": "here", "handoff": True})
    assert len(problems) == 4


def test_malformed_script_files(tmp_path) -> None:
    f = tmp_path / "s.jsonl"
    f.write_text('{"id": "x", "turns": [{"user": "hi", "expect": {"intnet": "greeting"}}]}\n')
    with pytest.raises(DataError, match="unknown expectation"):
        load_scripts(f)
    f.write_text('{"id": "x", "turns": []}\n')
    with pytest.raises(DataError, match="non-empty"):
        load_scripts(f)
