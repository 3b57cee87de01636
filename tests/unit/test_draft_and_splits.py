"""A draft becomes the public reply without copying fields; dataset splits keep template families together."""

from __future__ import annotations

from dataclasses import fields

from agent.handlers.base import Draft
from agent.types import Citation, Reply
from finetune.schema import Example
from finetune.splits import family_split, max_same_label_jaccard


def test_every_reply_field_of_a_draft_reaches_the_reply() -> None:
    d = Draft(
        "hi",
        "greeting",
        0.9,
        citations=[Citation("c1", "t")],
        action="x",
        suggestions=["a"],
        handoff_reason="requested",
        understood=False,
    )
    r = d.to_reply(turn_id=7, latency_ms=1.5)
    assert type(r) is Reply and r.handoff and r.turn_id == 7 and r.latency_ms == 1.5
    assert {f.name for f in fields(Reply)} == set(r.to_dict())  # "understood" stays internal
    assert r.citations[0].id == "c1" and r.suggestions == ["a"] and r.action == "x"


def test_family_split_never_puts_two_variants_of_a_template_in_different_splits() -> None:
    items = ["jacket", "kurta", "watch", "saree", "shoes", "bag", "wallet", "belt", "scarf", "cap", "sandals", "jeans"]
    templates = [
        "where is my {} order",
        "track the {} I bought",
        "has my {} shipped yet",
        "status of the {} delivery",
        "when does the {} arrive",
        "is my {} on its way",
    ]
    rows = [Example(t.format(x), "track_order", "gen", group=f"t{k}") for k, t in enumerate(templates) for x in items]
    other = [Example(f"cancel the {x} order {k}", "cancel_order", "gen", group=f"c{k}") for k, x in enumerate(items * 3)]
    split = family_split(rows + other, seed=3, min_train=5)
    where = {}
    for name, exs in split.splits.items():
        for ex in exs:
            if ex.intent == "track_order":
                where.setdefault(ex.group, set()).add(name)
    assert all(len(s) == 1 for s in where.values())  # a template's variants share one split
    assert {n for s in where.values() for n in s} >= {"train"}
    held = split.splits["dev"] + split.splits["test"]
    if held:
        assert float(max_same_label_jaccard(held, split.splits["train"]).max()) < 0.99
