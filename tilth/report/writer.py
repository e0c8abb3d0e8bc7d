"""Write a run's report: `<workspace>/reports/<run>/index.html` (self-contained) plus `stats.json`.

Everything is aggregated in DuckDB (the catalog tables and each step's view) before it reaches Python,
so a report over millions of rows costs a few SQL scans, not memory.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from tilth.ops.evaluate.dataset_stats import DatasetStatsParams
from tilth.report import html as h
from tilth.report import plots, queries
from tilth.report.answers import answer_questions
from tilth.report.histogram import column_histograms, score_histograms
from tilth.report.stats import cached_statistics
from tilth.storage.workspace import Workspace

STEP_COLUMNS = ["step", "operator", "kind", "in", "out", "retained", "dropped", "modified", "added", "quarantined",
                "seconds", "MB in", "MB out", "peak RSS MB"]


def report_dir(ws: Workspace, run: str) -> Path:
    return ws.root / "reports" / run


def write_report(ws: Workspace | str | Path, run: str, out: Path | None = None) -> Path:
    """Build the report of `run` and return the path of its index.html."""
    ws = ws if isinstance(ws, Workspace) else Workspace(ws, read_only=True)
    return save_report(ws, run, build_report(ws, run), out)


def build_report(ws: Workspace, run: str, answers: list[dict[str, Any]] | None = None) -> tuple[str, str]:
    """The report of `run`, not yet written: (stats.json text, index.html text). The runner builds it while
    the export runs and writes it once the export has succeeded (a run whose export fails gets none). `answers`:
    the recipe's questions as the run answered them (None: answered here, as `tilth report RUN` needs)."""
    with ws.held():  # one database connection for the report's few dozen queries
        data = collect(ws, run, answers)
    return json.dumps(data["json"], indent=1, default=str), render(data)


def save_report(ws: Workspace, run: str, built: tuple[str, str], out: Path | None = None) -> Path:
    """Write a built report (build_report) to `out` (default <workspace>/reports/<run>/index.html)."""
    stats_json, page = built
    out = Path(out) if out else report_dir(ws, run) / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    (out.parent / "stats.json").write_text(stats_json)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page)
    tmp.replace(out)
    return out


def _points(steps: list[queries.StepInfo]) -> list[tuple[str, queries.StepInfo, DatasetStatsParams, bool]]:
    """Where dataset statistics are measured: (label, step, params, overview only). The input and the output
    get the one-scan overview; every dataset_stats step gets the full statistics its params ask for."""
    marked = [s for s in steps if s.operator == "dataset_stats" and s.op is not None]
    base = marked[0].op.params.model_copy(update={"embed_sample": 0}) if marked else DatasetStatsParams()
    points = [("input", steps[0], base, True)]
    points += [(f"{s.step}", s, s.op.params, False) for s in marked]
    if steps[-1].index != 0 and steps[-1] not in marked:
        points.append(("output", steps[-1], base, True))
    return points


