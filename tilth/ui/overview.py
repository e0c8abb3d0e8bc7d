"""The workspace at a glance: runs with their steps (rows, bytes, seconds), and datasets with versions."""

from __future__ import annotations

import json
from typing import Any

from tilth.storage.runs import steps
from tilth.storage.workspace import view_name
from tilth.ui.store import Store


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
    return value.get("name", value.get("type", spec)) if isinstance(value, dict) else str(value)


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
