"""The read-only SQL box. Four locks, each enough alone for a different attack:

1. one statement, and only SELECT / EXPLAIN (DuckDB's own parser says which kind a statement is);
2. a read-only connection (a write that slipped through 1 is refused by DuckDB);
3. no file access outside the workspace, and the configuration locked (no `read_text('/etc/passwd')`, no
   `COPY ... TO`, no `ATTACH`, no `SET` to undo it);
4. at most `limit` rows come back, and a query still running after `timeout_s` is interrupted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from tilth.ui.store import Store, jsonable

ALLOWED = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)


class QueryRefused(ValueError):
    """A query the SQL box does not run; the message says why and what to do instead."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False


def check(query: str) -> None:
    """Refuse what is not exactly one read-only statement."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as e:
        raise QueryRefused(str(e).splitlines()[0]) from None
    if len(statements) != 1:
        raise QueryRefused(f"one statement at a time (got {len(statements)})")
    if statements[0].type not in ALLOWED:
        # named by its own first word: DuckDB files INSTALL under LOAD and CHECKPOINT under CALL
        verb = (statements[0].query.split() or ["?"])[0].upper()
        raise QueryRefused(f"read-only: SELECT or EXPLAIN only, not {verb}; use `tilth sql` or a recipe "
                           "to change the workspace")


def run(store: Store, query: str, limit: int = 500, timeout_s: float = 20.0) -> QueryResult:
    """Run one read-only query; raise QueryRefused or duckdb.Error (the user's SQL error) on failure."""
    check(query)
    with store.reading() as ws, ws.connect() as con:
        con.execute("SET allowed_directories = ?", [[str(store.root) + "/"]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout_s, con.interrupt)
        timer.start()
        try:
            table = con.sql(query).limit(limit + 1).to_arrow_table()
        except duckdb.InterruptException:
            raise QueryRefused(f"stopped after {timeout_s:g} s; add a LIMIT or a WHERE") from None
        finally:
            timer.cancel()
    # the settings above end with this connection: Store.reading() holds it only for this request
    shown = table.slice(0, limit)  # by column, not to_pylist(): `SELECT 1 AS a, 2 AS a` has two columns a
    rows = [[jsonable(v) for v in r] for r in zip(*(c.to_pylist() for c in shown.columns), strict=True)]
    return QueryResult(table.column_names, rows, table.num_rows > limit)
