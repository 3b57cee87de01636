"""The unit tier: no model, no Chroma, no training; the whole folder runs in seconds (``make test-unit``).

Every test here is marked ``unit`` automatically. Model-free tests elsewhere carry the marker
themselves (``pytestmark = pytest.mark.unit``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.unit)
