"""A character n-gram router: TF-IDF over ``char_wb`` 2–5-grams and a multinomial logistic head.

Subword encoders read "cancle my oder" as a string of rare word pieces; character n-grams
still share most of their features with "cancel my order". This router is cheap (seconds on
2 CPU cores) and makes different mistakes from the sentence encoders, which is what an
ensemble member is for (``finetune.ensemble``).

The directory holds ``tfidf.npz`` (vocabulary, idf, coefficients, intercepts) and the manifest;
the vectoriser is rebuilt from them with scikit-learn, so nothing is unpickled at load time.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError, ModelNotFoundError

if TYPE_CHECKING:
    from aisle.settings import IntentSettings
    from finetune.schema import Example
    from finetune.train import TrainResult

NGRAMS = (2, 5)
MAX_FEATURES = 60000
C = 8.0


def _vectorizer(vocabulary: dict[str, int] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        lowercase=True,
        sublinear_tf=True,
        min_df=1 if vocabulary else 2,
        max_features=None if vocabulary else MAX_FEATURES,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


class TfidfScorer:
    """``finetune.classifier.Scorer``: the logistic head's logits over character n-gram TF-IDF."""

    def __init__(self, model_dir: Path, manifest: dict[str, Any]) -> None:
        self.model_dir = Path(model_dir)
        self.manifest = manifest
        self._vec: Any = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._vec is not None:
            return
        with self._lock:
            if self._vec is not None:
                return
            try:
                with np.load(self.model_dir / "tfidf.npz") as z:
                    terms, idf, coef, intercept = list(z["terms"]), z["idf"], z["coef"], z["intercept"]
            except (OSError, KeyError, ValueError) as exc:
                raise ModelNotFoundError(f"{self.model_dir}: cannot read tfidf.npz ({exc}); retrain it") from exc
            if coef.shape[0] != len(self.manifest["labels"]) or coef.shape[1] != len(terms):
                raise ModelNotFoundError(
                    f"{self.model_dir}: the head's shape {coef.shape} does not fit {len(self.manifest['labels'])} labels "
                    f"and {len(terms)} n-grams; the directory is inconsistent, retrain it"
                )
            vec = _vectorizer({str(t): i for i, t in enumerate(terms)})
            vec.idf_ = idf
            self._coef, self._intercept, self._vec = coef, intercept, vec

    def scores(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        assert self._coef is not None and self._intercept is not None
        x = self._vec.transform(texts)
        return np.asarray(x @ self._coef.T + self._intercept, dtype=np.float32)


def train_tfidf_router(
    train: list[Example],
    dev: list[Example],
    cfg: IntentSettings,
    out_dir: Path,
    weights: np.ndarray | None = None,
    data_info: dict[str, Any] | None = None,
) -> TrainResult:
    """Fit the vectoriser and the head on ``train``, calibrate on ``dev``, save to ``out_dir``."""
    from sklearn.linear_model import LogisticRegression

    from finetune.train import calibrate_and_save

    if not train or not dev:
        raise DataError("the character n-gram router needs training and dev examples")
    t0 = time.perf_counter()
    labels = sorted({ex.intent for ex in train})
    label2id = {lbl: i for i, lbl in enumerate(labels)}
    dev = [ex for ex in dev if ex.intent in label2id]
    vec = _vectorizer()
    x = vec.fit_transform([ex.text for ex in train])
    y = np.array([label2id[ex.intent] for ex in train])
    clf = LogisticRegression(C=C, max_iter=1000, random_state=cfg.seed)
    clf.fit(x, y, sample_weight=weights)
    coef = np.zeros((len(labels), x.shape[1]), dtype=np.float32)
    intercept = np.full(len(labels), -30.0, dtype=np.float32)
    coef[clf.classes_] = clf.coef_
    intercept[clf.classes_] = clf.intercept_
    out_dir.mkdir(parents=True, exist_ok=True)
    terms = np.asarray(vec.get_feature_names_out(), dtype=str)  # a fixed-width string array: loads without pickle
    np.savez_compressed(out_dir / "tfidf.npz", terms=terms, idf=vec.idf_.astype(np.float32), coef=coef, intercept=intercept)
    dev_scores = (vec.transform([ex.text for ex in dev]) @ coef.T + intercept).astype(np.float32)
    training = {
        "seconds": round(time.perf_counter() - t0, 1),
        "n_train": len(train),
        "n_dev": len(dev),
        "features": int(x.shape[1]),
        "weighting": cfg.weighting,
    }
    return calibrate_and_save(
        out_dir,
        labels,
        np.asarray(dev_scores),
        dev,
        cfg,
        "tfidf",
        training,
        data_info,
        {"tfidf": {"analyzer": "char_wb", "ngram_range": list(NGRAMS), "C": C}},
    )
