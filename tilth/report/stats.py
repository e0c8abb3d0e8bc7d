"""Dataset-level statistics of one step's view, computed in DuckDB SQL (streaming, never all rows in Python).

Cached as JSON in the step's `_scratch` dir: a step's output is fixed by its step key, so the statistics
are measured once per step version and reused by every later report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tilth.ops.evaluate.dataset_stats import DatasetStatsParams
from tilth.storage.parts import text_stats_files
from tilth.storage.sql import quote_ident
from tilth.storage.workspace import Workspace

CACHE_NAME = "dataset_stats.json"
WS = r"'^\s+|\s+$'"  # leading/trailing whitespace, for regexp_replace



def columns(ws: Workspace, view: str) -> list[str]:
    return ws.sql(f"SELECT * FROM {quote_ident(view)} LIMIT 0").column_names


def words_sql(expr: str) -> str:
    """SQL for the number of whitespace-separated words of a string expression."""
    t = f"regexp_replace(coalesce({expr}, ''), {WS}, '', 'g')"
    return f"CASE WHEN {t} = '' THEN 0 ELSE len(string_split_regex({t}, '\\s+')) END"


def length_stats(ws: Workspace, view: str, field: str) -> dict[str, dict[str, float]]:
    """Mean, std, min, max of a text column's length in characters and in words."""
    col = f"CAST({quote_ident(field)} AS VARCHAR)"
    out = {}
    for unit, expr in (("chars", f"length(coalesce({col}, ''))"), ("words", words_sql(col))):
        r = ws.sql(
            f"SELECT avg(n), coalesce(stddev_pop(n), 0), min(n), max(n) FROM (SELECT {expr} AS n FROM {quote_ident(view)})"
        ).to_pylist()[0]
        mean, std, lo, hi = r.values()
        out[unit] = {"mean": mean or 0.0, "std": std or 0.0, "min": lo or 0, "max": hi or 0}
    return out


def domain_counts(ws: Workspace, view: str, field: str, top: int, text_field: str | None = None,
                  loose: bool = False) -> list[dict[str, Any]]:
    """Rows per domain, largest first; domains past `top` are summed into one 'other' entry. With `text_field`,
    each domain's mean text length in characters and words too ("stats on the notes broken down by species").
    `loose`: labels typed by hand (' Northside', 'NORTHSIDE') counted as one, shown in their commonest spelling."""
    text = f"CAST({quote_ident(text_field)} AS VARCHAR)" if text_field else None
    means = (f", CAST(sum(length(coalesce({text}, ''))) AS DOUBLE) AS chars, CAST(sum({words_sql(text)}) AS DOUBLE) AS words"
             if text else "")
    value = f"CAST({quote_ident(field)} AS VARCHAR)"
    if loose:  # (spaces tidied; each label under its commonest spelling, the first in order on a tie)
        tidy = f"coalesce(nullif(trim(regexp_replace({value}, '\\s+', ' ', 'g')), ''), '(null)')"
        spelled = ws.sql(f"SELECT lower({tidy}) AS label, {tidy} AS domain, count(*) AS n{means} "
                         f"FROM {quote_ident(view)} GROUP BY 1, 2 ORDER BY n DESC, domain").to_pylist()
        merged: dict[str, dict] = {}
        for r in spelled:
            m = merged.setdefault(r.pop("label"), {**r, "n": 0, **({"chars": 0.0, "words": 0.0} if text else {})})
            m["n"] += r["n"]
            if text:
                m["chars"] += r["chars"] or 0
                m["words"] += r["words"] or 0
        rows = sorted(merged.values(), key=lambda r: (-r["n"], r["domain"]))
    else:
        rows = ws.sql(
            f"SELECT coalesce({value}, '(null)') AS domain, count(*) AS n{means} FROM {quote_ident(view)} "
            f"GROUP BY 1 ORDER BY n DESC, domain"
        ).to_pylist()
    total = sum(r["n"] for r in rows) or 1

    def entry(name: str, group: list[dict]) -> dict[str, Any]:
        n = sum(r["n"] for r in group)
        out = {"domain": name, "rows": n, "share": n / total}
        if text:
            out |= {"mean_chars": sum(r["chars"] or 0 for r in group) / n, "mean_words": sum(r["words"] or 0 for r in group) / n}
        return out

    head = [entry(r["domain"], [r]) for r in rows[:top]]
    if rows[top:]:
        head.append(entry("other", rows[top:]))
    return head


