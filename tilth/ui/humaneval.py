"""Human evaluation: a stratified sample of a run's input rows, labels from people (keep/drop and a rubric),
and how well each automatic filter and score agrees with them.

The sample is drawn from the run's first step (every row the run read), so rows the filters dropped are
judged too: without them a filter's false drops could never be seen. Strata are the values of a domain
column (its 8 most common values, the rest as "(other)") crossed with quantile bins of one score; the
same number of rows is drawn from each stratum, in a fixed pseudo-random order (seeded hash of `_id`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tilth.classify.labels import majority
from tilth.classify.strata import score_sources, stratified
from tilth.storage.sql import quote_ident
from tilth.ui import agreement
from tilth.ui.overview import steps
from tilth.ui.store import Store, jsonable

DDL = """
CREATE TABLE IF NOT EXISTS eval_sets (sample VARCHAR PRIMARY KEY, run VARCHAR, domain_column VARCHAR,
    score VARCHAR, bins INTEGER, per_stratum INTEGER, rubric VARCHAR, seed INTEGER,
    created_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS eval_samples (sample VARCHAR, position INTEGER, _id BIGINT, domain VARCHAR,
    bin VARCHAR, PRIMARY KEY (sample, _id));
CREATE TABLE IF NOT EXISTS human_labels (sample VARCHAR, _id BIGINT, annotator VARCHAR, label VARCHAR,
    rubric VARCHAR, note VARCHAR, labelled_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (sample, _id, annotator));
"""
DEFAULT_RUBRIC = ("clarity", "correctness", "tone")
TEXT_CHARS = 4000


def options(store: Store, run: str) -> dict[str, Any]:
    """What a sample of this run can be stratified by: string columns of the input, and its scores."""
    with store.reading() as ws:
        st = steps(ws, run)
        if not st:
            raise KeyError(f"no run {run!r} in this workspace")
        cols = ws.sql(f"DESCRIBE SELECT * FROM {quote_ident(st[0]['view'])}").to_pylist()
        scores = sorted(score_sources(ws, run))
    return {"run": run, "domains": [c["column_name"] for c in cols if c["column_type"] == "VARCHAR"
                                    and c["column_name"] != "text"], "scores": scores}


def create_sample(store: Store, name: str, run: str, domain_column: str | None = None, score: str | None = None,
                  bins: int = 4, per_stratum: int = 5, rubric: list[str] | None = None, seed: int = 0,
                  replace: bool = False) -> dict[str, Any]:
    """Draw and store a stratified sample; returns its strata with their row counts. An existing sample of
    that name is replaced only when asked: people's labels belong to the rows it held."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name or ""):
        raise ValueError("sample name: 1-64 letters, digits, '-', '_' or '.'")
    if not 1 <= int(bins) <= 10:
        raise ValueError(f"bins: 1 to 10 (got {bins})")
    if not 1 <= int(per_stratum) <= 200:
        raise ValueError(f"rows per stratum: 1 to 200 (got {per_stratum})")
    if not replace and store.has_table("eval_sets") and store.rows("SELECT 1 FROM eval_sets WHERE sample = ?", [name]):
        labelled = store.rows("SELECT count(DISTINCT _id) AS n FROM human_labels WHERE sample = ?", [name])[0]["n"] \
            if store.has_table("human_labels") else 0
        raise ValueError(f"sample {name!r} exists ({labelled} rows labelled); pick another name, or replace it "
                         "(--replace; its labels then refer to rows that may no longer be in it)")
    rubric = [r.strip() for r in (rubric or DEFAULT_RUBRIC) if r.strip()][:6]
    with store.reading() as ws:
        picked = stratified(ws, run, domain_column, score, bins, per_stratum, seed)
    with store.writing() as con:
        con.execute(DDL)
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM eval_samples WHERE sample = ?", [name])
        con.execute("INSERT OR REPLACE INTO eval_sets (sample, run, domain_column, score, bins, per_stratum, rubric, "
                    "seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, run, domain_column, score, bins, per_stratum, json.dumps(rubric), seed])
        if picked:
            con.executemany("INSERT INTO eval_samples VALUES (?, ?, ?, ?, ?)",
                            [[name, i, r["_id"], r["domain"], r["bin"]] for i, r in enumerate(picked)])
        con.execute("COMMIT")
    strata: dict[tuple[str, str], int] = {}
    for r in picked:
        strata[(r["domain"], r["bin"])] = strata.get((r["domain"], r["bin"]), 0) + 1
    return {"sample": name, "rows": len(picked),
            "strata": [{"domain": d, "bin": b, "rows": n} for (d, b), n in sorted(strata.items())]}


def samples(store: Store) -> list[dict[str, Any]]:
    if not store.has_table("eval_sets"):
        return []
    return store.rows("SELECT s.sample, s.run, s.domain_column, s.score, s.created_at, "
                      "(SELECT count(*) FROM eval_samples e WHERE e.sample = s.sample) AS rows, "
                      "(SELECT count(DISTINCT _id) FROM human_labels h WHERE h.sample = s.sample) AS labelled "
                      "FROM eval_sets s ORDER BY s.created_at DESC, s.sample")


def sample_set(store: Store, name: str) -> dict[str, Any]:
    found = store.rows("SELECT * FROM eval_sets WHERE sample = ?", [name]) if store.has_table("eval_sets") else []
    if not found:
        raise KeyError(f"no evaluation sample {name!r} in this workspace")
    s = found[0]
    s["rubric"] = json.loads(s["rubric"] or "[]")
    return s


def sample_rows(store: Store, name: str, annotator: str) -> dict[str, Any]:
    """The sample's rows in labelling order, with their text and this annotator's labels so far."""
    s = sample_set(store, name)
    with store.reading() as ws:
        st = steps(ws, s["run"])
        src = quote_ident(st[0]["view"])
        cols = ws.sql(f"DESCRIBE SELECT * FROM {src}").column("column_name").to_pylist()
        text = f"left(CAST(v.text AS VARCHAR), {TEXT_CHARS})" if "text" in cols else "NULL"
        rows = ws.sql(f"SELECT e.position, e._id, e.domain, e.bin, {text} AS text, h.label, h.rubric, h.note "
                      f"FROM eval_samples e JOIN {src} v USING (_id) LEFT JOIN human_labels h "
                      "ON h.sample = e.sample AND h._id = e._id AND h.annotator = ? WHERE e.sample = ? "
                      "ORDER BY e.position", [annotator, name]).to_pylist()
    for r in rows:
        r["rubric"] = json.loads(r["rubric"]) if r["rubric"] else {}
    return {**jsonable(s), "rows": jsonable(rows)}


def save_label(store: Store, name: str, row_id: int, annotator: str, label: str, rubric: dict[str, int] | None = None,
               note: str = "") -> None:
    """Store (or replace) one annotator's label of one sampled row."""
    s = sample_set(store, name)
    annotator = (annotator or "").strip()[:64]
    if not annotator:
        raise ValueError("say who you are (annotator) before labelling")
    if label not in agreement.CLASSES:
        raise ValueError(f"label must be keep or drop, not {label!r}")
    rubric = rubric or {}
    for k, v in rubric.items():
        if k not in s["rubric"] or not isinstance(v, int) or not 1 <= v <= 5:
            raise ValueError(f"rubric {k}={v!r}: use {', '.join(s['rubric'])} with a score from 1 to 5")
    if not store.rows("SELECT 1 FROM eval_samples WHERE sample = ? AND _id = ?", [name, row_id]):
        raise KeyError(f"row {row_id} is not in sample {name!r}")
    with store.writing() as con:
        con.execute("INSERT OR REPLACE INTO human_labels VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
                    [name, row_id, annotator, label, json.dumps(rubric), (note or "")[:2000]])


def report(store: Store, name: str) -> dict[str, Any]:
    """Agreement with the labels (majority label per row over annotators, ties to the latest): per dropping
    step, kappa and the confusion matrix over the labelled rows that reached it; per score, the threshold
    the labels suggest; and the rubric means."""
    s = sample_set(store, name)
    run = s["run"]
    with store.reading() as ws:
        labels = ws.sql("SELECT _id, label, rubric, annotator, labelled_at FROM human_labels WHERE sample = ? "
                        "ORDER BY labelled_at", [name]).to_pylist()
        st = steps(ws, run)
        drops = _pairs(ws.sql("SELECT _id AS k, min(step_index) AS v FROM lineage WHERE run = ? AND action = 'drop' "
                              "AND _id IN (SELECT _id FROM human_labels WHERE sample = ?) GROUP BY _id",
                              [run, name]).to_pylist())
        values: dict[str, dict[int, float]] = {}
        for key, (src, args) in score_sources(ws, run).items():
            values[key] = _pairs(ws.sql(f"SELECT _id AS k, any_value(v) AS v FROM ({src}) WHERE _id IN "
                                        "(SELECT _id FROM human_labels WHERE sample = ?) GROUP BY _id",
                                        [*args, name]).to_pylist())
    human = majority(labels)
    ids = sorted(human)
    filters = []
    for s_ in st[1:]:
        if s_["kind"] not in ("filter", "deduplicator"):
            continue
        seen = [i for i in ids if drops.get(i, 1 << 30) >= s_["step_index"]]
        auto = ["drop" if drops.get(i) == s_["step_index"] else "keep" for i in seen]
        hl = [human[i] for i in seen]
        filters.append({"step": s_["step"], "operator": s_["operator"], "n": len(seen),
                        "kappa": agreement.cohen_kappa(hl, auto), "confusion": agreement.confusion(hl, auto)})
    scores = []
    for key, vals in sorted(values.items()):
        best = agreement.best_threshold([vals.get(i) for i in ids], [human[i] for i in ids])
        if best:
            scores.append({"score": key, **best})
    rubric_means: dict[str, list[int]] = {}
    for r in labels:
        for k, v in json.loads(r["rubric"] or "{}").items():
            rubric_means.setdefault(k, []).append(v)
    return jsonable({"sample": name, "run": run, "labelled": len(ids), "annotators": sorted({r["annotator"] for r in labels}),
                     "keep": sum(h == "keep" for h in human.values()), "drop": sum(h == "drop" for h in human.values()),
                     "filters": filters, "scores": scores,
                     "rubric": {k: {"mean": sum(v) / len(v), "n": len(v)} for k, v in rubric_means.items()}})


def _pairs(rows: list[dict[str, Any]]) -> dict:
    return {r["k"]: r["v"] for r in rows}
