"""Offline guards.

aisle never downloads anything at run time: models come from local paths (the packaged
all-MiniLM-L6-v2 by default), Chroma's default ONNX embedder is never used, and Gradio and
Chroma telemetry are off. ``apply()`` must run before ``huggingface_hub`` is imported, so
every entry point (CLI, ``Agent.from_settings``, the test suite) calls it first.
"""

from __future__ import annotations

import os

GUARDS: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply() -> None:
    """Set the offline environment variables unless the user set them explicitly."""
    for key, value in GUARDS.items():
        os.environ.setdefault(key, value)