def collect(ws: Workspace, run: str, answers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every number and figure of the report."""
    info = queries.run_info(ws, run)
    steps = queries.steps(ws, run)
    if not steps:
        raise ValueError(f"run {run!r} has no finished steps yet")
    step_rows = [_step_row(s) for s in steps]
    drops = queries.drops_by_reason(ws, run)
    stats = {label: cached_statistics(ws, s.view, ws.abs(s.path), p, overview)
             for label, s, p, overview in _points(steps)}
    figures: dict[str, Any] = {"funnel": plots.funnel([(s.step, s.stats.get("rows_out") or 0) for s in steps])}
    if drops:
        figures["reasons"] = plots.reason_bars(drops)
    figures["scores"] = _score_figures(ws, run, steps)
    domain_series = {k: v["domains"] for k, v in stats.items() if v.get("domains")}
    if domain_series:
        figures["domains"] = plots.domains(domain_series)
    by_index = {s.index: s for s in steps}
    examples = []
    for s in steps:
        if s.index and (s.stats.get("rows_dropped") or 0) and s.index - 1 in by_index:
            examples += [{"step": s.step, **e} for e in queries.dropped_examples(ws, run, s, by_index[s.index - 1])]
    quarantine = queries.quarantine_summary(ws, run)
    if answers is None:
        answers = answer_questions(ws, steps[-1].view, _questions(info.get("recipe")))
    return {
        "run": info, "steps": step_rows, "drops": drops, "stats": stats, "figures": figures,
        "examples": examples, "quarantine": quarantine, "answers": answers,
        "json": {"run": {k: v for k, v in info.items() if k != "recipe"}, "steps": step_rows, "drops": drops,
                 "dataset_stats": stats, "quarantine": {k: quarantine[k] for k in ("total", "by_file")},
                 "answers": answers},
    }


def _questions(recipe_yaml: str | None) -> list:
    """The questions of the run's recipe (none for a recipe written before questions existed)."""
    if not recipe_yaml:
        return []
    from tilth.pipeline.recipe import Recipe

    try:
        return Recipe.from_yaml(recipe_yaml).questions
    except (ValueError, TypeError):
        return []


def _answers(answers: list[dict[str, Any]]) -> str:
    """Each question with its result table (or why it has none)."""
    out = []
    for a in answers:
        body = (f'<p class="muted">not answered: {escape(a["error"])}</p>' if "error" in a else
                h.table([dict(zip(a["columns"], row, strict=True)) for row in a["rows"]], a["columns"])
                + ('<p class="muted">(the first rows only)</p>' if a.get("truncated") else ""))
        out.append(f'<h3>{escape(a["ask"])}</h3>{body}<p class="muted"><code>{escape(a["sql"])}</code></p>')
    return "".join(out)


def _step_row(s: queries.StepInfo) -> dict[str, Any]:
    st = s.stats
    rows_in, rows_out = st.get("rows_in") or 0, st.get("rows_out") or 0
    return {
        "step": s.step, "view": s.view, "operator": s.operator, "kind": s.kind, "in": rows_in, "out": rows_out,
        "retained": f"{rows_out / rows_in:.1%}" if rows_in else "",
        **{k: st.get(f"rows_{k}") or 0 for k in ("dropped", "modified", "added", "quarantined")},
        "seconds": round(st.get("seconds") or 0.0, 3), "MB in": round((st.get("bytes_in") or 0) / 1e6, 3),
        "MB out": round((st.get("bytes_out") or 0) / 1e6, 3), "peak RSS MB": round(st.get("peak_rss_mb") or 0.0, 1),
    }


def _score_figures(ws: Workspace, run: str, steps: list[queries.StepInfo]) -> list[tuple[str, str]]:
    """(caption, figure) for every filter score (kept + dropped, thresholds drawn) and every numeric column
    an evaluate mapper adds (sample_metrics, token counts, difficulty, ...)."""
    out = []
    for s in steps:
        thresholds = s.op.threshold_values() if s.op is not None else []
        cols = queries.score_columns(s)
        lines = {c: [(p, d, v) for tc, p, d, v in thresholds if tc == c] for c in cols}
        hists = score_histograms(ws, run, s.index, s.view, cols, thresholds=[[v for *_, v in lines[c]] for c in cols])
        for col, hist in zip(cols, hists, strict=True):
            if hist:
                out.append((f"{s.step}: {col}", plots.histogram(hist, f"{s.step}: {col}", lines[col])))
        if s.kind == "mapper" and s.op is not None and s.op.category == "evaluate":
            cols = [c for c in s.op.output_columns() if c in s.numeric]
            for col, hist in zip(cols, column_histograms(ws, s.view, cols), strict=True):
                if hist:
                    out.append((f"{s.step}: {col}", plots.histogram(hist, f"{s.step}: {col}")))
    return out


def render(d: dict[str, Any]) -> str:
    run, steps, figs = d["run"], d["steps"], d["figures"]
    first, last = steps[0], steps[-1]
    sections = [
        h.cards([("records read", first["in"]), ("rows out", last["out"]),
                 ("of rows read kept", f"{last['out'] / first['out']:.1%}" if first["out"] else "-"),
                 ("dropped", sum(s["dropped"] for s in steps)), ("quarantined", d["quarantine"]["total"]),
                 ("seconds in steps", f"{sum(s['seconds'] for s in steps):.2f}")]),
        *([h.section("Answers", _answers(d["answers"]), "answers")] if d.get("answers") else []),
        h.section("Funnel", h.figure(figs["funnel"]), "funnel"),
        h.section("Steps", h.table(steps, STEP_COLUMNS)
                  + '<p class="muted">Each step is a SQL view: <code>tilth sql "select * from &lt;view&gt;"</code> '
                  + "(views: " + ", ".join(escape(s["view"]) for s in steps) + ").</p>", "steps"),
        h.section("Dropped rows per reason",
                  (h.figure(figs["reasons"]) if "reasons" in figs else "")
                  + h.table(d["drops"], ["step", "reason", "rows", "share_of_step_input"]), "reasons"),
        h.section("Score distributions",
                  '<div class="grid">' + "".join(h.figure(svg) for _, svg in figs["scores"]) + "</div>"
                  if figs["scores"] else '<p class="muted">no score columns in this run</p>', "scores"),
        h.section("Dataset statistics", _stats_table(d["stats"]), "stats"),
        h.section("Domain distribution", (h.figure(figs["domains"]) if "domains" in figs
                  else '<p class="muted">no domain column</p>') + _domain_lengths(d["stats"]), "domains"),
        h.section("Examples of dropped rows", _examples(d["examples"], d["drops"]), "examples"),
        h.section("Quarantine", h.table(d["quarantine"]["by_file"]) + h.table(
            d["quarantine"]["examples"], text_cols=("raw", "error")), "quarantine"),
        h.section("Recipe", f"<details><summary>YAML</summary><pre>{escape(run.get('recipe') or '')}</pre></details>"
                  '<p class="muted">The numbers of this page are in <code>stats.json</code> next to it; '
                  "<code>tilth report RUN</code> rewrites both.</p>", "recipe"),
    ]
    sub = f"status {run.get('status')} · started {run.get('started_at')} · finished {run.get('finished_at')}"
    return h.page(f"Tilth run report: {run['run']}", sub, sections)


def _domain_lengths(stats: dict[str, dict[str, Any]]) -> str:
    """Per domain, the mean text length where a dataset_stats step measured it ("broken down by species")."""
    out = ""
    for label, s in stats.items():
        rows = [d for d in s.get("domains") or [] if "mean_words" in d]
        if rows:
            out += f"<h3>{escape(label)}: by {escape(str(s.get('domain_field')))}</h3>" + h.table(
                rows, ["domain", "rows", "share", "mean_chars", "mean_words"])
    return out


def _stats_table(stats: dict[str, dict[str, Any]]) -> str:
    """One row per statistic, one column per measured point (input, dataset_stats steps, output)."""
    labels = list(stats)
    rows: dict[str, dict[str, Any]] = {}

    def put(metric: str, label: str, value: Any) -> None:
        rows.setdefault(metric, {"statistic": metric})[label] = value

    for label, s in stats.items():
        put("samples", label, s["rows"])
        for key, units in s.get("lengths", {}).items():
            role, field = key.split(":", 1)
            name = field if role == "text" else f"{role} ({field})"
            for unit, v in units.items():
                put(f"{name} {unit} mean", label, v["mean"])
                put(f"{name} {unit} std", label, v["std"])
        if "duplication" in s:
            put("exact duplicate rate", label, s["duplication"]["exact_rate"])
            if "normalised_rate" in s["duplication"]:
                put("normalised duplicate rate", label, s["duplication"]["normalised_rate"])
        if "diversity" in s:
            put("distinct-1", label, s["diversity"]["distinct_1"])
            put("distinct-2", label, s["diversity"]["distinct_2"])
            put("diversity sample rows", label, s["diversity"]["sample_rows"])
        if "embedding" in s:
            put("embedding dispersion (mean cosine distance)", label, s["embedding"]["mean_cosine_distance"])
            put("embedding sample rows", label, s["embedding"]["sample_rows"])
        if s.get("domains"):
            put(f"domains listed ({s['domain_field']})", label, len(s["domains"]))
    return h.table(list(rows.values()), ["statistic", *labels])


def _examples(examples: list[dict[str, Any]], drops: list[dict[str, Any]]) -> str:
    """One small table per (step, reason kind), headed by how many rows that rule dropped."""
    if not examples:
        return '<p class="muted">no rows were dropped</p>'
    counts = {(r["step"], r["reason"]): r["rows"] for r in drops}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in examples:
        groups.setdefault((e["step"], e["kind"]), []).append(e)
    out = []
    for (step, kind), rows in groups.items():
        cols = ["_id"] + (["duplicate_of"] if any(r["duplicate_of"] is not None for r in rows) else [])
        cols += (["reason"] if any(r["reason"] != kind for r in rows) else []) + ["text_chars", "text"]
        out.append(f"<h3>{escape(step)} · {escape(kind)} · {h.fmt(counts.get((step, kind), len(rows)))} rows</h3>"
                   + h.table(rows, cols, text_cols=("text",)))
    return "".join(out)
