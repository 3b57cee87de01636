"""The one embedding path: packaged model, bucketed encoder, missing model paths."""

from __future__ import annotations

import numpy as np
import pytest

from aisle.errors import ModelNotFoundError
from aisle.settings import EmbeddingSettings
from retrieval.embeddings import SentenceEmbedder, resolve_model_path
from retrieval.gpu import encode_bucketed, plan_batches


def test_packaged_model_embeds_unit_vectors(embedders) -> None:
    emb = embedders.get(EmbeddingSettings())
    vecs = emb.embed_documents(["red sandals", "blue jeans"])
    assert vecs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    q = emb.embed_query("red sandals")
    assert float(q @ vecs[0]) > float(q @ vecs[1])


def test_bucketed_encoder_matches_sentence_transformers_on_cpu(embedders) -> None:
    """The GPU pipeline's code path, run on the CPU, must give the same vectors as encode()."""
    emb = embedders.get(EmbeddingSettings())
    emb.warm_up()
    texts = ["a", "red cotton shirt for men, regular fit", "steel bottle " * 20, "女士红色连衣裙", ""] * 3
    ours = encode_bucketed(emb._model, texts, token_budget=64)
    ref = emb.embed_documents(texts)
    assert np.allclose(ours, ref, atol=1e-4)


def test_batch_plan_respects_the_token_budget() -> None:
    lengths = [5, 50, 7, 12, 50, 3, 9]
    batches = plan_batches(lengths, token_budget=60)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert max(lengths[i] for i in b) * len(b) <= 60 or len(b) == 1


def test_missing_model_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model_path(str(tmp_path / "no-such-model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="not a model directory"):
        resolve_model_path(str(tmp_path / "empty"))
    with pytest.raises(ModelNotFoundError):
        SentenceEmbedder(EmbeddingSettings(model=str(tmp_path / "gone"))).embed_query("x")
