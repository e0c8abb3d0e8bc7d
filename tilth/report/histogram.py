"""Histograms binned in DuckDB, so only bin counts (not the rows) reach Python.

A long right tail (the top 1% of values spanning more than the other 99%) would squash every other bar
into one, so then the axis ends at the 99th percentile and the last bin also holds the rows above it
(unless 99% of the values are the minimum: then nothing is squashed and the axis spans them all).
Thresholds near the data widen the axis so their line is drawn; far-away ones are reported as off scale.
"""

from __future__ import annotations

from typing import Any

from tilth.storage.sql import quote_ident
from tilth.storage.workspace import Workspace


def binned(ws: Workspace, values_sql: str, args: list, column: str, bins: int = 30,
           thresholds: list[float] | None = None) -> dict[str, Any] | None:
    """Counts per bin and status of `values_sql` (columns x numeric, status 'kept' | 'dropped')."""
    return binned_many(ws, f"SELECT x AS x0, status FROM ({values_sql})", args, [column], bins,
                       [thresholds or []])[0]


def binned_many(ws: Workspace, values_sql: str, args: list, columns: list[str], bins: int = 30,
                thresholds: list[list[float]] | None = None) -> list[dict[str, Any] | None]:
    """`binned` for several columns of one source in two scans, not two per column: `values_sql` gives
    columns x0, x1, ... (one per name in `columns`) and status."""
    k = len(columns)
    if not k:
        return []
    thresholds = thresholds or [[] for _ in columns]
    xs = [f"x{i}" for i in range(k)]
    src = f"SELECT {', '.join(f'TRY_CAST({x} AS DOUBLE) AS {x}' for x in xs)}, status FROM ({values_sql})"
    aggs = ", ".join(f"min({x}) FILTER (WHERE isfinite({x})), max({x}) FILTER (WHERE isfinite({x})), "
                     f"quantile_cont({x}, 0.99) FILTER (WHERE isfinite({x})), count({x}) FILTER (WHERE isfinite({x}))"
                     for x in xs)
    r = list(ws.sql(f"SELECT {aggs} FROM ({src})", args).to_pylist()[0].values())
    axes: list[tuple[float, float, float] | None] = []
    for i in range(k):
        lo, hi, p99, n = r[4 * i: 4 * i + 4]
        if not n:
            axes.append(None)
            continue
        top = p99 if hi > p99 > lo and hi - p99 > p99 - lo else hi
        span = (top - lo) or max(abs(lo), 1.0)
        on_scale = [v for v in thresholds[i] if lo - span / 2 <= v <= top + span / 2]
        lo, top = min([lo, *on_scale]), max([top, *on_scale])
        if top <= lo:  # one distinct value: centre it on a unit-wide axis
            lo, top = lo - 0.5, lo + 0.5
        axes.append((lo, top, (top - lo) / bins))
    selects = [
        f"SELECT {i} AS k, least(greatest(CAST(floor(({x} - {lo!r}) / {width!r}) AS INTEGER), 0), {bins - 1}) AS b, "
        f"status, count(*) AS n, count(*) FILTER (WHERE {x} > {top!r}) AS above FROM v WHERE isfinite({x}) GROUP BY ALL"
        for i, (x, axis) in enumerate(zip(xs, axes, strict=True)) if axis is not None
        for lo, top, width in [axis]
    ]
    out: list[dict[str, Any] | None] = [None] * k
    if not selects:
        return out
    rows = ws.sql(f"WITH v AS MATERIALIZED ({src}) " + " UNION ALL ".join(selects), args).to_pylist()
    for i, axis in enumerate(axes):
        if axis is not None:
            lo, top, width = axis
            out[i] = {"column": columns[i], "edges": [lo + j * width for j in range(bins + 1)], "kept": [0] * bins,
                      "dropped": [0] * bins, "above": 0, "top": top}
    for row in rows:
        h = out[row["k"]]
        (h["kept"] if row["status"] == "kept" else h["dropped"])[row["b"]] += row["n"]
        h["above"] += row["above"]
    return out


def score_histogram(ws: Workspace, run: str, step_index: int, view: str, column: str, bins: int = 30,
                    thresholds: list[float] | None = None) -> dict[str, Any] | None:
    """A filter score over ALL rows of its step: kept rows from the step's view, dropped rows from the
    scores JSON that lineage keeps for them."""
    return score_histograms(ws, run, step_index, view, [column], bins, [thresholds or []])[0]


def score_histograms(ws: Workspace, run: str, step_index: int, view: str, columns: list[str], bins: int = 30,
                     thresholds: list[list[float]] | None = None) -> list[dict[str, Any] | None]:
    """score_histogram for every score column of one step, in two scans of its view and lineage."""
    if not columns:
        return []
    kept = ", ".join(f"{quote_ident(c)} AS x{i}" for i, c in enumerate(columns))
    dropped = ", ".join(f"json_extract_string(scores, ?) AS x{i}" for i in range(len(columns)))
    values = (f"SELECT {kept}, 'kept' AS status FROM {quote_ident(view)} UNION ALL "
              f"SELECT {dropped}, 'dropped' FROM lineage WHERE run = ? AND step_index = ? AND action = 'drop'")
    return binned_many(ws, values, [*(f'$."{c}"' for c in columns), run, step_index], columns, bins, thresholds)


def column_histograms(ws: Workspace, view: str, columns: list[str], bins: int = 30) -> list[dict[str, Any] | None]:
    """Numeric columns of a view (e.g. sample_metrics columns); every row counts as kept."""
    values = f"SELECT {', '.join(f'{quote_ident(c)} AS x{i}' for i, c in enumerate(columns))}, 'kept' AS status FROM {quote_ident(view)}"
    return binned_many(ws, values, [], columns, bins)


def column_histogram(ws: Workspace, view: str, column: str, bins: int = 30) -> dict[str, Any] | None:
    return column_histograms(ws, view, [column], bins)[0]