def duplication(ws: Workspace, view: str, field: str) -> dict[str, float]:
    """Share of rows whose text repeats an earlier row: exactly, and after lower-casing and collapsing spaces."""
    col = f"coalesce(CAST({quote_ident(field)} AS VARCHAR), '')"
    norm = f"lower(regexp_replace(regexp_replace({col}, '\\s+', ' ', 'g'), {WS}, '', 'g'))"
    n, exact, normed = ws.sql(
        f"SELECT count(*), count(DISTINCT md5({col})), count(DISTINCT md5({norm})) FROM {quote_ident(view)}"
    ).to_pylist()[0].values()
    return {
        "exact_duplicate_rows": n - exact,
        "exact_rate": (n - exact) / n if n else 0.0,
        "normalised_duplicate_rows": n - normed,
        "normalised_rate": (n - normed) / n if n else 0.0,
    }


def sample_sql(view: str, rows: int, seed: int) -> str:
    """A seeded random sample of at most `rows` rows of a view (the whole view when rows is 0): the rows
    with the smallest hash(_id, seed), a top-N that is the same whatever the thread count or part layout."""
    if not rows:
        return f"SELECT * FROM {quote_ident(view)}"
    return f"SELECT * FROM {quote_ident(view)} ORDER BY hash(_id, {int(seed)}) LIMIT {int(rows)}"


def distinct_n(ws: Workspace, view: str, field: str, sample: int, seed: int, ns=(1, 2)) -> dict[str, Any]:
    """Distinct n-grams / all n-grams of lower-cased words over a sample of rows (higher = more diverse).

    Words are unnested once with their positions and n-grams built with lead() windows: linear in the
    words. (Slicing the word list per position was quadratic: minutes for one 30k-word document.)"""
    t = f"lower(regexp_replace(coalesce(CAST({quote_ident(field)} AS VARCHAR), ''), {WS}, '', 'g'))"
    docs = (f"SELECT row_number() OVER () AS doc, string_split_regex(trim({t}), '\\s+') AS w "
            f"FROM ({sample_sql(view, sample, seed)}) WHERE trim({t}) <> ''")
    words = f"SELECT doc, unnest(w) AS w, generate_subscripts(w, 1) AS pos FROM ({docs})"
    out: dict[str, Any] = {"sample_rows": ws.sql(f"SELECT count(*) FROM ({sample_sql(view, sample, seed)})")
                           .column(0)[0].as_py()}
    for n in ns:
        parts = ["w"] + [f"lead(w, {k}) OVER (PARTITION BY doc ORDER BY pos)" for k in range(1, n)]
        gram = " || ' ' || ".join(parts)
        total, distinct = ws.sql(
            f"SELECT count(g), count(DISTINCT g) FROM (SELECT {gram} AS g FROM ({words}))"
        ).to_pylist()[0].values()
        out[f"distinct_{n}"] = distinct / total if total else 0.0
        out[f"ngrams_{n}"] = total
    return out


def dataset_statistics(ws: Workspace, view: str, params: DatasetStatsParams | None = None) -> dict[str, Any]:
    """Every statistic DatasetStats asks for, for one view. Fields missing from the view are skipped."""
    p = params or DatasetStatsParams()
    cols = columns(ws, view)
    n = ws.sql(f"SELECT count(*) FROM {quote_ident(view)}").column(0)[0].as_py()
    out: dict[str, Any] = {"view": view, "rows": n, "params": p.model_dump(), "lengths": {}}
    for role, field in (("text", p.text_field), ("input", p.input_field), ("output", p.output_field)):
        if field and field in cols:
            out["lengths"][f"{role}:{field}"] = length_stats(ws, view, field)
    if p.domain_field and p.domain_field in cols:
        out["domain_field"] = p.domain_field
        out["domains"] = domain_counts(ws, view, p.domain_field, p.top_domains,
                                       p.text_field if p.text_field in cols else None, loose=p.loose_labels)
    if p.text_field in cols:
        out["duplication"] = duplication(ws, view, p.text_field)
        out["diversity"] = distinct_n(ws, view, p.text_field, p.diversity_sample, p.seed)
        if p.embed_sample:
            from tilth.report.embed import embedding_dispersion

            out["embedding"] = embedding_dispersion(ws, view, p.text_field, p.embed_sample, p.seed)
    return out


