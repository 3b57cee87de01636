"""Recognise a catalog file's format and yield its raw rows with their ``file:line``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisle.errors import DataError
from aisle.fileio import open_text, read_csv, scan_jsonl
from retrieval.catalog.cleaning import CleanResult, flipkart_row, native_row

FLIPKART_COLUMNS = {"product_name", "product_category_tree", "pid", "retail_price", "discounted_price"}
NATIVE_REQUIRED = {"id", "title"}


@dataclass(frozen=True)
class CatalogSource:
    """A catalog file and how to read it."""

    path: Path
    format: str  # "flipkart-csv" | "aisle-csv" | "aisle-jsonl"

    def rows_tolerant(self) -> Iterator[tuple[str, dict[str, Any] | str]]:
        """Yield ``(location, raw_row)``, or ``(location, reason)`` for a line that is not a row at all."""
        name = str(self.path)
        if self.format == "aisle-jsonl":
            for lineno, obj, error in scan_jsonl(self.path):
                yield f"{name}:{lineno}", (obj if obj is not None else (error or "unreadable line"))
            return
        required = FLIPKART_COLUMNS if self.format == "flipkart-csv" else NATIVE_REQUIRED
        for lineno, row in read_csv(self.path, required=required):
            if None in row:
                yield f"{name}:{lineno}", "row has more fields than the header (an unquoted comma?)"
            elif any(v is None for v in row.values()):
                yield f"{name}:{lineno}", "row has fewer fields than the header (a truncated line?)"
            else:
                yield f"{name}:{lineno}", row

    @property
    def cleaner(self) -> Callable[[dict[str, Any]], CleanResult]:
        return flipkart_row if self.format == "flipkart-csv" else native_row


def detect(path: str | Path) -> CatalogSource:
    """Pick the reader from the file's suffix and header, or explain what was expected."""
    p = Path(path)
    name = p.name.lower().removesuffix(".gz")
    with open_text(p) as fh:
        first = fh.readline()
    if not first.strip():
        raise DataError("the file is empty", f"{p}:1")
    if name.endswith((".jsonl", ".json", ".ndjson")) or first.lstrip().startswith("{"):
        return CatalogSource(p, "aisle-jsonl")
    if name.endswith((".csv", ".tsv")):
        header = {h.strip().strip('"') for h in first.strip().split(",")}
        if FLIPKART_COLUMNS <= header:
            return CatalogSource(p, "flipkart-csv")
        if NATIVE_REQUIRED <= header:
            return CatalogSource(p, "aisle-csv")
        raise DataError(
            "unrecognised CSV columns: expected the Flipkart crawl columns "
            f"{sorted(FLIPKART_COLUMNS)} or aisle's schema (at least {sorted(NATIVE_REQUIRED)}; see README "
            f"'Catalog schema'); found {sorted(header)[:12]}",
            f"{p}:1",
        )
    raise DataError(f"unsupported file type {p.suffix!r}: give a .csv or .jsonl catalog (optionally .gz)")
