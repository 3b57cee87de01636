"""Routers over sentence embeddings of the labelled examples: a kNN vote, class centroids, a logistic head.

Why these exist next to the fine-tuned classifier: a fine-tune on templated data learns the
templates' *style*, while a nearest-neighbour vote over a general-purpose sentence encoder
keeps the encoder's notion of meaning; on hand-written shopper messages that generalises
better (``aisle experiment router``). They also train in seconds (encode the examples, fit
a small head), so a fresh store can chat within a minute of install.

A router directory holds::

    aisle_intents.json   approach ("knn", "centroid", "logreg" or a mixture such as "knn+logreg"),
                         encoder (packaged alias, or "encoder" for a tuned copy inside the
                         directory), the heads' parameters and mixture weights, temperature and
                         the OOS threshold fitted on dev
    bank.npz             unit embeddings of the training examples (float16) + label ids + weights
    logreg.npz           the logistic head's coefficients (when used)
    encoder/             a contrastively tuned encoder (``finetune.setfit``), when used

Scoring is plain numpy over the bank; sklearn is only needed to *fit* the logistic head.
Out-of-scope messages are caught three ways: neighbours labelled ``out_of_scope`` (the
training data has them), a *background* vote for ``out_of_scope`` that wins when every
in-scope neighbour is far away (tuned on dev), and the calibrated-confidence threshold.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError, ModelNotFoundError
from aisle.models import load_sentence_transformer, pick_device, resolve_model_path

if TYPE_CHECKING:
    from aisle.settings import IntentSettings
    from finetune.schema import Example
    from finetune.train import TrainResult

log = logging.getLogger(__name__)

HEADS = ("knn", "centroid", "logreg")
ENCODER_MAX_SEQ_LENGTH = 128
EPS = 1e-9
# dev grids (small on purpose: dev picks among a handful of sensible settings, it does not fit them)
KNN_K = (1, 3, 5, 10, 20, 30)
KNN_TAU = (0.02, 0.05, 0.1)
KNN_BACKGROUND = (None, 0.35, 0.45, 0.55, 0.65)
CENTROID_SCALE = 20.0
LOGREG_C = 16.0
MIX_STEPS = np.round(np.arange(0.0, 1.01, 0.1), 2)


# --- the encoder ----------------------------------------------------------------------------
class SentenceEncoder:
    """A sentence-transformers encoder loaded lazily, once; unit-length float32 vectors."""

    def __init__(self, path: Path, device: str = "cpu", max_seq_length: int = ENCODER_MAX_SEQ_LENGTH) -> None:
        self.path = Path(path)
        self.device = device
        self.max_seq_length = max_seq_length
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            self._model = load_sentence_transformer(self.path, self.device, self.max_seq_length, "router's sentence encoder")

    @property
    def dimension(self) -> int:
        self.warm_up()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, texts: list[str], progress: bool = False, batch_size: int = 64) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # the fast tokenizer is not safe under concurrent use
            vectors = self._model.encode(
                list(texts), batch_size=batch_size, show_progress_bar=progress, convert_to_numpy=True, normalize_embeddings=True
            )
        return np.asarray(vectors, dtype=np.float32)


def encoder_path(spec: str, model_dir: Path | None = None) -> Path:
    """``"encoder"`` means the tuned copy inside the router directory; anything else is a model setting."""
    if spec == "encoder" and model_dir is not None:
        return model_dir / "encoder"
    return resolve_model_path(spec)


# --- pure scoring -----------------------------------------------------------------------------
def knn_probabilities(
    sims: np.ndarray,
    bank_labels: np.ndarray,
    n_labels: int,
    k: int,
    tau: float,
    background: float | None = None,
    oos_index: int | None = None,
    bank_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Similarity-weighted vote of the ``k`` nearest examples: ``p(c) ∝ Σ_{i ∈ top-k, y_i = c} w_i·exp(s_i / τ)``.

    With ``background`` set, ``out_of_scope`` also gets the vote of a virtual neighbour at that
    similarity, so a message far from every example goes out of scope instead of to its
    least-far intent.
    """
    n, m = sims.shape
    k = max(1, min(k, m))
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(sims, idx, axis=1).astype(np.float64)
    w = np.exp((top - 1.0) / tau)
    if bank_weights is not None:
        w = w * bank_weights[idx]
    votes = np.zeros((n, n_labels), dtype=np.float64)
    np.add.at(votes, (np.repeat(np.arange(n), k), bank_labels[idx].ravel()), w.ravel())
    if background is not None and oos_index is not None:
        votes[:, oos_index] += np.exp((background - 1.0) / tau)
    return (votes + EPS) / (votes.sum(axis=1, keepdims=True) + n_labels * EPS)


