"""The training-data quality gate: cleaning, de-duplication, leakage and label accuracy.

Rules, in order (each counted in the report, with examples):

1. **normalise** text (HTML, control characters, whitespace); over-long texts are cut.
2. **exact duplicates** (same normalised text and label, same split) are dropped.
3. **conflicting labels**: one normalised text with several labels cannot be learned;
   all its copies are dropped and listed for review.
4. **cross-split leakage**: a dev (or test) example whose text, family ``group`` or
   near-duplicate (token-set Jaccard ≥ threshold) is in train is removed, and so is a test
   example whose text or group is in dev, so held-out scores measure generalisation. Groups
   name families, never splits (``finetune.splits``), so the group rule can fire.
5. **label noise**: out-of-fold class probabilities from a cheap cross-validated model
   (TF-IDF + logistic regression) flag examples whose given label is improbable while
   another label is confidently predicted, confident-learning style (Northcutt et al.,
   2021): ``p(given) < t_given`` and ``argmax = k ≠ given`` with ``p(k) ≥ t_k``, where
   ``t_j`` is the mean predicted probability of class ``j`` over examples labelled ``j``,
   plus a margin. Flagged rows are reported; dropped only if the setting says so.

The same out-of-fold probabilities feed importance weighting (``finetune.weighting``).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.errors import DataError
from aisle.text import clean_text, normalize_for_match, tokenize, truncate
from finetune.schema import Example

if TYPE_CHECKING:
    from aisle.settings import QualitySettings

log = logging.getLogger(__name__)
MAX_EXAMPLES = 8


@dataclass
class GateReport:
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, rule: str, example: Any = None, n: int = 1) -> None:
        self.counts[rule] = self.counts.get(rule, 0) + n
        if example is not None:
            bucket = self.examples.setdefault(rule, [])
            if len(bucket) < MAX_EXAMPLES:
                bucket.append(example)

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "examples": self.examples}

    def to_text(self) -> str:
        lines = ["Data-quality gate:"]
        for rule, n in self.counts.items():
            lines.append(f"  {rule:<34} {n:>6}")
            for ex in self.examples.get(rule, [])[:3]:
                lines.append(f"      e.g. {ex}")
        return "\n".join(lines)


def _normalise(examples: list[Example], max_chars: int, report: GateReport, split: str) -> list[Example]:
    out = []
    for ex in examples:
        text = clean_text(ex.text)
        if not text:
            report.add(f"{split}: empty after cleaning", ex.intent)
            continue
        if len(text) > max_chars:
            report.add(f"{split}: truncated (too long)", text[:60])
            text = truncate(text, max_chars)
        if text != ex.text:
            report.add(f"{split}: text normalised")
        out.append(Example(text, ex.intent, ex.source, ex.group, ex.weight, ex.meta))
    return out


def _dedupe(examples: list[Example], report: GateReport, split: str) -> list[Example]:
    seen: set[tuple[str, str]] = set()
    out = []
    for ex in examples:
        key = (normalize_for_match(ex.text), ex.intent)
        if key in seen:
            report.add(f"{split}: exact duplicate dropped", ex.text)
            continue
        seen.add(key)
        out.append(ex)
    return out


def _conflicts(
    train: list[Example], dev: list[Example], report: GateReport, test: list[Example] | None = None
) -> tuple[list[Example], list[Example], list[Example]]:
    """One text, several labels: keep a clear majority (≥ 2/3 of ≥ 2 copies), otherwise drop every copy."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for ex in [*train, *dev, *(test or [])]:
        votes[normalize_for_match(ex.text)][ex.intent] += 1
    keep_label: dict[str, str | None] = {}
    for text, counts in votes.items():
        if len(counts) < 2:
            continue
        label, n = counts.most_common(1)[0]
        total = sum(counts.values())
        majority = label if total >= 2 and n / total >= 2 / 3 and list(counts.values()).count(n) == 1 else None
        keep_label[text] = majority
        rule = "conflicting labels (minority copies dropped)" if majority else "conflicting labels (all copies dropped)"
        report.add(rule, {"text": text, "labels": dict(counts)}, n=0)

    def keep(exs: list[Example]) -> list[Example]:
        out = []
        for ex in exs:
            key = normalize_for_match(ex.text)
            if key in keep_label and keep_label[key] != ex.intent:
                report.add(
                    "conflicting labels (minority copies dropped)"
                    if keep_label[key]
                    else "conflicting labels (all copies dropped)"
                )
                continue
            out.append(ex)
        return out

    return keep(train), keep(dev), keep(test or [])


