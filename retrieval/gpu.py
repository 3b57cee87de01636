"""High-throughput encoding: length-bucketed, token-budget batches, tokenisation overlapped with compute.

sentence-transformers' ``encode`` tokenises each batch on the calling thread and pads to
the batch maximum, so on a GPU the device waits for the CPU. Here:

* texts are sorted by length and cut into batches that hold at most ``token_budget``
  padded tokens, so short product titles go in batches of thousands;
* a pool of worker threads tokenises batches ahead of the GPU (the Rust tokenizer releases
  the GIL), into pinned memory, copied with ``non_blocking=True``;
* the model runs under ``torch.inference_mode`` in the dtype it was loaded with (bf16/fp16
  on CUDA); pooling and normalisation are the model's own modules, so the vectors equal
  ``encode``'s up to floating-point rounding.

The function is device-agnostic: on CPU it is exercised by the test suite and must agree
with ``SentenceTransformer.encode``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np


def plan_batches(lengths: list[int], token_budget: int, max_batch: int = 8192) -> list[list[int]]:
    """Group text indices (sorted by length, longest first) into batches under a padded-token budget."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    current_max = 0
    for i in order:
        n = max(1, lengths[i])
        new_max = max(current_max, n)
        if current and (new_max * (len(current) + 1) > token_budget or len(current) >= max_batch):
            batches.append(current)
            current, new_max = [], n
        current.append(i)
        current_max = new_max
    if current:
        batches.append(current)
    return batches


def _approx_lengths(texts: list[str], max_tokens: int) -> list[int]:
    # Word-piece count is ~1.3x whitespace words for English product text; only the order
    # and rough size matter for planning, exact padding is done by the tokenizer.
    return [min(max_tokens, 2 + int(len(t.split()) * 1.3) + 1) for t in texts]


def encode_bucketed(model: Any, texts: list[str], token_budget: int, progress: bool = False, workers: int = 4) -> np.ndarray:
    """Encode ``texts`` with a sentence-transformers ``model``; returns unit vectors in input order."""
    import torch

    device = next(model.parameters()).device
    max_len = int(model.max_seq_length or 256)
    tokenizer = model.tokenizer
    batches = plan_batches(_approx_lengths(texts, max_len), token_budget)
    pin = device.type == "cuda"

    def tokenize(idx: list[int]) -> dict[str, Any]:
        feats = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        return {k: (v.pin_memory() if pin else v) for k, v in feats.items()}

    dim = (
        model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else model.get_sentence_embedding_dimension()
    )
    out = np.empty((len(texts), dim), dtype=np.float32)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(texts), desc="embedding", unit="text")
    with ThreadPoolExecutor(max_workers=workers) as pool, torch.inference_mode():
        for idx, feats in _prefetch(pool, tokenize, batches, depth=workers * 2):
            feats = {k: v.to(device, non_blocking=True) for k, v in feats.items()}
            emb = model(feats)["sentence_embedding"]
            emb = torch.nn.functional.normalize(emb.float(), p=2, dim=1)
            out[idx] = emb.cpu().numpy()
            if bar is not None:
                bar.update(len(idx))
    if bar is not None:
        bar.close()
    return out


def _prefetch(pool: ThreadPoolExecutor, fn: Any, batches: list[list[int]], depth: int) -> Iterator[tuple[list[int], Any]]:
    """Yield ``(batch, fn(batch))`` in order while up to ``depth`` later batches are prepared."""
    pending: list[tuple[list[int], Future[Any]]] = []
    it = iter(batches)
    for b in it:
        pending.append((b, pool.submit(fn, b)))
        if len(pending) >= depth:
            break
    while pending:
        b, fut = pending.pop(0)
        nxt = next(it, None)
        if nxt is not None:
            pending.append((nxt, pool.submit(fn, nxt)))
        yield b, fut.result()
