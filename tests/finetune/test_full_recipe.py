"""The documented router recipe end to end: the packaged intent data, all epochs, real MiniLM.

``slow`` (about 5 minutes on 2 CPU cores): run with ``pytest -m slow``. The default suite covers
the same training, gating and promotion code on a tiny data set (``test_training.py``,
``test_feedback_loop.py``); this test checks the *figures* README promises hold for the full recipe.
"""

from __future__ import annotations

import pytest

from aisle.settings import PACKAGE_DATA

pytestmark = pytest.mark.slow


def test_full_recipe_meets_the_documented_targets(settings) -> None:
    from finetune.pipeline import train_router

    data = PACKAGE_DATA / "intents"
    summary = train_router(settings, data / "train.jsonl", data / "dev.jsonl", progress=False)
    m = summary["metrics"]
    assert summary["promoted"], summary.get("gate")
    assert m["macro_f1"] >= 0.95, m  # README "Intent router": target macro-F1 ≥ 0.95
    assert m["oos_recall"] >= 0.90, m  # …and OOS recall ≥ 0.90
    assert m["ece"] <= 0.05, m  # calibrated
