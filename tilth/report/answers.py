"""A recipe's questions answered from its run's output (`questions:` in the recipe).

"What's the average fare per member tier?" is a figure, not a step: no operator should compute it, and a user
should not have to copy a query into `tilth sql` after the run. Each question is one SELECT over `output` (the
run's last step view, bound by a CTE), answered on the workspace connection after the run commits.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from tilth.pipeline.recipe import Question
from tilth.storage.sql import quote_ident
from tilth.storage.workspace import Workspace

MAX_ROWS = 200  # an answer is read by a person; a longer result is cut (and says so)


def answer_questions(ws: Workspace, view: str, questions: list[Question]) -> list[dict[str, Any]]:
    """[{ask, sql, columns, rows, truncated} or {ask, sql, error}] for each question, over the view `view`."""
    if not questions:
        return []
    out: list[dict[str, Any]] = []
    with ws.connect() as con:
        for q in questions:
            try:
                table = con.sql(_over(q.sql, view)).limit(MAX_ROWS + 1).to_arrow_table()
            except duckdb.Error as e:  # a wrong column name, a type error: said with the answer, not raised
                out.append({"ask": q.ask, "sql": q.sql, "error": " ".join(str(e).split())[:400]})
                continue
            rows = [list(r.values()) for r in table.slice(0, MAX_ROWS).to_pylist()]
            out.append({"ask": q.ask, "sql": q.sql, "columns": table.column_names, "rows": rows,
                        "truncated": table.num_rows > MAX_ROWS})
    return out


def _over(sql: str, view: str) -> str:
    """The question's SQL with `output` bound to the step view by a CTE: nothing is created in the workspace (a
    dataset called `output` keeps its view), and the question's own WITH clause goes on after it."""
    bound = f"output AS (SELECT * FROM {quote_ident(view)})"
    m = re.match(r"\s*WITH(\s+RECURSIVE)?\s+", sql, re.I)
    return f"WITH{m[1] or ''} {bound}, {sql[m.end():]}" if m else f"WITH {bound} {sql}"


def answer_lines(answers: list[dict[str, Any]], max_rows: int = 12) -> list[str]:
    """Each answer as a few lines of text: the question, then its result as `a | b` rows."""
    lines = []
    for a in answers:
        lines.append(f"answer: {a['ask']}")
        if "error" in a:
            lines.append(f"  (not answered: {a['error']}; the query was {a['sql']})")
            continue
        if len(a["rows"]) == 1 and len(a["columns"]) == 1:  # one figure: on the question's line
            lines[-1] += f" = {_cell(a['rows'][0][0])}"
            continue
        lines.append("  " + " | ".join(a["columns"]))
        lines += ["  " + " | ".join(_cell(v) for v in row) for row in a["rows"][:max_rows]]
        if len(a["rows"]) > max_rows or a.get("truncated"):
            lines.append(f"  ... ({'more than ' if a.get('truncated') else ''}{len(a['rows'])} rows; the report has "
                         f"{'the first ' if a.get('truncated') else ''}{min(len(a['rows']), MAX_ROWS)})")
    return lines


def _cell(v: Any) -> str:
    if isinstance(v, float):  # 14.37, 800, 0.0123
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) >= 1 or v == 0 else f"{v:.3g}"
    return "(null)" if v is None else str(v)
