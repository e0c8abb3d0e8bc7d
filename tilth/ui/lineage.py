"""What happened to rows: a run's funnel and drop reasons, the rows behind a reason, one row's path through
the steps (dropped why, changed how), and the records quarantined at ingest. All from the `lineage`,
`quarantine` and step tables the runner commits, and from the step views (each step's output)."""

from __future__ import annotations

import json
from typing import Any

from tilth.report.plots import funnel, reason_bars
from tilth.report.queries import REASON_KIND, drops_by_reason
from tilth.storage.sql import quote_ident
from tilth.ui.browse import CELL_CHARS
from tilth.ui.overview import steps
from tilth.ui.store import Store, jsonable


def run_summary(store: Store, run: str) -> dict[str, Any]:
    """The run, its steps, its drop reasons (by kind) and the funnel and reason figures (inline SVG)."""
    with store.reading() as ws:
        info = ws.sql("SELECT run, status, started_at, finished_at, epoch(finished_at - started_at) AS seconds "
                      "FROM runs WHERE run = ?", [run]).to_pylist()
        if not info:
            raise KeyError(f"no run {run!r} in this workspace")
        st = steps(ws, run)
        drops = drops_by_reason(ws, run)
        quarantined = ws.sql("SELECT count(*) FROM quarantine WHERE run = ?", [run]).column(0)[0].as_py()
    figures = [funnel([(s["step"], s["rows_out"] or 0) for s in st])] if st else []
    if drops:
        figures.append(reason_bars(drops))
    return {**info[0], "steps": st, "drops": drops, "quarantined": quarantined, "figures": figures}


def _text_column(ws, view: str) -> str | None:
    names = ws.sql(f"DESCRIBE SELECT * FROM {quote_ident(view)}").column("column_name").to_pylist()
    return "text" if "text" in names else None


def dropped(store: Store, run: str, step_index: int, reason: str, page_no: int = 1, size: int = 25) -> dict[str, Any]:
    """The rows a step dropped for one reason kind (as drops_by_reason names it), with their text as the
    step received it."""
    with store.reading() as ws:
        st = steps(ws, run)
        if not 0 < step_index < len(st):
            raise KeyError(f"run {run!r} has no step {step_index}")
        src = st[step_index - 1]["view"]
        text = _text_column(ws, src)
        text_sql = f"left(v.{quote_ident(text)}, {CELL_CHARS})" if text else "NULL"
        base = (f"FROM lineage l LEFT JOIN {quote_ident(src)} v ON v._id = l._id WHERE l.run = ? AND "
                f"l.step_index = ? AND l.action = 'drop' AND {REASON_KIND.replace('reason', 'l.reason')} = ?")
        args = [run, step_index, reason]
        total = ws.sql(f"SELECT count(*) {base}", args).column(0)[0].as_py()
        rows = ws.sql(f"SELECT l._id, l.reason, l.duplicate_of, l.scores, {text_sql} AS text {base} "
                      "ORDER BY l._id LIMIT ? OFFSET ?", [*args, size, (max(1, page_no) - 1) * size]).to_pylist()
    for r in rows:
        r["scores"] = json.loads(r["scores"]) if r["scores"] else None
    return {"run": run, "step": st[step_index]["step"], "step_index": step_index, "reason": reason,
            "total": total, "page": page_no, "size": size, "rows": jsonable(rows)}


def quarantine(store: Store, run: str, page_no: int = 1, size: int = 50) -> dict[str, Any]:
    with store.reading() as ws:
        total = ws.sql("SELECT count(*) FROM quarantine WHERE run = ?", [run]).column(0)[0].as_py()
        rows = ws.sql("SELECT file, line, error, left(raw, 500) AS raw FROM quarantine WHERE run = ? "
                      "ORDER BY file, line LIMIT ? OFFSET ?", [run, size, (max(1, page_no) - 1) * size]).to_pylist()
    return {"run": run, "total": total, "page": page_no, "size": size, "rows": jsonable(rows)}


def runs_with(store: Store, row_id: int) -> list[str]:
    """Runs that saw this `_id`: in their lineage, or read by their first step."""
    with store.reading() as ws:
        found = set(ws.sql("SELECT DISTINCT run FROM lineage WHERE _id = ?", [row_id]).column(0).to_pylist())
        for run in ws.sql("SELECT run FROM runs ORDER BY run").column(0).to_pylist():
            if run in found:
                continue
            st = steps(ws, run)
            if st and ws.sql(f"SELECT 1 FROM {quote_ident(st[0]['view'])} WHERE _id = ? LIMIT 1", [row_id]).num_rows:
                found.add(run)
    return sorted(found)


def row_path(store: Store, row_id: int, run: str) -> dict[str, Any]:
    """One row through one run: read, kept, modified (columns before and after), added, or dropped (reason,
    scores, duplicate of), step by step; and the row itself as it was last seen."""
    with store.reading() as ws:
        st = steps(ws, run)
        if not st:
            raise KeyError(f"no run {run!r} in this workspace")
        events = {r["step_index"]: r for r in ws.sql(
            "SELECT step_index, action, reason, duplicate_of, scores FROM lineage WHERE run = ? AND _id = ?",
            [run, row_id]).to_pylist()}

        def row_at(view: str) -> dict[str, Any] | None:
            found = ws.sql(f"SELECT * FROM {quote_ident(view)} WHERE _id = ? LIMIT 1", [row_id]).to_pylist()
            return found[0] if found else None

        path: list[dict[str, Any]] = []
        last = row_at(st[0]["view"])
        alive = last is not None
        path.append({"step": st[0]["step"], "operator": st[0]["operator"], "status": "read" if alive else "absent"})
        for prev, s in zip(st, st[1:], strict=False):
            e = events.get(s["step_index"])
            item: dict[str, Any] = {"step": s["step"], "operator": s["operator"], "view": s["view"]}
            if e is None:
                item["status"] = "kept" if alive else "absent"
            elif e["action"] == "drop":
                item.update(status="dropped", reason=e["reason"], duplicate_of=e["duplicate_of"],
                            scores=json.loads(e["scores"]) if e["scores"] else None)
                last = row_at(prev["view"]) or last  # the row as the dropping step received it
                alive = False
            elif e["action"] == "modify":
                after = row_at(s["view"])
                item.update(status="modified", changes=_changes(row_at(prev["view"]) or {}, after or {}))
                last = after
            elif e["action"] == "add":
                last = row_at(s["view"])
                alive = last is not None
                item.update(status="added", parent=e["duplicate_of"])
            else:
                item["status"] = e["action"]
            path.append(item)
        if alive and st[-1]["kind"] != "reader":
            last = row_at(st[-1]["view"]) or last  # with the columns later steps added
    status = next((p["status"] for p in path if p["status"] == "dropped"), "kept" if alive else "absent")
    return {"run": run, "_id": str(row_id), "status": status, "path": jsonable(path), "row": jsonable(last)}  # ids pass 2**53


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Columns a mapper changed (before, after) and columns it added (before is None)."""
    out = []
    for k, v in after.items():
        if k == "_id":
            continue
        if k not in before:
            out.append({"column": k, "before": None, "after": v, "added": True})
        elif before[k] != v:
            out.append({"column": k, "before": before[k], "after": v, "added": False})
    return out
