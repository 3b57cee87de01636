"""Reading the project's input files with errors that point at ``file:line``.

One loader per format: JSONL and CSV, plain or gzip-compressed, always UTF-8.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from aisle.errors import DataError

csv.field_size_limit(10 * 1024 * 1024)


def open_text(path: str | Path) -> TextIO:
    """Open a UTF-8 text file, transparently decompressing ``.gz``.

    Raises ``DataError`` naming the path when it does not exist or is a directory.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p} (check the path; relative paths start at {Path.cwd()})")
    if p.is_dir():
        raise DataError(f"expected a file but {p} is a directory")
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(p, encoding="utf-8", errors="replace", newline="")


def scan_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield ``(line_number, object, None)`` or ``(line_number, None, reason)`` per non-blank line.

    For inputs where one bad row must not sink the file (catalogs, FAQ): the caller
    records the reason against ``file:line`` and carries on.
    """
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                hint = (
                    " (this looks like CSV; use a .csv file or convert it to JSON lines)"
                    if lineno == 1 and "," in line and not line.lstrip().startswith(("{", "["))
                    else ""
                )
                yield lineno, None, f"not valid JSON: {exc.msg} at column {exc.colno}{hint}"
                continue
            if not isinstance(obj, dict):
                yield lineno, None, f"expected a JSON object per line, got {type(obj).__name__}"
                continue
            yield lineno, obj, None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSONL file.

    A line that is not a JSON object raises ``DataError`` with ``file:line`` and the
    parser's reason, so a user can fix the exact row (for training data, where a silently
    skipped row would change what the model learns).
    """
    for lineno, obj, error in scan_jsonl(path):
        if error is not None or obj is None:
            raise DataError(error or "unreadable line", f"{path}:{lineno}")
        yield lineno, obj


def read_csv(path: str | Path, required: set[str] | None = None, delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each CSV row; check the header has ``required`` columns."""
    name = str(path)
    with open_text(path) as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = set(reader.fieldnames or [])
        if not header:
            raise DataError("empty file: no CSV header", f"{name}:1")
        missing = (required or set()) - header
        if missing:
            raise DataError(f"missing required column(s) {sorted(missing)}; found {sorted(header)}", f"{name}:1")
        for row in reader:
            # DictReader puts surplus fields under the key None; a short row yields None values.
            yield reader.line_num, row


def write_jsonl(path: str | Path, rows: list[dict[str, Any]] | Iterator[dict[str, Any]]) -> int:
    """Write rows as JSON lines (UTF-8, no ASCII escaping); return how many were written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(p, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
