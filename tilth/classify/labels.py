"""Labelled examples for a classifier, from wherever the workspace keeps labels: a column of a dataset (an
LLM step's score, a rating), a filter's keep/drop in the `lineage` table, or people's labels from the UI's
`human_labels` table. Every source gives the same thing: `_id`, text, and a 0/1 label (1 = keep), plus a
description of where they came from (the model's lineage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tilth.classify.strata import input_view
from tilth.storage.runs import steps
from tilth.storage.sql import quote_ident
from tilth.storage.workspace import view_name

POSITIVE = {"keep", "1", "true", "yes", "pos", "positive", "good", "high"}
NEGATIVE = {"drop", "0", "false", "no", "neg", "negative", "bad", "low"}


class LabelError(ValueError):
    """The labels cannot train a classifier; the message says why and what to do."""


@dataclass(frozen=True)
class LabelSpec:
    """Where the labels come from: exactly one of `column` (with `dataset`), `run` (lineage), `sample`."""

    dataset: str | None = None
    version: int | None = None
    column: str | None = None
    run: str | None = None
    step: str | None = None  # with `run`: the filter step (its name or operator); None: any step
    sample: str | None = None
    text_field: str = "text"
    positive_min: float | None = None  # numeric labels: 1 if value >= positive_min
    skip_missing: bool = False


@dataclass
class Labelled:
    ids: np.ndarray
    texts: list[str]
    y: np.ndarray
    source: dict[str, Any] = field(default_factory=dict)


def load(ws, spec: LabelSpec) -> Labelled:
    """The labelled rows of `spec`, with missing labels refused (or skipped with `skip_missing`)."""
    given = [k for k in ("column", "run", "sample") if getattr(spec, k)]
    if len(given) != 1:
        raise LabelError("say where the labels are: a dataset column (--dataset D --column C), a run's filter "
                         "decisions (--run R [--step S]) or a human-labelled sample (--sample S); "
                         f"got {', '.join(given) or 'none'}")
    if spec.column:
        rows, source = _from_column(ws, spec)
    elif spec.run:
        rows, source = _from_lineage(ws, spec)
    else:
        rows, source = _from_humans(ws, spec)
    if not rows:
        hint = (f" (label it on the labelling page: `tilth ui`, Evaluation, {source['sample']})"
                if source["kind"] == "human" else "")
        raise LabelError(f"no rows to learn from in {_where(source)}{hint}")
    ids = np.array([r["_id"] for r in rows], dtype=np.int64)
    texts = [r["text"] if isinstance(r["text"], str) else ("" if r["text"] is None else str(r["text"])) for r in rows]
    y, missing = binarize([r["label"] for r in rows], spec.positive_min, _where(source))
    if missing.any():
        if not spec.skip_missing:
            raise LabelError(f"{int(missing.sum())} of {len(rows)} rows in {_where(source)} have no label (null or "
                             "NaN); pass skip_missing (--skip-missing) to learn from the labelled rows only")
        keep = ~missing
        ids, y, texts = ids[keep], y[keep], [t for t, k in zip(texts, keep, strict=True) if k]
    source["skipped_missing"] = int(missing.sum())
    counts = np.bincount(y, minlength=2)
    if counts.min() == 0:
        only = "keep (1)" if counts[1] else "drop (0)"
        raise LabelError(f"every labelled row in {_where(source)} is {only}: a classifier needs both classes")
    return Labelled(ids, texts, y.astype(np.int8), source)


def binarize(values: list, positive_min: float | None, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(0/1 labels, missing mask) of label values: keep/drop words, booleans or numbers."""
    missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in values], dtype=bool)
    present = [v for v, m in zip(values, missing, strict=True) if not m]
    y = np.zeros(len(values), dtype=np.int64)
    if not present:
        return y, missing
    if all(isinstance(v, str) for v in present):
        words = {v.strip().lower() for v in present}
        unknown = sorted(words - POSITIVE - NEGATIVE)
        if unknown and positive_min is None:
            raise LabelError(f"labels in {where} must be keep/drop (or yes/no, 1/0, true/false); got "
                             f"{', '.join(map(repr, unknown[:5]))}")
        if not unknown:
            y[~missing] = [v.strip().lower() in POSITIVE for v in present]
            return y, missing
        try:
            present = [float(v) for v in present]
        except ValueError:
            raise LabelError(f"labels in {where} are neither keep/drop words nor numbers: "
                             f"{', '.join(map(repr, unknown[:5]))}") from None
    if not all(isinstance(v, bool | int | float | np.integer | np.floating) for v in present):
        kinds = sorted({type(v).__name__ for v in present})
        raise LabelError(f"labels in {where} must be numbers, booleans or keep/drop words, not {', '.join(kinds)}")
    num = np.array(present, dtype=np.float64)
    if positive_min is not None:
        y[~missing] = num >= positive_min
    else:
        distinct = np.unique(num)
        if not set(distinct.tolist()) <= {0.0, 1.0}:
            raise LabelError(f"labels in {where} take {len(distinct)} values ({distinct.min():g} to {distinct.max():g}): "
                             "pass positive_min (--positive-min) to say which count as keep, e.g. 3 for keep if >= 3")
        y[~missing] = num.astype(np.int64)
    return y, missing


