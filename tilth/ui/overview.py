"""The workspace at a glance: runs with their steps (rows, bytes, seconds), and datasets with versions."""

from __future__ import annotations

import json
from typing import Any

from tilth.storage.workspace import view_name
from tilth.ui.store import Store

STEPS_SQL = """
SELECT r.run, r.step_index, r.step, r.operator, r.kind, s.rows_in, s.rows_out, s.rows_dropped, s.rows_modified,
       s.rows_added, s.rows_quarantined, s.bytes_in, s.bytes_out, s.seconds, s.peak_rss_mb
FROM run_steps r LEFT JOIN step_stats s ON s.run = r.run AND s.step_key = r.step_key
WHERE r.run = ? ORDER BY r.step_index"""


def runs(store: Store) -> list[dict[str, Any]]:
    """Every run, newest first, with its steps (each carrying its SQL view and statistics)."""
    with store.reading() as ws:
        out = ws.sql("SELECT run, status, executor, started_at, finished_at, "
                     "epoch(finished_at - started_at) AS seconds FROM runs ORDER BY started_at DESC, run").to_pylist()
        for r in out:
            r["executor"] = executor_name(r["executor"])
            r["steps"] = steps(ws, r["run"])
            r["rows_in"] = r["steps"][0]["rows_out"] if r["steps"] else None
            r["rows_out"] = r["steps"][-1]["rows_out"] if r["steps"] else None
    return out


def executor_name(spec: str | None) -> str | None:
    """The runs table keeps the recipe's executor as JSON ('"local"' or '{"name": "ray", ...}'): show its name."""
    if spec is None:
        return None
    try:
        value = json.loads(spec)
    except ValueError:
        return spec
    return value.get("name", spec) if isinstance(value, dict) else str(value)


def steps(ws, run: str) -> list[dict[str, Any]]:
    """A run's steps in order (inside Store.reading())."""
    rows = ws.sql(STEPS_SQL, [run]).to_pylist()
    for s in rows:
        s["view"] = view_name(f"{run}__{s['step']}")
    return rows


def datasets(store: Store) -> list[dict[str, Any]]:
    """Datasets a recipe wrote as its output (not the per-step views), with every version."""
    rows = store.rows("SELECT name, version, rows, bytes, run, step, created_at FROM datasets ORDER BY name, version")
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["run"] and r["step"] and r["name"] == view_name(f"{r['run']}__{r['step']}"):
            continue  # a step's own version: shown under its run
        d = out.setdefault(r["name"], {"name": r["name"], "view": view_name(r["name"]), "versions": []})
        d["versions"].append(r)
        d.update(rows=r["rows"], bytes=r["bytes"], run=r["run"], latest=r["version"], updated=r["created_at"])
    return list(out.values())
