"""Turn ordered rule violations into (keep mask, reasons), vectorised.

Why ordered: the reference filters stop at the first failing rule, so the reason recorded for a dropped
document is the first rule (in the filter's published order) that it fails; the decision itself does not
depend on the order.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pyarrow as pa


def first_failure(rules: list[tuple[str, np.ndarray | None]], n: int) -> tuple[np.ndarray, list[str | None]]:
    """rules: (reason, violated mask or None when the rule is disabled), in order of precedence."""
    active = [(r, np.asarray(m, bool)) for r, m in rules if m is not None]
    if not active:
        return np.ones(n, bool), [None] * n
    stacked = np.vstack([m for _, m in active])
    failed = stacked.any(axis=0)
    first = stacked.argmax(axis=0)
    names = [r for r, _ in active]
    reasons: list[str | None] = [None] * n
    for i in np.flatnonzero(failed):
        reasons[i] = names[first[i]]
    return ~failed, reasons


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as float, NaN where den is 0 (a NaN never violates a threshold)."""
    num = np.asarray(num, float)
    den = np.asarray(den, float)
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def gt(x: np.ndarray, limit: float | None) -> np.ndarray | None:
    return None if limit is None else np.nan_to_num(x, nan=-np.inf) > limit


def lt(x: np.ndarray, limit: float | None) -> np.ndarray | None:
    return None if limit is None else np.nan_to_num(x, nan=np.inf) < limit


def data_lines(name: str) -> list[str]:
    """Non-comment lines of a word list shipped in tilth/ops/process/data/."""
    text = resources.files("tilth.ops.process").joinpath("data", name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def sentence_terminal_class() -> str:
    """An RE2 character class of the Unicode Sentence_Terminal characters."""
    chars = "".join(chr(int(h, 16)) for h in data_lines("sentence_terminal.txt"))
    return "[" + "".join("\\" + c if c in "\\]^-[" else c for c in chars) + "]"


def as_scores(cols: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    """Score columns as Arrow arrays with NaN (an undefined ratio, e.g. of an empty text) stored as null,
    so lineage JSON stays valid and SQL sees a missing value rather than NaN."""
    return {k: pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
            for k, v in cols.items()}