def token_jaccard_max(queries: list[str], corpus: list[str], chunk: int = 512) -> np.ndarray:
    """For each query, the highest token-set Jaccard with any corpus text (sparse, chunked)."""
    from scipy import sparse

    vocab: dict[str, int] = {}

    def matrix(texts: list[str]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, t in enumerate(texts):
            for tok in set(tokenize(t, drop_stopwords=False)):
                rows.append(i)
                cols.append(vocab.setdefault(tok, len(vocab)))
        return rows, cols

    qr, qc = matrix(queries)
    cr, cc = matrix(corpus)
    n = len(vocab)
    Q = sparse.csr_matrix((np.ones(len(qr), dtype=np.float32), (qr, qc)), shape=(len(queries), n))
    C = sparse.csr_matrix((np.ones(len(cr), dtype=np.float32), (cr, cc)), shape=(len(corpus), n))
    q_len = np.asarray(Q.sum(axis=1)).ravel()
    c_len = np.asarray(C.sum(axis=1)).ravel()
    best = np.zeros(len(queries), dtype=np.float32)
    CT = C.T.tocsc()
    for s in range(0, len(queries), chunk):
        inter = (Q[s : s + chunk] @ CT).toarray()
        union = q_len[s : s + chunk, None] + c_len[None, :] - inter
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        best[s : s + chunk] = jac.max(axis=1) if jac.size else 0.0
    return best


def _leakage(
    train: list[Example], dev: list[Example], threshold: float, report: GateReport, split: str = "dev", of: str = "train"
) -> list[Example]:
    train_texts = {normalize_for_match(ex.text) for ex in train}
    train_groups = {ex.group for ex in train if ex.group}
    sims = token_jaccard_max([ex.text for ex in dev], [ex.text for ex in train]) if dev and train else np.zeros(len(dev))
    out = []
    for ex, sim in zip(dev, sims):
        if normalize_for_match(ex.text) in train_texts:
            report.add(f"{split}: exact copy of a {of} text (leak) removed", ex.text)
        elif ex.group and ex.group in train_groups:
            report.add(f"{split}: template group also in {of} removed", ex.text)
        elif sim >= threshold:
            report.add(f"{split}: near-duplicate of {of} removed", {"text": ex.text, "jaccard": round(float(sim), 3)})
        else:
            out.append(ex)
    return out


def out_of_fold_probabilities(texts: list[str], labels: list[str], folds: int, seed: int = 13) -> tuple[np.ndarray, list[str]]:
    """Cross-validated ``p(label | text)`` from TF-IDF (word + char n-grams) + logistic regression.

    Cheap (seconds on a CPU) and independent of the transformer being trained, which is
    what confident learning needs: probabilities from a model that never saw the example.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline, make_union

    classes = sorted(set(labels))
    y = np.array([classes.index(lbl) for lbl in labels])
    counts = np.bincount(y, minlength=len(classes))
    k = int(max(2, min(folds, counts.min())))
    probs = np.zeros((len(texts), len(classes)), dtype=np.float64)
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    X = np.array(texts, dtype=object)
    for tr, te in skf.split(X, y):
        model = make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
            ),
            LogisticRegression(C=10.0, max_iter=2000),
        )
        model.fit(X[tr], y[tr])
        fold_classes = model.classes_
        probs[np.ix_(te, fold_classes)] = model.predict_proba(X[te])
    return probs, classes


def flag_feedback_noise(
    probs: np.ndarray, classes: list[str], labels: list[str], rows: list[int], max_given: float, min_pred: float
) -> list[int]:
    """Feedback rows (indices into ``probs``) whose given label the out-of-fold model finds implausible.

    ``flag_label_noise`` compares against per-class mean self-confidence, which the large,
    clean base set pushes to ~0.9: a fresh slice in a new style (the reason feedback exists)
    never reaches that, so its wrong corrections slip through. Here the test is absolute:
    the out-of-fold model gives the corrected label less than ``max_given`` while another
    label gets at least ``min_pred``. Because the folds hold the other corrections of the
    same style, a correction that disagrees with its look-alikes stands out.
    """
    flagged = []
    for i in rows:
        if labels[i] not in classes:
            continue
        given = probs[i, classes.index(labels[i])]
        pred = int(probs[i].argmax())
        if classes[pred] != labels[i] and given < max_given and probs[i, pred] >= min_pred:
            flagged.append(i)
    return flagged


def flag_label_noise(probs: np.ndarray, classes: list[str], labels: list[str], margin: float, max_given: float) -> list[int]:
    """Indices whose given label is likely wrong (confident-joint off-diagonal + margin)."""
    y = np.array([classes.index(lbl) for lbl in labels])
    thresholds = np.array([probs[y == j, j].mean() if np.any(y == j) else 1.0 for j in range(len(classes))])
    pred = probs.argmax(axis=1)
    p_given = probs[np.arange(len(y)), y]
    p_pred = probs[np.arange(len(y)), pred]
    suspicious = (
        (pred != y)
        & (p_given < thresholds[y])
        & (p_pred >= thresholds[pred])
        & ((p_pred - p_given >= margin) | (p_given < max_given))
    )
    return [int(i) for i in np.flatnonzero(suspicious)]


@dataclass
class GateResult:
    train: list[Example]
    dev: list[Example]
    report: GateReport
    noise_flags: list[dict[str, Any]]
    oof_probs: np.ndarray | None = None
    oof_classes: list[str] | None = None
    test: list[Example] = field(default_factory=list)


def run_gate(
    train: list[Example],
    dev: list[Example],
    settings: QualitySettings,
    noise: bool = True,
    seed: int = 13,
    test: list[Example] | None = None,
) -> GateResult:
    """Apply every rule; raise ``DataError`` if a label is left with too few examples.

    ``test`` (optional) gets the same cleaning and the leakage rules against train *and* dev.
    """
    report = GateReport()
    report.add("train: rows in", n=len(train))
    report.add("dev: rows in", n=len(dev))
    if test is not None:
        report.add("test: rows in", n=len(test))
    train = _dedupe(_normalise(train, settings.max_text_chars, report, "train"), report, "train")
    dev = _dedupe(_normalise(dev, settings.max_text_chars, report, "dev"), report, "dev")
    held = _dedupe(_normalise(test, settings.max_text_chars, report, "test"), report, "test") if test is not None else []
    train, dev, held = _conflicts(train, dev, report, held)
    dev = _leakage(train, dev, settings.near_duplicate_jaccard, report)
    if test is not None:
        held = _leakage(train, held, settings.near_duplicate_jaccard, report, "test", "train")
        held = _leakage(dev, held, settings.near_duplicate_jaccard, report, "test", "dev")
    counts = Counter(ex.intent for ex in train)
    thin = {lbl: n for lbl, n in counts.items() if n < settings.min_examples_per_label}
    if thin:
        raise DataError(
            f"label(s) with fewer than {settings.min_examples_per_label} training examples: "
            + ", ".join(f"{lbl} ({n})" for lbl, n in sorted(thin.items()))
            + "; add examples or remove the label"
        )
    unseen = sorted({ex.intent for ex in dev} - set(counts))
    if unseen:
        report.add("dev: label not in train (rows dropped)", unseen, n=sum(1 for ex in dev if ex.intent in unseen))
        dev = [ex for ex in dev if ex.intent in counts]
    unseen_test = sorted({ex.intent for ex in held} - set(counts))
    if unseen_test:
        report.add("test: label not in train (rows dropped)", unseen_test, n=sum(1 for ex in held if ex.intent in unseen_test))
        held = [ex for ex in held if ex.intent in counts]
    flags: list[dict[str, Any]] = []
    probs = classes = None
    if noise and len(counts) > 1:
        probs, classes = out_of_fold_probabilities(
            [ex.text for ex in train], [ex.intent for ex in train], settings.noise_folds, seed
        )
        idx = flag_label_noise(probs, classes, [ex.intent for ex in train], settings.noise_margin, settings.noise_max_given_prob)
        for i in idx:
            ex = train[i]
            flags.append(
                {
                    "index": i,
                    "text": ex.text,
                    "given": ex.intent,
                    "suggested": classes[int(probs[i].argmax())],
                    "p_given": round(float(probs[i, classes.index(ex.intent)]), 3),
                    "p_suggested": round(float(probs[i].max()), 3),
                    "source": ex.source,
                }
            )
        report.add(
            "train: likely label noise flagged",
            [f"{f['text']!r}: {f['given']} → {f['suggested']}" for f in flags[:MAX_EXAMPLES]],
            n=len(flags),
        )
        if settings.drop_flagged_noise and flags:
            drop = {f["index"] for f in flags}
            train = [ex for i, ex in enumerate(train) if i not in drop]
            keep_rows = [i for i in range(len(probs)) if i not in drop]
            probs = probs[keep_rows]
            report.add("train: flagged noise dropped", n=len(drop))
    report.add("train: rows out", n=len(train))
    report.add("dev: rows out", n=len(dev))
    if test is not None:
        report.add("test: rows out", n=len(held))
    return GateResult(train, dev, report, flags, probs, classes, held)