def softmax_rows(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def class_centroids(bank: np.ndarray, bank_labels: np.ndarray, n_labels: int) -> np.ndarray:
    cent = np.zeros((n_labels, bank.shape[1]), dtype=np.float32)
    np.add.at(cent, bank_labels, bank.astype(np.float32))
    norms = np.linalg.norm(cent, axis=1, keepdims=True)
    return cent / np.maximum(norms, EPS)


def macro_f1_ids(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """Macro-F1 over the labels present in ``gold`` (what sklearn's ``labels=sorted(set(gold))`` gives), fast."""
    tp = np.bincount(gold[gold == pred], minlength=n_labels).astype(np.float64)
    n_gold = np.bincount(gold, minlength=n_labels).astype(np.float64)
    n_pred = np.bincount(pred, minlength=n_labels).astype(np.float64)
    present = n_gold > 0
    f1 = np.where(n_gold + n_pred > 0, 2 * tp / np.maximum(n_gold + n_pred, 1), 0.0)
    return float(f1[present].mean())


def best_macro_f1(probs: np.ndarray, gold: np.ndarray, oos_index: int | None) -> float:
    """Dev macro-F1 at the best OOS threshold (the same objective ``calibration.tune_oos_threshold`` uses)."""
    top = probs.argmax(axis=1)
    if oos_index is None:
        return macro_f1_ids(gold, top, probs.shape[1])
    conf = probs[np.arange(len(top)), top]
    best = 0.0
    for t in np.arange(0.0, 0.96, 0.01):
        pred = np.where(conf < t, oos_index, top)
        best = max(best, macro_f1_ids(gold, pred, probs.shape[1]))
    return best


# --- inference ----------------------------------------------------------------------------------
@dataclass
class Bank:
    embeddings: np.ndarray  # (n, d) float32, unit rows
    labels: np.ndarray  # (n,) label ids
    weights: np.ndarray | None = None

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            embeddings=self.embeddings.astype(np.float16),
            labels=self.labels.astype(np.int32),
            weights=self.weights if self.weights is not None else np.zeros(0),
        )

    @classmethod
    def load(cls, path: Path) -> Bank:
        with np.load(path) as z:
            weights = z["weights"] if z["weights"].size else None
            return cls(z["embeddings"].astype(np.float32), z["labels"].astype(np.int64), weights)


class HeadSet:
    """The fitted heads of one router and their mixture: ``p = Σ_h w_h p_h(x)`` (pure numpy)."""

    def __init__(
        self,
        params: dict[str, Any],
        bank: Bank,
        n_labels: int,
        oos_index: int | None,
        logreg: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        self.params = params
        self.bank = bank
        self.n_labels = n_labels
        self.oos_index = oos_index
        self.logreg = logreg
        self.centroids = class_centroids(bank.embeddings, bank.labels, n_labels) if "centroid" in params["mix"] else None

    def head_probabilities(self, head: str, emb: np.ndarray) -> np.ndarray:
        if head == "knn":
            p = self.params["knn"]
            sims = emb @ self.bank.embeddings.T
            return knn_probabilities(
                sims, self.bank.labels, self.n_labels, p["k"], p["tau"], p.get("background"), self.oos_index, self.bank.weights
            )
        if head == "centroid":
            assert self.centroids is not None
            return softmax_rows((emb @ self.centroids.T).astype(np.float64) * CENTROID_SCALE)
        if head == "logreg":
            assert self.logreg is not None
            coef, intercept = self.logreg
            return softmax_rows((emb @ coef.T + intercept).astype(np.float64))
        raise ModelNotFoundError(f"unknown embedding head {head!r}")

    def probabilities(self, emb: np.ndarray) -> np.ndarray:
        mix = self.params["mix"]
        out = np.zeros((len(emb), self.n_labels), dtype=np.float64)
        for head, w in mix.items():
            if w > 0:
                out += w * self.head_probabilities(head, emb)
        return out / max(sum(mix.values()), EPS)


class EmbeddingScorer:
    """``finetune.classifier.Scorer`` for embedding routers: log of the heads' mixture probabilities."""

    def __init__(self, model_dir: Path, manifest: dict[str, Any], device: str = "cpu") -> None:
        self.model_dir = Path(model_dir)
        self.manifest = manifest
        self.device = device
        self._heads: HeadSet | None = None
        self._encoder: SentenceEncoder | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._heads is not None:
            return
        with self._lock:
            if self._heads is not None:
                return
            labels = list(self.manifest["labels"])
            params = self.manifest.get("heads")
            if not params or not params.get("mix"):
                raise ModelNotFoundError(f"{self.model_dir}: the manifest names no embedding heads; retrain it")
            try:
                bank = Bank.load(self.model_dir / "bank.npz")
                logreg = None
                if params["mix"].get("logreg"):
                    with np.load(self.model_dir / "logreg.npz") as z:
                        logreg = (z["coef"].astype(np.float32), z["intercept"].astype(np.float32))
            except (OSError, KeyError, ValueError) as exc:
                raise ModelNotFoundError(
                    f"{self.model_dir}: cannot read the router's example bank or head ({exc}); retrain it"
                ) from exc
            if len(bank.labels) and int(bank.labels.max()) >= len(labels):
                raise ModelNotFoundError(
                    f"{self.model_dir}: the bank's label ids exceed the manifest's {len(labels)} labels; the directory is inconsistent"
                )
            if logreg is not None and logreg[0].shape[0] != len(labels):
                raise ModelNotFoundError(
                    f"{self.model_dir}: the logistic head has {logreg[0].shape[0]} rows for {len(labels)} labels; retrain it"
                )
            oos = self.manifest.get("oos_label")
            oos_index = labels.index(oos) if oos in labels else None
            encoder = SentenceEncoder(
                encoder_path(str(self.manifest.get("encoder", "all-MiniLM-L6-v2")), self.model_dir),
                self.device,
                int(self.manifest.get("encoder_max_seq_length", ENCODER_MAX_SEQ_LENGTH)),
            )
            dim = encoder.dimension
            if bank.embeddings.shape[1] != dim:
                raise ModelNotFoundError(
                    f"{self.model_dir}: the bank holds {bank.embeddings.shape[1]}-d vectors but the encoder gives {dim}-d; retrain it"
                )
            self._encoder = encoder
            self._heads = HeadSet(params, bank, len(labels), oos_index, logreg)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        assert self._encoder is not None
        return self._encoder.encode(texts)

    def scores(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        assert self._heads is not None
        return np.log(self._heads.probabilities(self.embed(texts)) + EPS).astype(np.float32)


# --- training ---------------------------------------------------------------------------------------
def fit_logreg(
    x: np.ndarray, y: np.ndarray, n_labels: int, c: float, seed: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial logistic head on unit embeddings; rows for labels absent from ``y`` stay at −∞-ish."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=300, random_state=seed)
    clf.fit(x, y, sample_weight=weights)
    coef = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -30.0, dtype=np.float32)
    coef[clf.classes_] = clf.coef_
    intercept[clf.classes_] = clf.intercept_
    return coef, intercept


def tune_knn(
    sims: np.ndarray,
    bank_labels: np.ndarray,
    n_labels: int,
    gold: np.ndarray,
    oos_index: int | None,
    bank_weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """k, τ and the background similarity maximising dev macro-F1 (after the OOS threshold)."""
    backgrounds = KNN_BACKGROUND if oos_index is not None else (None,)
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    for k, tau, bg in itertools.product(KNN_K, KNN_TAU, backgrounds):
        probs = knn_probabilities(sims, bank_labels, n_labels, k, tau, bg, oos_index, bank_weights)
        f1 = best_macro_f1(probs, gold, oos_index)
        if f1 > best[0] + 1e-9:
            best = (f1, {"k": k, "tau": tau, "background": bg})
    log.info("kNN on dev: %s (macro-F1 %.4f)", best[1], best[0])
    return {**best[1], "dev_macro_f1": round(best[0], 4)}


def tune_mix(head_probs: dict[str, np.ndarray], gold: np.ndarray, oos_index: int | None) -> dict[str, float]:
    """Mixture weights of two heads on a 0.1 grid (dev macro-F1); one head gets weight 1."""
    names = list(head_probs)
    if len(names) == 1:
        return {names[0]: 1.0}
    if len(names) != 2:
        raise DataError(f"mixtures of {len(names)} embedding heads are not supported; use one or two of {', '.join(HEADS)}")
    a, b = names
    best = (-1.0, 1.0)
    for w in MIX_STEPS:
        f1 = best_macro_f1(w * head_probs[a] + (1 - w) * head_probs[b], gold, oos_index)
        if f1 > best[0] + 1e-9:
            best = (f1, float(w))
    log.info("mixture on dev: %s %.1f / %s %.1f (macro-F1 %.4f)", a, best[1], b, 1 - best[1], best[0])
    return {a: best[1], b: round(1 - best[1], 2)}


def train_embedding_router(
    train: list[Example],
    dev: list[Example],
    cfg: IntentSettings,
    out_dir: Path,
    heads: tuple[str, ...] = ("knn",),
    encoder: str | None = None,
    weights: np.ndarray | None = None,
    data_info: dict[str, Any] | None = None,
    progress: bool = True,
    approach: str | None = None,
    extra_training: dict[str, Any] | None = None,
) -> TrainResult:
    """Encode the examples, fit the heads, tune them on dev, calibrate and save a router to ``out_dir``.

    ``encoder`` is a model setting (default ``cfg.base_model``, frozen) or ``"encoder"`` when
    ``out_dir/encoder`` already holds a tuned encoder (``finetune.setfit``).
    """
    from finetune.train import calibrate_and_save

    unknown = [h for h in heads if h not in HEADS]
    if unknown or not heads:
        raise DataError(f"unknown embedding head(s) {unknown}; choose from {', '.join(HEADS)}")
    if not train:
        raise DataError("no training examples")
    if not dev:
        raise DataError("no dev examples: the heads' settings and the calibration are chosen on dev")
    t0 = time.perf_counter()
    labels = sorted({ex.intent for ex in train})
    label2id = {lbl: i for i, lbl in enumerate(labels)}
    dev = [ex for ex in dev if ex.intent in label2id]
    oos_index = label2id.get(cfg.oos_label)
    encoder_spec = encoder or cfg.base_model
    device = pick_device(cfg.device)
    enc = SentenceEncoder(encoder_path(encoder_spec, out_dir), device)
    log.info("encoding %d training and %d dev examples", len(train), len(dev))
    x_train = enc.encode([ex.text for ex in train], progress=progress)
    x_dev = enc.encode([ex.text for ex in dev], progress=progress)
    encode_seconds = time.perf_counter() - t0
    y_train = np.array([label2id[ex.intent] for ex in train])
    y_dev = np.array([label2id[ex.intent] for ex in dev])
    own = np.array([ex.weight for ex in train], dtype=np.float64)
    w = weights if weights is not None else (own if not np.allclose(own, 1.0) else None)
    bank = Bank(x_train, y_train, None if w is None else np.asarray(w, dtype=np.float32))

    params: dict[str, Any] = {}
    head_probs: dict[str, np.ndarray] = {}
    logreg = None
    if "knn" in heads:
        sims = x_dev @ x_train.T
        params["knn"] = tune_knn(sims, y_train, len(labels), y_dev, oos_index, bank.weights)
    if "logreg" in heads:
        logreg = fit_logreg(x_train, y_train, len(labels), LOGREG_C, cfg.seed, None if w is None else np.asarray(w))
        params["logreg"] = {"C": LOGREG_C}
    params["mix"] = {h: 1.0 for h in heads}
    probe = HeadSet(params, bank, len(labels), oos_index, logreg)
    for h in heads:
        head_probs[h] = probe.head_probabilities(h, x_dev)
    params["mix"] = tune_mix(head_probs, y_dev, oos_index)
    dev_probs = HeadSet(params, bank, len(labels), oos_index, logreg).probabilities(x_dev)

    out_dir.mkdir(parents=True, exist_ok=True)
    bank.save(out_dir / "bank.npz")
    if logreg is not None:
        np.savez_compressed(out_dir / "logreg.npz", coef=logreg[0], intercept=logreg[1])
    seconds = time.perf_counter() - t0
    training = {
        "device": device,
        "seconds": round(seconds, 1),
        "encode_seconds": round(encode_seconds, 1),
        "n_train": len(train),
        "n_dev": len(dev),
        "weighting": cfg.weighting,
        **(extra_training or {}),
    }
    extra = {"encoder": encoder_spec, "encoder_max_seq_length": ENCODER_MAX_SEQ_LENGTH, "heads": params}
    return calibrate_and_save(
        out_dir, labels, np.log(dev_probs + EPS), dev, cfg, approach or "+".join(heads), training, data_info, extra
    )
