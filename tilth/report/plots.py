"""The report's figures: matplotlib (Agg, no display) rendered to PNG `data:` URIs for a self-contained page.

Every function takes already-aggregated numbers (counts, bin edges), never raw rows.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

KEPT, DROPPED, ACCENT = "#4C78A8", "#E45756", "#222222"


def to_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def funnel(steps: list[tuple[str, int]]) -> str:
    """Rows remaining after each step, top to bottom, labelled with the count and share of the input."""
    labels = [s for s, _ in steps][::-1]
    rows = [n for _, n in steps][::-1]
    first = steps[0][1] if steps and steps[0][1] else 1
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(steps) + 1))
    bars = ax.barh(labels, rows, color=KEPT)
    for bar, n in zip(bars, rows, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {n:,} ({n / first:.0%})",
                va="center", fontsize=9)
    ax.set_xlabel("rows out")
    ax.set_xlim(0, max(rows + [1]) * 1.25)
    ax.set_title("Rows after each step")
    ax.spines[["top", "right"]].set_visible(False)
    return to_data_uri(fig)


def reason_bars(drops: list[dict[str, Any]]) -> str:
    """Dropped rows per (step, reason kind)."""
    labels = [f"{d['step']}: {_short(d['reason'], 50)}" for d in drops][::-1]
    counts = [d["rows"] for d in drops][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(drops) + 1))
    bars = ax.barh(labels, counts, color=DROPPED)
    for bar, n in zip(bars, counts, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {n:,}", va="center", fontsize=9)
    ax.set_xlim(0, max(counts + [1]) * 1.2)
    ax.set_xlabel("rows dropped")
    ax.set_title("Dropped rows per step and reason")
    ax.spines[["top", "right"]].set_visible(False)
    return to_data_uri(fig)


def histogram(hist: dict[str, Any], title: str, thresholds: list[tuple[str, str, Any]] = ()) -> str:
    """Stacked kept/dropped histogram with a vertical line per threshold ('min', '>=', 5)."""
    edges = hist["edges"]
    lefts, widths = edges[:-1], [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(lefts, hist["kept"], width=widths, align="edge", color=KEPT, label="kept")
    if any(hist["dropped"]):
        ax.bar(lefts, hist["dropped"], width=widths, align="edge", bottom=hist["kept"], color=DROPPED,
               label="dropped")
    for param, direction, value in thresholds:
        label = f"{param}={value} (keep if {direction})"
        if edges[0] <= value <= edges[-1]:
            ax.axvline(value, color=ACCENT, linestyle="--", linewidth=1.5, label=label)
        else:
            ax.plot([], [], " ", label=label + ", off scale")
    ax.set_title(title, fontsize=10)
    above = hist.get("above", 0)
    ax.set_xlabel(hist["column"] + (f"  (last bin also holds {above:,} rows > {hist['top']:.4g})" if above else ""))
    ax.set_ylabel("rows")
    if any(hist["dropped"]) or thresholds:
        ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return to_data_uri(fig)


def domains(series: dict[str, list[dict[str, Any]]]) -> str:
    """Share of rows per domain at one or more points of the run (e.g. input and output), side by side:
    shares, not counts, so a point with few rows left is still comparable."""
    names: list[str] = []
    for items in series.values():
        for d in items:
            if d["domain"] not in names:
                names.append(d["domain"])
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(names) * max(1, len(series)) + 1.2))
    height = 0.8 / max(1, len(series))
    colors = [KEPT, "#72B7B2", "#F58518", "#54A24B"]
    for k, (label, items) in enumerate(series.items()):
        shares = {d["domain"]: 100 * d["share"] for d in items}
        ys = [len(names) - 1 - i + (k - (len(series) - 1) / 2) * height for i in range(len(names))]
        total = sum(d["rows"] for d in items)
        ax.barh(ys, [shares.get(n, 0) for n in names], height=height, label=f"{label} ({total:,} rows)",
                color=colors[k % len(colors)])
    ax.set_yticks(range(len(names)), [_short(n, 40) for n in names][::-1])
    ax.set_xlabel("% of rows")
    ax.set_title("Domain distribution")
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return to_data_uri(fig)


def _short(s: str, n: int) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"
