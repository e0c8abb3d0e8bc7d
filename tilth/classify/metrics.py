"""How well a classifier reproduces its labels: the threshold (chosen on the calibration split, never on
the test split it is judged on), accuracy, precision, recall, F1, Cohen's kappa with the labeller, the
confusion matrix, and the precision-recall curve (numbers and a PNG). Positive class: keep (1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tilth.ui.agreement import cohen_kappa


def pr_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, threshold) for every distinct score used as 'keep if p >= threshold'."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order].astype(np.float64)
    last = np.r_[np.nonzero(np.diff(ps))[0], len(ps) - 1]  # the last index of each distinct score
    tp = np.cumsum(ys)[last]
    kept = last + 1
    return tp / kept, tp / max(ys.sum(), 1), ps[last]


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold with the highest F1 (ties: the lower threshold, which keeps more rows), placed midway
    to the next lower score: a cut exactly at the lowest kept score would drop a test row scored a hair
    below it."""
    prec, rec, thr = pr_curve(y, p)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)[-1]
    return float((thr[best] + thr[best + 1]) / 2 if best + 1 < len(thr) else thr[best])


def at_threshold(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    keep = p >= threshold
    tp, fp = int((keep & (y == 1)).sum()), int((keep & (y == 0)).sum())
    fn, tn = int((~keep & (y == 1)).sum()), int((~keep & (y == 0)).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    labels = ["keep" if v else "drop" for v in y]
    auto = ["keep" if v else "drop" for v in keep]
    return {"n": len(y), "accuracy": (tp + tn) / max(len(y), 1), "precision": prec, "recall": rec,
            "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "kappa": cohen_kappa(labels, auto),
            "confusion": {"keep": {"keep": tp, "drop": fn}, "drop": {"keep": fp, "drop": tn}},
            "kept_share": float(keep.mean()) if len(y) else 0.0}


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    prec, rec, _ = pr_curve(y, p)
    return float(np.sum(np.diff(np.r_[0.0, rec]) * prec))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def plot_pr(y: np.ndarray, p: np.ndarray, threshold: float, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prec, rec, thr = pr_curve(y, p)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.plot(np.r_[0, rec], np.r_[prec[0], prec], drawstyle="steps-post")
    k = int(np.argmin(np.abs(thr - threshold)))
    ax.scatter([rec[k]], [prec[k]], color="red", zorder=3, label=f"threshold {threshold:.3f}")
    ax.axhline(y.mean(), color="grey", ls=":", label=f"base rate {y.mean():.2f}")
    ax.set(xlabel="recall (keep)", ylabel="precision (keep)", xlim=(0, 1.01), ylim=(0, 1.01), title=title)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
