"""Stratified samples of a run's input rows, for people (the UI's labelling page) or an LLM to annotate.

Strata are the values of a domain column (its 8 most common values, the rest as "(other)") crossed with
quantile bins of one score; the same number of rows is drawn from each stratum, in a fixed pseudo-random
order (seeded hash of `_id`). The sample is drawn from the run's first step (every row the run read), so
rows the filters dropped are in it too: without them a filter's false drops could never be seen.
"""

from __future__ import annotations

import re
from typing import Any

from tilth.storage.runs import steps
from tilth.storage.sql import quote_ident

TOP_DOMAINS = 8
LENGTH = "length.chars"  # a built-in score: the text's length, for a sample spread over short and long rows


def score_sources(ws, run: str) -> dict[str, tuple[str, list]]:
    """Every score of a run's rows as SQL `(_id, v)` with its parameters, by name: `<step>.<column>` for the
    numeric columns each step added (a filter's scores: from its view for kept rows and from lineage for
    the rows it dropped), `input.<column>` for numeric columns of the input (ratings, stars)."""
    st = steps(ws, run)
    out: dict[str, tuple[str, list]] = {}
    seen: set[str] = set()
    for i, s in enumerate(st):
        cols = ws.sql(f"DESCRIBE SELECT * FROM {quote_ident(s['view'])}").to_pylist()
        numeric = [c["column_name"] for c in cols if c["column_name"] not in seen and c["column_name"] != "_id"
                   and re.match(r"(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U?\w*INT|FLOAT|DOUBLE|DECIMAL)",
                                c["column_type"])]
        for c in numeric:
            src = f"SELECT _id, CAST({quote_ident(c)} AS DOUBLE) AS v FROM {quote_ident(s['view'])}"
            args: list = []
            if i > 0:
                src += (" UNION ALL SELECT _id, TRY_CAST(json_extract_string(scores, ?) AS DOUBLE) FROM lineage "
                        "WHERE run = ? AND step_index = ? AND action = 'drop'")
                args = ['$."' + c.replace('"', '\\"') + '"', run, s["step_index"]]
            out[f"{'input' if i == 0 else s['step']}.{c}"] = (src, args)
        seen |= {c["column_name"] for c in cols}
    return out


def input_view(ws, run: str) -> str:
    """The SQL view of a run's first step: every row the run read."""
    st = steps(ws, run)
    if not st:
        raise KeyError(f"no run {run!r} in this workspace")
    return st[0]["view"]


def stratified(ws, run: str, domain_column: str | None = None, score: str | None = None, bins: int = 4,
               per_stratum: int = 5, seed: int = 0, text_field: str = "text") -> list[dict[str, Any]]:
    """`per_stratum` rows of each (domain, score bin) stratum of the run's input: `_id`, `domain`, `bin`, in
    a seeded shuffled order. `score` is a name from `score_sources` or "length.chars"."""
    src = quote_ident(input_view(ws, run))
    cols = ws.sql(f"DESCRIBE SELECT * FROM {src}").column("column_name").to_pylist()
    if domain_column and domain_column not in cols:
        raise ValueError(f"no column {domain_column!r} in the input of run {run!r} (columns: {', '.join(cols)})")
    if score == LENGTH:
        if text_field not in cols:
            raise ValueError(f"no column {text_field!r} to measure the length of in the input of run {run!r}")
        score_sql, args = f"SELECT _id, CAST(length(CAST({quote_ident(text_field)} AS VARCHAR)) AS DOUBLE) AS v FROM {src}", []
    elif score:
        sources = score_sources(ws, run)
        if score not in sources:
            raise ValueError(f"no score {score!r} in run {run!r} (scores: {', '.join(sorted([*sources, LENGTH]))})")
        score_sql, args = sources[score]
    else:
        score_sql, args = "SELECT NULL::BIGINT AS _id, NULL::DOUBLE AS v WHERE false", []
    dom = f"CAST({quote_ident(domain_column)} AS VARCHAR)" if domain_column else "NULL"
    return ws.sql(f"""
        WITH base AS (SELECT _id, coalesce({dom}, '(none)') AS d FROM {src}),
        top AS (SELECT d FROM base GROUP BY d ORDER BY count(*) DESC, d LIMIT {TOP_DOMAINS}),
        sc AS (SELECT _id, any_value(v) AS v FROM ({score_sql}) GROUP BY _id),
        j AS (SELECT b._id, CASE WHEN b.d IN (SELECT d FROM top) THEN b.d ELSE '(other)' END AS domain, sc.v
              FROM base b LEFT JOIN sc USING (_id)),
        q AS (SELECT *, CASE WHEN v IS NULL THEN NULL ELSE ntile(?) OVER (PARTITION BY v IS NULL ORDER BY v) END AS q
              FROM j),
        edges AS (SELECT q, min(v) AS lo, max(v) AS hi FROM q WHERE q IS NOT NULL GROUP BY q),
        ranked AS (SELECT q._id, q.domain, CASE WHEN q.q IS NULL THEN {"'all'" if not score else "'no score'"}
                          ELSE printf('q%d [%.4g, %.4g]', q.q, e.lo, e.hi) END AS bin,
                          row_number() OVER (PARTITION BY q.domain, q.q ORDER BY hash(q._id, ?)) AS rn
                   FROM q LEFT JOIN edges e USING (q))
        SELECT _id, domain, bin FROM ranked WHERE rn <= ? ORDER BY hash(_id, ? + 1)""",
                  [*args, bins, seed, per_stratum, seed]).to_pylist()
