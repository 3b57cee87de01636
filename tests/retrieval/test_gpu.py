"""The GPU ingest path on a real GPU (``pytest -m gpu``; skipped without CUDA)."""

from __future__ import annotations

import numpy as np
import pytest

from aisle.settings import Device, EmbeddingSettings
from retrieval.embeddings import EmbedderCache
from retrieval.gpu import encode_bucketed

pytestmark = pytest.mark.gpu


def test_bucketed_fp16_encoder_on_cuda_matches_fp32_on_cpu() -> None:
    cpu = EmbedderCache().get(EmbeddingSettings(device=Device.CPU))
    gpu = EmbedderCache().get(EmbeddingSettings(device=Device.CUDA, precision="fp16"))
    gpu.warm_up()
    texts = ["red cotton shirt for men, regular fit", "steel bottle " * 40, "女士红色连衣裙", "a"] * 50
    ours = encode_bucketed(gpu._model, texts, token_budget=4096)
    ref = cpu.embed_documents(texts)
    assert ours.shape == ref.shape
    assert float(np.min(np.sum(ours * ref, axis=1))) > 0.999  # fp16 on the GPU: cosine, not bit-equality
