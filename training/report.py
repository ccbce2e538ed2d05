"""The plots that describe a trained model beside its card."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np


def plot_history(history: dict[str, list[float]], path: Path) -> None:
    """The loss, and the accuracy where the run measured one, by epoch."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    metrics = [metric for metric in ("loss", "accuracy") if metric in history]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        ax.plot(epochs, history[metric], "o-", label="train")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "o-", label="validation")
        ax.set(title=metric.capitalize(), xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


DIGITS = tuple(str(d) for d in range(10))


def plot_confusion(
    confusion: list[list[int]], path: Path, title: str, labels: tuple[str, ...] = DIGITS, noun: str = "digit"
) -> None:
    """Rows: the true class; columns: the class read, then, for digits, "not a digit" (rejected)."""
    matrix = np.array(confusion)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    # Log colour scale: the diagonal holds ~1,000 per cell, the errors a handful.
    image = ax.imshow(np.log1p(matrix), cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            light = np.log1p(count) > np.log1p(matrix.max()) / 2
            ax.text(
                col,
                row,
                str(count),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if light else "black",
            )
    columns = [*labels, "not a\ndigit"][: matrix.shape[1]]
    ax.set(
        xticks=range(matrix.shape[1]),
        xticklabels=columns,
        yticks=range(len(labels)),
        xlabel="read as",
        ylabel=f"true {noun}",
        title=title,
    )
    if max(map(len, labels)) > 2:  # names, not digits
        ax.set_yticklabels(labels)
        ax.tick_params(axis="x", labelrotation=60)
    fig.colorbar(image, ax=ax, label="log(1 + count)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_scores(
    scores: dict[str, np.ndarray], digit_sets: tuple[str, ...], threshold: float, path: Path
) -> None:
    """Histograms of the not-a-digit score, as log-odds so that both ends are visible:
    each digit set against the held-out non-digits, with the threshold."""

    def log_odds(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return np.log(p / (1 - p))

    bins = np.linspace(-16.5, 16.5, 67)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    negatives = [name for name in scores if name not in digit_sets]
    if negatives:
        pooled = np.concatenate([scores[name] for name in negatives])
        ax.hist(
            log_odds(pooled),
            bins,
            density=True,
            alpha=0.45,
            color="tab:red",
            label=f"held-out non-digits ({len(negatives)} kinds, {len(pooled)} images)",
        )
    for name, colour in zip(digit_sets, ("tab:blue", "tab:green", "tab:purple"), strict=False):
        if name in scores:
            ax.hist(
                log_odds(scores[name]),
                bins,
                density=True,
                histtype="step",
                linewidth=1.8,
                color=colour,
                label=f"{name} digits ({len(scores[name])})",
            )
    ax.axvline(log_odds(np.array(threshold)), color="black", linestyle="--", label=f"threshold {threshold}")
    ax.set(
        yscale="log",
        xlabel="not-a-digit score, log-odds  log(p / (1 - p))",
        ylabel="density",
        title="Digits score low, non-digits high: the threshold separates them",
    )
    ax.legend(fontsize=8, loc="upper center")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
