"""PNG plots saved beside a trained model: learning curves, confusion matrix, reliability diagram."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def learning_curves(history: list[dict[str, float]], path: Path) -> None:
    plt = _plt()
    epochs = [h["epoch"] for h in history]
    fig, ax1 = plt.subplots(figsize=(6, 3.6))
    ax1.plot(epochs, [h["train_loss"] for h in history], "o-", color="tab:red", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("train loss", color="tab:red")
    ax2 = ax1.twinx()
    ax2.plot(epochs, [h["dev_macro_f1"] for h in history], "s-", color="tab:blue", label="dev macro-F1")
    ax2.plot(epochs, [h["dev_accuracy"] for h in history], "^--", color="tab:green", label="dev accuracy")
    ax2.set_ylabel("dev score")
    ax2.set_ylim(min(0.5, min(h["dev_macro_f1"] for h in history)), 1.0)
    fig.legend(loc="lower center", ncol=3, fontsize=8)
    ax1.set_title("Intent router training")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def confusion_matrix_png(
    gold: Sequence[str],
    pred: Sequence[str],
    labels: Sequence[str],
    path: Path,
    title: str = "Dev confusion matrix (row-normalised)",
) -> None:
    from sklearn.metrics import confusion_matrix

    plt = _plt()
    cm = confusion_matrix(list(gold), list(pred), labels=list(labels)).astype(np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    size = max(6.0, 0.28 * len(labels))
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    ax.set_yticks(range(len(labels)), labels, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def reliability_diagram(confidence: np.ndarray, correct: np.ndarray, path: Path, title: str, bins: int = 10) -> None:
    plt = _plt()
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    acc = [correct[idx == b].mean() if (idx == b).any() else np.nan for b in range(bins)]
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.bar(edges[:-1] + 0.05, acc, width=0.09, color="tab:blue", alpha=0.8, label="accuracy")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def line_plot(series: dict[str, Sequence[float]], x: Sequence[Any], path: Path, title: str, ylabel: str) -> None:
    """Generic multi-series line plot (used by the feedback-loop experiment)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, ys in series.items():
        ax.plot(list(x), list(ys), "o-", label=name)
    ax.set_xticks(list(x))
    ax.set_xlabel("round")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
