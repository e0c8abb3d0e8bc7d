"""A run's steps as the catalog records them, each with the SQL view of its output: shared by the UI and by
the classifier (which reads a run's input rows and its lineage)."""

from __future__ import annotations

from typing import Any

from tilth.storage.workspace import view_name

STEPS_SQL = """
SELECT r.run, r.step_index, r.step, r.operator, r.kind, s.rows_in, s.rows_out, s.rows_dropped, s.rows_modified,
       s.rows_added, s.rows_quarantined, s.bytes_in, s.bytes_out, s.seconds, s.peak_rss_mb
FROM run_steps r LEFT JOIN step_stats s ON s.run = r.run AND s.step_key = r.step_key
WHERE r.run = ? ORDER BY r.step_index"""


def steps(ws, run: str) -> list[dict[str, Any]]:
    """A run's steps in order, each with `view`, the SQL view of its output."""
    rows = ws.sql(STEPS_SQL, [run]).to_pylist()
    for s in rows:
        s["view"] = view_name(f"{run}__{s['step']}")
    return rows
