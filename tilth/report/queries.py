"""What the report shows about a run, read from the workspace catalog with SQL.

Drop reasons are grouped by their *kind*: filters write reasons as `<score>=<value> <op> <param>=<limit>`
(e.g. `words=3 < min=5`), so the per-row value is removed (`words < min=5`) to count rows per rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tilth.ops.base import Operator
from tilth.pipeline.recipe import Recipe
from tilth.storage.sql import quote_ident
from tilth.storage.workspace import Workspace, view_name

# `words=3 < min=5` -> `words < min=5`; reasons without a `name=value <op>` part are kept as they are.
REASON_KIND = r"regexp_replace(reason, '([A-Za-z_][A-Za-z0-9_]*)=\S+(\s*[<>]=?)', '\1\2', 'g')"



@dataclass
class StepInfo:
    index: int
    step: str
    operator: str
    kind: str
    view: str
    path: str
    stats: dict[str, Any]
    op: Operator | None = None  # rebuilt from the recipe (params, thresholds), when possible
    columns: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)  # integer or floating columns: the ones to histogram


def run_info(ws: Workspace, run: str) -> dict[str, Any]:
    rows = ws.sql("SELECT * FROM runs WHERE run = ?", [run]).to_pylist()
    if not rows:
        known = ", ".join(ws.sql("SELECT run FROM runs ORDER BY run").column(0).to_pylist()) or "none yet"
        raise KeyError(f"no run {run!r} in workspace {ws.root} (runs: {known})")
    return rows[0]


def _rebuild_ops(recipe_yaml: str) -> list[Operator | None]:
    """Operators of the recipe's steps (index 1..n), so the report knows params and thresholds. A step whose
    operator cannot be rebuilt (plugin gone, operator renamed) is None: its figures lose thresholds, no more."""
    from tilth.ops.registry import build, load_plugin

    try:
        recipe = Recipe.from_yaml(recipe_yaml)
    except Exception:
        return []
    for plugin in recipe.plugins:
        try:
            load_plugin(plugin)
        except Exception:
            pass
    ops: list[Operator | None] = [None]
    for s in recipe.steps:
        try:
            ops.append(build(s.op, s.params))
        except Exception:
            ops.append(None)
    return ops


def steps(ws: Workspace, run: str) -> list[StepInfo]:
    """The run's steps in order with their stats, views and (rebuilt) operators."""
    info = run_info(ws, run)
    ops = _rebuild_ops(info.get("recipe") or "")
    rows = ws.sql(
        "SELECT r.step_index, r.step, r.operator, r.kind, r.path, s.* EXCLUDE (run, step_index, step, operator, "
        "step_key) FROM run_steps r LEFT JOIN step_stats s ON s.run = r.run AND s.step_key = r.step_key "
        "WHERE r.run = ? ORDER BY r.step_index", [run]
    ).to_pylist()
    out: list[StepInfo] = []
    for r in rows:
        i = r["step_index"]
        view = view_name(f"{run}__{r['step']}")
        op = ops[i] if i < len(ops) and ops[i] is not None and ops[i].name == r["operator"] else None
        schema = ws.sql(f"SELECT * FROM {quote_ident(view)} LIMIT 0").schema
        numeric = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
        stats = {k: v for k, v in r.items() if k not in ("step_index", "step", "operator", "kind", "path")}
        out.append(StepInfo(i, r["step"], r["operator"], r["kind"], view, r["path"], stats, op, schema.names, numeric))
    return out


def drops_by_reason(ws: Workspace, run: str) -> list[dict[str, Any]]:
    """Dropped rows per step and reason kind, with the share of that step's input."""
    return ws.sql(
        f"SELECT l.step_index, l.step, {REASON_KIND.replace('reason', 'l.reason')} AS reason, count(*) AS rows, "
        "count(*) / any_value(s.rows_in) AS share_of_step_input "
        "FROM lineage l JOIN step_stats s ON s.run = l.run AND s.step_key = l.step_key "
        "WHERE l.run = ? AND l.action = 'drop' GROUP BY ALL ORDER BY l.step_index, rows DESC, reason", [run]
    ).to_pylist()


def score_columns(step: StepInfo) -> list[str]:
    """Score columns a filter step carries: its declared outputs that are numeric columns of its view."""
    if step.kind != "filter":
        return []
    names = step.op.output_columns() if step.op is not None else []
    return [c for c in names if c in step.numeric]


def text_column(columns: list[str]) -> str | None:
    return "text" if "text" in columns else None


def dropped_examples(ws: Workspace, run: str, step: StepInfo, input_step: StepInfo, per_reason: int = 3,
                     chars: int = 300) -> list[dict[str, Any]]:
    """Up to `per_reason` dropped rows per reason kind, with their (truncated) text from the step's input."""
    text = text_column(input_step.columns)
    text_sql = f"left(CAST(v.{quote_ident(text)} AS VARCHAR), {int(chars)})" if text else "NULL"
    return ws.sql(
        f"WITH d AS (SELECT _id, reason, duplicate_of, {REASON_KIND} AS kind, "
        "row_number() OVER (PARTITION BY " + REASON_KIND + " ORDER BY _id) AS rn "
        "FROM lineage WHERE run = ? AND step_index = ? AND action = 'drop') "
        f"SELECT d.kind, d.reason, d._id, d.duplicate_of, {text_sql} AS text, "
        f"length(CAST({'v.' + quote_ident(text) if text else 'NULL'} AS VARCHAR)) AS text_chars "
        f"FROM d JOIN {quote_ident(input_step.view)} v ON v._id = d._id WHERE d.rn <= ? ORDER BY d.kind, d._id",
        [run, step.index, per_reason],
    ).to_pylist()


def quarantine_summary(ws: Workspace, run: str, examples: int = 5) -> dict[str, Any]:
    by_file = ws.sql(
        "SELECT file, count(*) AS records FROM quarantine WHERE run = ? GROUP BY 1 ORDER BY 2 DESC, 1", [run]
    ).to_pylist()
    sample = ws.sql(
        "SELECT file, line, left(error, 200) AS error, left(raw, 200) AS raw FROM quarantine WHERE run = ? "
        "ORDER BY file, line LIMIT ?", [run, examples]
    ).to_pylist()
    return {"total": sum(r["records"] for r in by_file), "by_file": by_file, "examples": sample}
