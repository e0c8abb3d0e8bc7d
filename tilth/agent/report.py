"""The agent's report: what was asked, what was planned and why, what validation and the run found.

Written as report.json (for scripts) and report.md (for people) next to the exported dataset. Basic
statistics of the output come from DuckDB over the export; if the plan had a statistics operator its
JSON is included, and the workspace's HTML run report is written too when that module is present.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from tilth.agent.plan import Plan
from tilth.agent.validation import Validation
from tilth.storage.sql import quote_ident, quote_literal


def output_stats(path: Path, text: str = "text") -> dict[str, Any]:
    """Rows, columns, text length in words/chars, augmented rows and numeric column means of a JSONL file."""
    import duckdb

    con = duckdb.connect()
    try:
        # views take no parameters: the path is a quoted literal, column names quoted identifiers
        con.execute(f"CREATE TEMP VIEW rel AS SELECT * FROM read_json({quote_literal(str(path))}, "
                    "format='newline_delimited')")
        desc = con.execute("DESCRIBE rel").fetchall()
        cols = [d[0] for d in desc]
        types = {d[0]: str(d[1]) for d in desc}
        out: dict[str, Any] = {"rows": int(con.execute("SELECT count(*) FROM rel").fetchone()[0]), "columns": cols}
        if text in cols:
            t = quote_ident(text)
            r = con.execute(f"SELECT avg(length({t})), min(length({t})), max(length({t})), "
                            f"avg(len(string_split_regex(trim({t}), '\\s+'))) FROM rel").fetchone()
            out["text_chars"] = {"mean": round(r[0] or 0, 2), "min": r[1], "max": r[2]}
            out["text_words_mean"] = round(r[3] or 0, 2)
            out["distinct_text"] = int(con.execute(f"SELECT count(DISTINCT {t}) FROM rel").fetchone()[0])
        if "_parent_id" in cols:
            out["augmented_rows"] = int(con.execute("SELECT count(*) FROM rel WHERE _parent_id IS NOT NULL").fetchone()[0])
        numeric = [c for c in cols if not c.startswith("_") and types[c] in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT")]
        if numeric:
            r = con.execute("SELECT " + ", ".join(f"avg({quote_ident(c)})" for c in numeric) + " FROM rel").fetchone()
            out["means"] = {c: round(v, 4) for c, v in zip(numeric, r, strict=True) if v is not None}
        return out
    finally:
        con.close()


MAX_CATEGORIES = 20  # a column with more distinct values is reported as numbers or left out as free text


def added_columns(result, limit: int = 10) -> list[dict[str, Any]]:
    """The columns the run's steps added (a language, a score, a label), each described over every row its
    step saw: the kept rows from the step's parts and the dropped ones from their lineage scores. So "keep
    English and tell me the language distribution" is answered with every language, not only English."""
    import pyarrow.parquet as pq

    from tilth.ops import registry
    from tilth.storage import Workspace
    from tilth.storage.parts import list_parts

    out: list[dict[str, Any]] = []
    ws = Workspace(result.workspace, read_only=True)
    before: set[str] | None = None
    for s in result.steps:
        parts = list_parts(s.directory)
        names = pq.read_schema(parts[0]).names if parts else []
        new = [c for c in names if before is not None and c not in before and not c.startswith("_")]
        before = set(names)
        try:
            if registry.get(s.operator).reshapes:
                continue  # a renamed column holds nothing new
        except registry.UnknownOperator:  # (a reader, or an operator no longer registered)
            pass
        for col in new[: max(0, limit - len(out))]:
            d = _describe(ws, result.run, s, parts, col)
            if d:
                out.append(d)
    return out


