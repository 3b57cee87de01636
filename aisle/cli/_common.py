"""Small helpers shared by the CLI modules: JSON output and the retrieval stack."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from aisle.formatting import money

__all__ = ["money", "print_json", "stack"]

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.factory import RetrievalStack


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def stack(settings: Settings) -> RetrievalStack:
    from retrieval.factory import build_stack

    settings.ensure_dirs()
    return build_stack(settings)
