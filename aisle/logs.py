"""Logging setup for the command line and the server; libraries only create module loggers."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def configure(level: str = "INFO", log_file: Path | None = None) -> None:
    """Send aisle's logs to stderr (and optionally a file); quieten chatty libraries."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    for noisy in ("httpx", "httpcore", "urllib3", "chromadb", "sentence_transformers", "transformers", "gradio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
