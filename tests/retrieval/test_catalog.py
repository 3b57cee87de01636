"""Catalog cleaning and the data-quality report, on the real Flipkart CSV and on broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisle.errors import DataError
from aisle.settings import PACKAGED_SOURCES
from retrieval.catalog.readers import detect
from retrieval.ingest import read_catalog

FLIPKART = PACKAGED_SOURCES / "flipkart" / "products.csv.gz"


def test_flipkart_csv_is_cleaned_and_counted() -> None:
    clean = read_catalog(FLIPKART)
    r = clean.report
    assert r.rows_read == 1002
    assert r.kept + r.rejected + r.exact_duplicates_dropped == r.rows_read
    assert r.kept > 990
    # the crawl's known defects are repaired and counted
    assert r.fixes_by_kind["rating_missing"] > 900  # "No rating available" / 0.0
    assert r.fixes_by_kind["category_ampersand_restored"] > 500  # "kitchen  dining"
    assert r.fixes_by_kind["price_missing"] >= 1  # 0.0 prices are missing, not free
    by_id = {p.id: p for p in clean.products}
    sandals = by_id["SHOEH4GRSUBJGZXE"]  # "aw bellies", the first row
    assert sandals.price == 499.0 and sandals.retail_price == 999.0
    assert sandals.category_path == ["footwear", "womens footwear", "ballerinas"]
    assert sandals.attributes["color"] == "Red" and "red" in sandals.colors
    assert "women" in sandals.genders
    assert sandals.rating is None
    assert all(p.price is None or p.price > 0 for p in clean.products)
    assert not any("  " in c for p in clean.products for c in p.category_path)


def test_near_duplicates_are_flagged_not_dropped() -> None:
    r = read_catalog(FLIPKART).report
    assert r.near_duplicates_flagged >= 1
    ids = {d["id"] for d in r.near_duplicates}
    assert ids  # examples are kept for the owner to review


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_broken_jsonl_rows_are_rejected_with_file_and_line(tmp_path: Path) -> None:
    good = {
        "id": "A1",
        "title": "Red cotton shirt",
        "price": 499,
        "category": "clothing > shirts",
        "attributes": {"color": "red"},
    }
    f = _write(
        tmp_path / "cat.jsonl",
        [
            json.dumps(good),
            "{not json",
            json.dumps({"id": "A2", "price": 10}),
            json.dumps({"id": "A3", "title": "Mug", "price": "abc"}),
            json.dumps({"id": "A4", "title": "Bottle", "price": -5}),
            json.dumps(good),  # exact duplicate of line 1
            json.dumps({"id": "A5", "title": "Free thing", "price": 0}),
        ],
    )
    clean = read_catalog(f)
    r = clean.report
    assert r.rows_read == 7
    assert {p.id for p in clean.products} == {"A1", "A5"}
    assert r.exact_duplicates_dropped == 1
    assert r.rejected == 4
    locations = [x["location"] for x in r.rejections]
    assert locations == [f"{f}:2", f"{f}:3", f"{f}:4", f"{f}:5"]
    reasons = " | ".join(x["reason"] for x in r.rejections)
    assert "not valid JSON" in reasons and "missing 'title'" in reasons and "not a number" in reasons and "negative" in reasons
    free = next(p for p in clean.products if p.id == "A5")
    assert free.price is None  # a 0 price is missing, never "free"
    assert "Rejected" not in r.to_text() and "rejected by reason" in r.to_text()


def test_wrong_columns_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unrecognised CSV columns"):
        detect(_write(tmp_path / "x.csv", ["name,cost", "a,1"]))
    with pytest.raises(DataError, match="file not found"):
        detect(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="empty"):
        detect(_write(tmp_path / "e.jsonl", [""]))
    with pytest.raises(DataError, match="no usable rows"):
        read_catalog(_write(tmp_path / "bad.jsonl", ["[1,2]", '{"id": ""}']))


def test_short_and_long_csv_rows_are_rejected(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.csv", ["id,title,price", "B1,Blue mug,199", "B2,Short row", "B3,Long,1,extra"])
    clean = read_catalog(f)
    assert [p.id for p in clean.products] == ["B1"]
    assert clean.report.rejected == 2
