"""Histograms binned in DuckDB, so only bin counts (not the rows) reach Python.

A long right tail (the top 1% of values spanning more than the other 99%) would squash every other bar
into one, so then the axis ends at the 99th percentile and the last bin also holds the rows above it
(unless 99% of the values are the minimum: then nothing is squashed and the axis spans them all).
Thresholds near the data widen the axis so their line is drawn; far-away ones are reported as off scale.
"""

from __future__ import annotations

from typing import Any

from tilth.storage.workspace import Workspace


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def binned(ws: Workspace, values_sql: str, args: list, column: str, bins: int = 30,
           thresholds: list[float] | None = None) -> dict[str, Any] | None:
    """Counts per bin and status of `values_sql` (columns x numeric, status 'kept' | 'dropped')."""
    values_sql = f"SELECT TRY_CAST(x AS DOUBLE) AS x, status FROM ({values_sql})"
    r = ws.sql(f"SELECT min(x), max(x), quantile_cont(x, 0.99), count(x) FROM ({values_sql}) WHERE isfinite(x)",
               args).to_pylist()[0]
    lo, hi, p99, n = r.values()
    if not n:
        return None
    top = p99 if hi > p99 > lo and hi - p99 > p99 - lo else hi
    span = (top - lo) or max(abs(lo), 1.0)
    on_scale = [v for v in thresholds or [] if lo - span / 2 <= v <= top + span / 2]
    lo, top = min([lo, *on_scale]), max([top, *on_scale])
    if top <= lo:  # one distinct value: centre it on a unit-wide axis
        lo, top = lo - 0.5, lo + 0.5
    width = (top - lo) / bins
    rows = ws.sql(
        f"SELECT least(greatest(CAST(floor((x - {lo!r}) / {width!r}) AS INTEGER), 0), {bins - 1}) AS b, status, "
        f"count(*) AS n, count(*) FILTER (WHERE x > {top!r}) AS above FROM ({values_sql}) WHERE isfinite(x) "
        "GROUP BY ALL", args
    ).to_pylist()
    kept, dropped = [0] * bins, [0] * bins
    for row in rows:
        (kept if row["status"] == "kept" else dropped)[row["b"]] += row["n"]
    return {"column": column, "edges": [lo + i * width for i in range(bins + 1)], "kept": kept, "dropped": dropped,
            "above": sum(row["above"] for row in rows), "top": top}


def score_histogram(ws: Workspace, run: str, step_index: int, view: str, column: str, bins: int = 30,
                    thresholds: list[float] | None = None) -> dict[str, Any] | None:
    """A filter score over ALL rows of its step: kept rows from the step's view, dropped rows from the
    scores JSON that lineage keeps for them."""
    values = (
        f"SELECT TRY_CAST({_q(column)} AS DOUBLE) AS x, 'kept' AS status FROM {_q(view)} UNION ALL "
        "SELECT TRY_CAST(json_extract_string(scores, ?) AS DOUBLE), 'dropped' FROM lineage "
        "WHERE run = ? AND step_index = ? AND action = 'drop'"
    )
    return binned(ws, values, [f'$."{column}"', run, step_index], column, bins, thresholds)


def column_histogram(ws: Workspace, view: str, column: str, bins: int = 30) -> dict[str, Any] | None:
    """A numeric column of a view (e.g. a sample_metrics column); every row counts as kept."""
    values = f"SELECT TRY_CAST({_q(column)} AS DOUBLE) AS x, 'kept' AS status FROM {_q(view)}"
    return binned(ws, values, [], column, bins)