def _where(source: dict[str, Any]) -> str:
    if source["kind"] == "column":
        return f"column {source['column']!r} of dataset {source['dataset']!r} v{source['version']}"
    if source["kind"] == "lineage":
        return f"the keep/drop decisions of run {source['run']!r} ({source['step'] or 'any step'})"
    return f"human labels of sample {source['sample']!r}"


def _from_column(ws, spec: LabelSpec) -> tuple[list[dict], dict]:
    if not spec.dataset:
        raise LabelError(f"column {spec.column!r}: say which dataset holds it (--dataset)")
    dv = ws.version(spec.dataset, spec.version)  # KeyError names the known datasets
    view = quote_ident(f"{view_name(dv.name)}_v{dv.version}")
    cols = ws.sql(f"DESCRIBE SELECT * FROM {view}").column("column_name").to_pylist()
    for c in (spec.column, spec.text_field):
        if c not in cols:
            raise LabelError(f"no column {c!r} in dataset {dv.name!r} v{dv.version} (columns: {', '.join(cols)})")
    rows = ws.sql(f"SELECT _id, {quote_ident(spec.text_field)} AS text, {quote_ident(spec.column)} AS label "
                  f"FROM {view} ORDER BY _id").to_pylist()
    return rows, {"kind": "column", "dataset": dv.name, "version": dv.version, "column": spec.column,
                  "text_field": spec.text_field}


def _from_lineage(ws, spec: LabelSpec) -> tuple[list[dict], dict]:
    """keep/drop of one filter step (rows an earlier step dropped never reached it: left out), or of the whole
    run (step None: dropped by any step)."""
    st = steps(ws, spec.run)
    if not st:
        raise LabelError(f"no run {spec.run!r} in this workspace")
    view = quote_ident(input_view(ws, spec.run))
    cols = ws.sql(f"DESCRIBE SELECT * FROM {view}").column("column_name").to_pylist()
    if spec.text_field not in cols:
        raise LabelError(f"no column {spec.text_field!r} in the input of run {spec.run!r} (columns: {', '.join(cols)})")
    if spec.step:
        hits = [s for s in st[1:] if spec.step in (s["step"], s["operator"])]
        if len(hits) != 1:
            names = ", ".join(s["step"] for s in st[1:])
            raise LabelError(f"run {spec.run!r} has {'no' if not hits else 'several'} step {spec.step!r} "
                             f"(steps: {names}); name one step")
        idx, step = hits[0]["step_index"], hits[0]["step"]
    else:
        idx, step = None, None
    first = ("SELECT _id, min(step_index) AS d FROM lineage WHERE run = ? AND action = 'drop' GROUP BY _id")
    cond = "coalesce(f.d, 1 << 30) >= ?" if idx is not None else "true"
    label = "CASE WHEN f.d = ? THEN 'drop' ELSE 'keep' END" if idx is not None else \
        "CASE WHEN f.d IS NULL THEN 'keep' ELSE 'drop' END"
    args = [spec.run] if idx is None else [idx, spec.run, idx]  # placeholders in text order
    rows = ws.sql(f"SELECT v._id, {quote_ident(spec.text_field)} AS text, {label} AS label FROM {view} v "
                  f"LEFT JOIN ({first}) f USING (_id) WHERE {cond} ORDER BY v._id", args).to_pylist()
    return rows, {"kind": "lineage", "run": spec.run, "step": step, "dataset": view_name(st[0]["view"]),
                  "text_field": spec.text_field}


def _from_humans(ws, spec: LabelSpec) -> tuple[list[dict], dict]:
    """The majority label per row over annotators (a tie goes to the latest label)."""
    tables = set(ws.sql("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")
                 .column("table_name").to_pylist())
    if not {"eval_sets", "human_labels"} <= tables:
        raise LabelError("no human labels in this workspace: draw a sample (`tilth classifier sample`) and label "
                         "it in `tilth ui` first")
    found = ws.sql("SELECT run FROM eval_sets WHERE sample = ?", [spec.sample]).to_pylist()
    if not found:
        raise LabelError(f"no labelled sample {spec.sample!r} in this workspace")
    run = found[0]["run"]
    view = quote_ident(input_view(ws, run))
    labels = ws.sql("SELECT _id, label FROM human_labels WHERE sample = ? ORDER BY labelled_at", [spec.sample]).to_pylist()
    human = majority(labels)
    texts = {r["_id"]: r["text"] for r in ws.sql(
        f"SELECT _id, {quote_ident(spec.text_field)} AS text FROM {view} WHERE _id IN "
        "(SELECT _id FROM human_labels WHERE sample = ?)", [spec.sample]).to_pylist()}
    rows = [{"_id": i, "text": texts.get(i), "label": human[i]} for i in sorted(human)]
    return rows, {"kind": "human", "sample": spec.sample, "run": run, "text_field": spec.text_field}


def majority(labels: list[dict[str, Any]]) -> dict[int, str]:
    """Per row: the label most annotators gave; a tie goes to the latest label (rows come oldest first)."""
    votes: dict[int, dict[str, int]] = {}
    latest: dict[int, str] = {}
    for r in labels:
        votes.setdefault(r["_id"], {}).setdefault(r["label"], 0)
        votes[r["_id"]][r["label"]] += 1
        latest[r["_id"]] = r["label"]
    out = {}
    for i, v in votes.items():
        top = max(v.values())
        winners = [k for k, n in v.items() if n == top]
        out[i] = latest[i] if latest[i] in winners else winners[0]
    return out
