"""Inference with a trained router: ``(intent, confidence, top-k alternatives, is_oos)``."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aisle.errors import ModelNotFoundError
from finetune import calibration
from finetune.train import MANIFEST

log = logging.getLogger(__name__)


@dataclass
class IntentPrediction:
    intent: str
    confidence: float
    top_k: list[tuple[str, float]] = field(default_factory=list)
    is_oos: bool = False
    model_version: str = ""
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # a longer top list, for tie-breaking


class IntentClassifier:
    """A router loaded from a model directory (lazily, once; thread-safe)."""

    def __init__(self, model_dir: Path, device: str = "cpu", top_k: int = 3, alternatives: int = 0, quantize: bool = False) -> None:
        self.model_dir = Path(model_dir)
        self.device = device
        self.k = top_k
        self.n_alternatives = alternatives
        self.quantize = quantize
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.manifest = self._read_manifest()

    def _read_manifest(self) -> dict[str, Any]:
        path = self.model_dir / MANIFEST
        if not self.model_dir.is_dir():
            raise ModelNotFoundError(
                f"intent model directory {self.model_dir} does not exist; train one with `aisle train intents` "
                "or run `aisle setup`"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelNotFoundError(f"{self.model_dir} is not an aisle intent model: {MANIFEST} is missing") from None
        except json.JSONDecodeError as exc:
            raise ModelNotFoundError(f"{path} is corrupt ({exc}); retrain or promote another version") from None
        if not manifest.get("labels"):
            raise ModelNotFoundError(f"{path} lists no labels")
        return manifest

    @property
    def labels(self) -> list[str]:
        return list(self.manifest["labels"])

    @property
    def version(self) -> str:
        return self.model_dir.name

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

    def logits(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        import torch

        self.warm_up()
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                enc = self._tokenizer(
                    texts[s : s + batch_size], padding=True, truncation=True, max_length=int(self.manifest.get("max_length", 64)), return_tensors="pt"
                )
                enc = {k: v.to(self.device) for k, v in enc.items()}
                out[s : s + batch_size] = self._model(**enc).logits.float().cpu().numpy()
        return out

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return calibration.softmax(self.logits(texts), float(self.manifest.get("temperature", 1.0)))

    def classify_batch(self, texts: list[str]) -> list[IntentPrediction]:
        if not texts:
            return []
        probs = self.probabilities(texts)
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
