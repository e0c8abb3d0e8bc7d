"""Agreement of automatic decisions with human labels: Cohen's kappa, the confusion matrix, and the
threshold on a score that agrees best with the labels. Pure functions over Python lists."""

from __future__ import annotations

from typing import Any

CLASSES = ("keep", "drop")


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters over the same items: 1 perfect, 0 chance level, < 0 worse than chance.
    None with fewer than two items. When both raters use one class only, kappa is 1 if they agree."""
    n = len(a)
    if n != len(b):
        raise ValueError("cohen_kappa: the raters labelled different numbers of items")
    if n < 2:
        return None
    classes = sorted(set(a) | set(b))
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in classes)
    if pe >= 1:
        return 1.0 if po == 1 else 0.0
    return (po - pe) / (1 - pe)


def confusion(human: list[str], auto: list[str]) -> dict[str, dict[str, int]]:
    """{human label: {automatic decision: count}} over keep/drop."""
    out = {h: dict.fromkeys(CLASSES, 0) for h in CLASSES}
    for h, a in zip(human, auto, strict=True):
        out[h][a] += 1
    return out


def best_threshold(values: list[float], human: list[str]) -> dict[str, Any] | None:
    """The cut on a score that best reproduces the human keep/drop labels: direction (keep if >= or <=),
    threshold (midway between two neighbouring values), its kappa and accuracy. Ties go to the cut that
    keeps more rows (dropping is the decision that loses data)."""
    pairs = sorted((v, h) for v, h in zip(values, human, strict=True) if v is not None)
    if len(pairs) < 2 or len({h for _, h in pairs}) < 2:
        return None
    distinct = sorted({v for v, _ in pairs})
    cuts = [distinct[0] - 1.0] + [(x + y) / 2 for x, y in zip(distinct, distinct[1:], strict=False)] + [distinct[-1] + 1.0]
    labels = [h for _, h in pairs]
    best: dict[str, Any] | None = None
    for direction in (">=", "<="):
        for t in cuts:
            auto = ["keep" if (v >= t if direction == ">=" else v <= t) else "drop" for v, _ in pairs]
            k = cohen_kappa(labels, auto)
            kept = auto.count("keep")
            key = (round(k if k is not None else -2, 9), kept)
            if best is None or key > best["_key"]:
                acc = sum(x == y for x, y in zip(labels, auto, strict=True)) / len(labels)
                best = {"direction": direction, "threshold": t, "kappa": k, "accuracy": acc, "n": len(pairs),
                        "kept": kept, "_key": key}
    assert best is not None
    best.pop("_key")
    return best