def overview_statistics(ws: Workspace, view: str, params: DatasetStatsParams | None = None,
                        step_dir: Path | None = None) -> dict[str, Any]:
    """What every run report shows at its input and output, in one scan of the text column: rows, text
    length in characters, exact duplicate rate (64-bit hashes) and, if present, the domain column. Word
    counts, normalised duplicates and n-gram diversity cost a regex pass over every word: they are measured
    where a recipe asks for them, at a `dataset_stats` step. Where the reader left each row's text length
    and hash beside its parts (`step_dir`, storage.parts.write_text_stats), those are aggregated instead."""
    p = params or DatasetStatsParams()
    cols = columns(ws, view)
    out: dict[str, Any] = {"view": view, "params": {"overview": True, **p.model_dump()}, "lengths": {}}
    if p.text_field in cols:
        source, params = _text_lengths_and_hashes(view, p.text_field, step_dir)
        n, mean, std, lo, hi, distinct = ws.sql(
            "SELECT count(*), avg(chars), coalesce(stddev_pop(chars), 0), min(chars), max(chars), "
            f"count(DISTINCT hash) FROM {source}", params
        ).to_pylist()[0].values()
        out["lengths"][f"text:{p.text_field}"] = {"chars": {"mean": mean or 0.0, "std": std or 0.0,
                                                            "min": lo or 0, "max": hi or 0}}
        out["duplication"] = {"exact_duplicate_rows": n - distinct, "exact_rate": (n - distinct) / n if n else 0.0}
    else:
        n = ws.sql(f"SELECT count(*) FROM {quote_ident(view)}").column(0)[0].as_py()
    out["rows"] = n
    if p.domain_field and p.domain_field in cols:
        out["domain_field"] = p.domain_field
        out["domains"] = domain_counts(ws, view, p.domain_field, p.top_domains)
    return out


def _text_lengths_and_hashes(view: str, field: str, step_dir: Path | None) -> tuple[str, list | None]:
    """(SQL, parameters) of one row per row of `view`: its text length in characters (`chars`) and 64-bit
    hash (`hash`), each computed once per row (written out in every aggregate, the length was computed per
    aggregate: ~30% more CPU), or read from the reader's text statistics when the step has them."""
    files = text_stats_files(step_dir) if step_dir is not None and field == "text" else None
    if files:
        return "read_parquet(?)", [[str(f) for f in files]]
    text = f"coalesce(CAST({quote_ident(field)} AS VARCHAR), '')"
    return f"(SELECT length({text}) AS chars, hash({text}) AS hash FROM {quote_ident(view)})", None


def cached_statistics(ws: Workspace, view: str, step_dir: Path, params: DatasetStatsParams | None,
                      overview: bool = False) -> dict:
    """dataset_statistics (or, with `overview`, overview_statistics), read from / written to
    `<step dir>/_scratch/dataset_stats.json`."""
    p = params or DatasetStatsParams()
    want = {"overview": True, **p.model_dump()} if overview else p.model_dump()
    path = Path(step_dir) / "_scratch" / CACHE_NAME
    if path.exists():
        cached = json.loads(path.read_text())
        if cached.get("params") == want and cached.get("view") == view:
            return cached
    stats = overview_statistics(ws, view, p, step_dir) if overview else dataset_statistics(ws, view, p)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(stats, indent=1, default=str))
        tmp.replace(path)
    except OSError:  # a read-only workspace still gets its report, just without the cache
        pass
    return stats
