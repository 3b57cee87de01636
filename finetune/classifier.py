"""Inference with a trained router: ``(intent, confidence, top-k alternatives, is_oos)``.

``IntentClassifier`` loads any router directory the registry holds, whatever approach
trained it; the manifest's ``approach`` names the scorer behind it:

* ``finetune``: a fine-tuned ``AutoModelForSequenceClassification`` (``finetune.train``);
* ``knn`` / ``centroid`` / ``logreg`` and mixtures of them (``knn+logreg``): heads over
  sentence embeddings of the labelled examples, frozen or contrastively tuned
  (``finetune.embedding_router``, ``finetune.setfit``);
* ``tfidf``: character n-gram TF-IDF with a logistic head (``finetune.tfidf_router``);
* ``ensemble``: a weighted mixture of member routers' calibrated probabilities
  (``finetune.ensemble``).

Every scorer returns uncalibrated scores in the manifest's label order; the classifier
applies the temperature and the out-of-scope decision fitted on dev, so a confidence means
the same thing for every approach and version.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from aisle.errors import ModelNotFoundError
from finetune import calibration
from finetune.train import MANIFEST

log = logging.getLogger(__name__)

APPROACHES = ("finetune", "knn", "centroid", "logreg", "knn+logreg", "setfit", "tfidf", "ensemble")


@dataclass
class IntentPrediction:
    intent: str
    confidence: float
    top_k: list[tuple[str, float]] = field(default_factory=list)
    is_oos: bool = False
    model_version: str = ""
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # a longer top list, for tie-breaking


class Scorer(Protocol):
    """What a router approach provides: uncalibrated per-label scores (logits or log-probabilities)."""

    def warm_up(self) -> None: ...

    def scores(self, texts: list[str]) -> np.ndarray: ...


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """A router directory's manifest, or a ``ModelNotFoundError`` that says how to get one."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST
    if not model_dir.is_dir():
        raise ModelNotFoundError(
            f"intent model directory {model_dir} does not exist; train one with `aisle train intents` or run `aisle setup`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelNotFoundError(f"{model_dir} is not an aisle intent model: {MANIFEST} is missing") from None
    except json.JSONDecodeError as exc:
        raise ModelNotFoundError(f"{path} is corrupt ({exc}); retrain or promote another version") from None
    if not manifest.get("labels"):
        raise ModelNotFoundError(f"{path} lists no labels")
    approach = manifest.get("approach", "finetune")
    if approach not in ("finetune", "ensemble", "tfidf") and not manifest.get("heads"):
        raise ModelNotFoundError(
            f"{path}: unknown approach {approach!r} (known: {', '.join(APPROACHES)}); upgrade aisle or retrain"
        )
    return manifest


class FineTunedScorer:
    """Logits of a fine-tuned sequence classifier; checks the checkpoint's labels on load."""

    def __init__(self, model_dir: Path, labels: list[str], max_length: int, device: str = "cpu", quantize: bool = False) -> None:
        self.model_dir = model_dir
        self.labels = labels
        self.max_length = max_length
        self.device = device
        self.quantize = quantize
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            try:
                tok = AutoTokenizer.from_pretrained(str(self.model_dir))
                model = AutoModelForSequenceClassification.from_pretrained(str(self.model_dir))
            except Exception as exc:
                raise ModelNotFoundError(f"cannot load the intent model in {self.model_dir}: {exc}") from exc
            id2label = [model.config.id2label[i] for i in range(model.config.num_labels)]
            if id2label != self.labels:
                raise ModelNotFoundError(
                    f"{self.model_dir}: the checkpoint's labels do not match {MANIFEST} "
                    f"({len(id2label)} vs {len(self.labels)}); the directory is inconsistent, retrain it"
                )
            model.to(self.device).eval()
            if self.quantize and self.device == "cpu":
                import torch

                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
            self._tokenizer, self._model = tok, model

    def scores(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        import torch

        self.warm_up()
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                enc = self._tokenizer(
                    texts[s : s + batch_size], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                )
                enc = {k: v.to(self.device) for k, v in enc.items()}
                out[s : s + batch_size] = self._model(**enc).logits.float().cpu().numpy()
        return out


class IntentClassifier:
    """A router loaded from a model directory (lazily, once; thread-safe), whatever approach trained it."""

    def __init__(
        self, model_dir: Path, device: str = "cpu", top_k: int = 3, alternatives: int = 0, quantize: bool = False
    ) -> None:
        self.model_dir = Path(model_dir)
        self.device = device
        self.k = top_k
        self.n_alternatives = alternatives
        self.quantize = quantize
        self.manifest = read_manifest(self.model_dir)
        self._scorer: Scorer | None = None
        self._lock = threading.Lock()

    @property
    def labels(self) -> list[str]:
        return list(self.manifest["labels"])

    @property
    def version(self) -> str:
        return self.model_dir.name

    @property
    def approach(self) -> str:
        return str(self.manifest.get("approach", "finetune"))

    def _make_scorer(self) -> Scorer:
        if self.approach == "finetune":
            return FineTunedScorer(
                self.model_dir, self.labels, int(self.manifest.get("max_length", 64)), self.device, self.quantize
            )
        if self.approach == "ensemble":
            from finetune.ensemble import EnsembleScorer

            return EnsembleScorer(self.model_dir, self.manifest, self.device)
        if self.approach == "tfidf":
            from finetune.tfidf_router import TfidfScorer

            return TfidfScorer(self.model_dir, self.manifest)
        from finetune.embedding_router import EmbeddingScorer

        return EmbeddingScorer(self.model_dir, self.manifest, self.device)

    def warm_up(self) -> None:
        """Load the weights once (idempotent); a broken directory raises ``ModelNotFoundError``."""
        if self._scorer is not None:
            return
        with self._lock:
            if self._scorer is None:
                scorer = self._make_scorer()
                scorer.warm_up()
                self._scorer = scorer

    def logits(self, texts: list[str]) -> np.ndarray:
        """Uncalibrated scores, one column per label (logits, or log-probabilities for vote-based approaches)."""
        self.warm_up()
        assert self._scorer is not None
        return self._scorer.scores(list(texts))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return calibration.softmax(self.logits(texts), float(self.manifest.get("temperature", 1.0)))

    def classify_batch(self, texts: list[str]) -> list[IntentPrediction]:
        if not texts:
            return []
        return self.predictions(self.probabilities(texts))

    def predictions(self, probs: np.ndarray) -> list[IntentPrediction]:
        """Calibrated probabilities → predictions with the manifest's out-of-scope decision."""
        labels = self.labels
        oos = self.manifest.get("oos_label")
        preds, conf = calibration.decide(probs, labels, oos, float(self.manifest.get("oos_threshold", 0.0)))
        out = []
        for row, pred, c in zip(probs, preds, conf):
            order = np.argsort(-row)[: max(self.k, self.n_alternatives)]
            ranked = [(labels[i], round(float(row[i]), 4)) for i in order]
            out.append(
                IntentPrediction(
                    intent=pred,
                    confidence=round(float(c), 4),
                    top_k=ranked[: self.k],
                    is_oos=bool(oos) and pred == oos,
                    model_version=self.version,
                    alternatives=ranked if self.n_alternatives else [],
                )
            )
        return out

    def classify(self, text: str) -> IntentPrediction:
        return self.classify_batch([text])[0]
