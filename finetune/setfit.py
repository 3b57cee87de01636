"""SetFit-style routers: contrastive fine-tuning of the sentence encoder, then an embedding head.

Following SetFit (Tunstall et al., 2022), the encoder is first tuned so that utterances of the
same intent embed close together and others far apart, then a small head is fitted on the
tuned embeddings (``finetune.embedding_router``). Unlike SetFit's sampled positive/negative
pairs with a cosine loss, this uses sentence-transformers' ``MultipleNegativesRankingLoss``
on (anchor, positive) pairs from the same intent, with batches in which every intent occurs
at most once, so the other pairs of a batch are true negatives; that gives 31 negatives per
anchor per step and keeps one epoch over a capped subset within a couple of minutes on 2
CPU cores.

Out-of-scope examples are diverse by nature (travel, cooking, banking…): their positives are
drawn from the same source intent where the data says so, so the loss does not pull
"book a flight" towards "a recipe for lasagne".
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError
from aisle.models import pick_device, resolve_model_path
from finetune.train import MANIFEST

if TYPE_CHECKING:
    from aisle.settings import IntentSettings
    from finetune.schema import Example
    from finetune.train import TrainResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetFitConfig:
    """The contrastive stage. One epoch over at most ``per_label`` anchors of each intent."""

    per_label: int = 96
    batch_size: int = 32
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    scale: float = 20.0
    max_seq_length: int = 64
    heads: tuple[str, ...] = ("knn", "logreg")

    def __post_init__(self) -> None:
        if self.per_label < 2 or self.batch_size < 2:
            raise DataError("SetFit needs at least 2 examples per label and a batch of at least 2 pairs")


def contrastive_batches(train: list[Example], cfg: SetFitConfig, oos_label: str, seed: int) -> list[list[tuple[str, str]]]:
    """(anchor, positive) pairs, ``batch_size`` per batch, no intent twice in a batch (pure; seeded)."""
    rng = random.Random(seed)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for ex in train:
        by_label[ex.intent].append(ex)
    by_source: dict[str, list[str]] = defaultdict(list)
    for ex in by_label.get(oos_label, []):
        by_source[ex.source].append(ex.text)
    queues: dict[str, list[Example]] = {}
    for label, items in by_label.items():
        if len(items) < 2:
            continue
        items = list(items)
        rng.shuffle(items)
        queues[label] = items[: cfg.per_label]

    def positive(ex: Example) -> str:
        pool = by_source.get(ex.source, []) if ex.intent == oos_label else []
        if len(pool) < 2:
            pool = [e.text for e in by_label[ex.intent]]
        choice = ex.text
        for _ in range(8):
            choice = rng.choice(pool)
            if choice != ex.text:
                break
        return choice

    batches: list[list[tuple[str, str]]] = []
    while True:
        open_labels = sorted((lbl for lbl, q in queues.items() if q), key=lambda lbl: (-len(queues[lbl]), lbl))
        if len(open_labels) < 2:
            break
        chosen = open_labels[: cfg.batch_size]
        rng.shuffle(chosen)
        batches.append([(ex.text, positive(ex)) for ex in (queues[lbl].pop() for lbl in chosen)])
    rng.shuffle(batches)
    return batches


def contrastive_finetune(
    train: list[Example], out_dir: Path, icfg: IntentSettings, cfg: SetFitConfig, progress: bool = True
) -> dict[str, Any]:
    """Tune the base encoder for one epoch and save it to ``out_dir``; returns timing figures."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import get_linear_schedule_with_warmup

    from aisle import offline
    from finetune.train import set_seed

    offline.apply()
    t0 = time.perf_counter()
    set_seed(icfg.seed)
    device = pick_device(icfg.device)
    batches = contrastive_batches(train, cfg, icfg.oos_label, icfg.seed)
    if not batches:
        raise DataError("SetFit needs at least two intents with two examples each")
    model = SentenceTransformer(str(resolve_model_path(icfg.base_model)), device=device, local_files_only=True)
    model.max_seq_length = cfg.max_seq_length
    loss_fn = MultipleNegativesRankingLoss(model, scale=cfg.scale)
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    sched = get_linear_schedule_with_warmup(optim, int(cfg.warmup_ratio * len(batches)), len(batches))
    model.train()
    bar: Any = batches
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(batches, desc="contrastive epoch", unit="batch", leave=False)
    losses: list[float] = []
    for pairs in bar:
        features = [
            {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in model.preprocess(list(side)).items()}
            for side in zip(*pairs)
        ]
        loss = loss_fn(features, torch.empty(0))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        losses.append(float(loss.item()))
        if progress:
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    return {
        "contrastive_seconds": round(time.perf_counter() - t0, 1),
        "contrastive_steps": len(batches),
        "contrastive_pairs": sum(len(b) for b in batches),
        "contrastive_final_loss": round(float(np.mean(losses[-20:])), 4),
    }


def train_setfit_router(
    train: list[Example],
    dev: list[Example],
    icfg: IntentSettings,
    out_dir: Path,
    cfg: SetFitConfig | None = None,
    weights: np.ndarray | None = None,
    data_info: dict[str, Any] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Contrastive stage into ``out_dir/encoder``, then the embedding heads on the tuned encoder."""
    from finetune.embedding_router import train_embedding_router

    cfg = cfg or SetFitConfig()
    t0 = time.perf_counter()
    stage = contrastive_finetune(train, out_dir / "encoder", icfg, cfg, progress)
    result = train_embedding_router(
        train,
        dev,
        icfg,
        out_dir,
        heads=cfg.heads,
        encoder="encoder",
        weights=weights,
        data_info=data_info,
        progress=progress,
        approach="setfit",
        extra_training=stage,
    )
    result.manifest["training"]["seconds"] = round(time.perf_counter() - t0, 1)  # both stages
    (out_dir / MANIFEST).write_text(json.dumps(result.manifest, indent=2), encoding="utf-8")
    return result