def _describe(ws, run: str, step, parts: list[Path], col: str) -> dict[str, Any] | None:
    files = "[" + ", ".join(quote_literal(str(p)) for p in parts) + "]"
    c = quote_ident(col)
    with ws.connect() as con:
        kind = con.execute(f"SELECT typeof({c}) FROM read_parquet({files}) WHERE {c} IS NOT NULL LIMIT 1").fetchone()
        if kind is None:
            return None
        numeric = kind[0] in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DECIMAL", "HUGEINT")
        cast = "DOUBLE" if numeric else "VARCHAR"
        con.execute(f"CREATE OR REPLACE TEMP VIEW seen AS SELECT CAST({c} AS {cast}) AS v, true AS kept "
                    f"FROM read_parquet({files}) UNION ALL SELECT TRY_CAST(json_extract_string(scores, "
                    f"{quote_literal('$.' + json.dumps(col))}) AS {cast}), false FROM lineage WHERE run = {quote_literal(run)} "
                    f"AND step_index = {int(step.index)} AND action = 'drop'")  # views take no parameters
        rows, kept = con.execute("SELECT count(*), count(*) FILTER (WHERE kept) FROM seen").fetchone()
        base = {"column": col, "step": step.name, "rows": rows, "kept": kept}
        distinct, fractional = con.execute(f"SELECT count(DISTINCT v), {'bool_or(v != round(v))' if numeric else 'false'} "
                                           "FROM seen").fetchone()
        if distinct <= MAX_CATEGORIES and not fractional:  # labels, or whole numbers such as a 1-5 grade
            label = "CAST(CAST(v AS BIGINT) AS VARCHAR)" if numeric else "v"  # a grade 3, not 3.0
            counts = con.execute(f"SELECT coalesce({label}, '(none)'), count(*), "
                                 "count(*) FILTER (WHERE kept) FROM seen GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
            return {**base, "values": [{"value": v, "rows": n, "kept": k} for v, n, k in counts]}
        if numeric:
            r = con.execute("SELECT avg(v), min(v), quantile_cont(v, 0.25), median(v), quantile_cont(v, 0.75), "
                            "max(v), avg(v) FILTER (WHERE kept) FROM seen").fetchone()
            keys = ("mean", "min", "p25", "median", "p75", "max", "mean_kept")
            return {**base, "numbers": {k: None if v is None else round(float(v), 4) for k, v in zip(keys, r, strict=True)}}
        return None  # free text (a rewrite, a generated answer): its rows are the dataset itself


def html_report(result, out_dir: Path) -> str | None:
    """The workspace's HTML run report: the runner's own if it wrote one, else written here if possible."""
    if getattr(result, "report", None):
        return str(result.report)
    try:
        from tilth.report import write_report as write_html
        from tilth.storage import Workspace

        return str(write_html(Workspace(result.workspace, read_only=True), result.run, out_dir / "report.html"))
    except Exception:  # the HTML report is a bonus; its absence must not fail the agent
        return None


def write_report(plan: Plan, validation: Validation | None, result, out_dir: Path, recipe_path: str | None,
                 log: list[str]) -> dict[str, Any]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rep: dict[str, Any] = {
        "request": plan.request, "planner": plan.planner, "recipe": recipe_path,
        "steps": [{"op": s.op, "params": s.params, "why": s.why} for s in plan.steps],
        "notes": plan.notes,
        "validation": {"ok": bool(validation and validation.ok), "dry_run": bool(validation and validation.dry_run),
                       "sample_rows": validation.sample_rows if validation else [],
                       "problems": [str(p) for p in validation.problems] if validation else [],
                       "warnings": list(validation.warnings) if validation else []},
        "log": log, "executed": result is not None,
    }
    if result is not None:
        rep["run"] = {"name": result.run, "seconds": round(result.seconds, 2), "steps": [
            {"step": s.name, "rows_in": s.rows_in, "rows_out": s.rows_out, "dropped": s.dropped, "added": s.added,
             "modified": s.modified, "quarantined": s.quarantined} for s in result.steps]}
        rep["quarantined"] = sum(s.quarantined for s in result.steps)
        rep["workspace"] = str(result.workspace)
        rep["dataset"] = str(result.export) if result.export else None
        if result.export:
            rep["stats"] = output_stats(Path(result.export))
        for s in result.steps:
            f = Path(s.directory) / "_scratch" / "dataset_stats.json"
            if f.exists() and s.operator == "dataset_stats":  # (the runner's own overview writes one per step)
                rep.setdefault("dataset_stats", {})[s.name] = json.loads(f.read_text())
        try:
            rep["added_columns"] = added_columns(result)
        except Exception as e:  # a summary problem must not fail a finished run; say so in the report
            rep["added_columns_error"] = f"{type(e).__name__}: {e}"
        rep["html_report"] = html_report(result, out_dir)
        rep["answers"] = result.answers
    (out_dir / "report.json").write_text(json.dumps(rep, indent=2, default=str))
    (out_dir / "report.md").write_text(markdown(rep))
    return rep


def markdown(rep: dict[str, Any]) -> str:
    lines = ["# Data Agent report", "", f"Request: {rep['request']}", "", f"Planner: {rep['planner']}; recipe: "
             f"`{rep['recipe']}`", "", "## Plan", "", "| # | operator | parameters | why |", "|---|---|---|---|"]
    for i, s in enumerate(rep["steps"], 1):
        params = ", ".join(f"{k}={v!r}" for k, v in s["params"].items()).replace("|", "\\|")
        lines.append(f"| {i} | `{s['op']}` | {params or '(defaults)'} | {s['why'].replace('|', '/')} |")
    lines += ["", *[f"- note: {n}" for n in rep["notes"]], "", "## Validation", ""]
    v = rep["validation"]
    lines.append(f"ok: {v['ok']}, dry run on the sample: {v['dry_run']}, rows per step on the sample: {v['sample_rows']}")
    lines += [f"- problem: {p}" for p in v["problems"]]
    if rep.get("run"):
        lines += ["", "## Run", "", "| step | in | out | dropped | added | quarantined |", "|---|---|---|---|---|---|"]
        for s in rep["run"]["steps"]:
            lines.append(f"| {s['step']} | {s['rows_in']} | {s['rows_out']} | {s['dropped']} | {s['added']} | "
                         f"{s.get('quarantined', 0)} |")
        if rep.get("quarantined"):
            lines += ["", quarantine_line(rep)]
        lines += ["", f"Dataset: `{rep.get('dataset')}`"]
        if rep.get("answers"):
            from tilth.report.answers import answer_lines

            lines += ["", "## Answers", "", "```", *answer_lines(rep["answers"], max_rows=50), "```"]
        if rep.get("added_columns"):
            lines += ["", "## Added columns", "", "Each over every row its step saw (kept and dropped):", ""]
            lines += [describe_line(d) for d in rep["added_columns"]]
        for step, stats in rep.get("dataset_stats", {}).items():
            lines += ["", f"## Statistics from {step}", ""]
            if (line := stats_line(step, stats)) is not None:
                lines += [line, ""]
            lines += ["```json", json.dumps(stats, indent=2), "```"]
        lines += ["", "## Statistics of the output", "", "```json", json.dumps(rep.get("stats", {}), indent=2), "```"]
    return "\n".join(lines) + "\n"


def describe_line(d: dict[str, Any], markdown: bool = True) -> str:
    """One line: `lang` (01_lang_id, 65 rows, 24 kept): en 24 (37%, 24 kept), fr 22 (34%, 0 kept); a markdown
    list item, or plain text for a terminal."""
    col = f"- `{d['column']}`" if markdown else d["column"]
    head = f"{col} ({d['step']}, {d['rows']} rows, {d['kept']} kept): "
    if "values" in d:
        total = max(d["rows"], 1)
        return head + ", ".join(f"{v['value']} {v['rows']} ({100 * v['rows'] / total:.0f}%, {v['kept']} kept)"
                                for v in d["values"][:10]) + (" …" if len(d["values"]) > 10 else "")
    n = d["numbers"]
    return head + ", ".join(f"{k} {v:g}" for k, v in n.items() if v is not None)


def stats_line(step: str, stats: dict[str, Any], markdown: bool = True) -> str | None:
    """dataset_stats' breakdown in one line: `lang` (02_dataset_stats, 42 rows): en 27 (64%), de 4 (10%), …"""
    domains = stats.get("domains")
    if not domains:
        return None
    col = f"- `{stats.get('domain_field')}`" if markdown else stats.get("domain_field")
    shown = ", ".join(f"{d['domain']} {d['rows']} ({100 * d['share']:.0f}%"
                      + (f", {d['mean_words']:.1f} words on average" if "mean_words" in d else "") + ")"
                      for d in domains)  # (every one: dataset_stats sums those past its top_domains into "other";
    return f"{col} ({step}, {stats.get('rows')} rows): {shown}"  # a count per reason asked for is every reason's count)


def quarantine_line(rep: dict[str, Any]) -> str:
    """Records that could not be read are not in the dataset: say how many, and where they are."""
    run = rep["run"]["name"].replace("'", "''")
    return (f"{rep['quarantined']} input records were quarantined (not in the dataset): "
            f"tilth sql -w {shlex.quote(rep.get('workspace', '.'))} "
            f"\"SELECT file, line, error FROM quarantine WHERE run = '{run}'\"")
