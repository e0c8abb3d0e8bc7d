"""Putting values into DuckDB SQL safely.

Values (paths, names, numbers) go in as prepared-statement parameters (`?`) wherever DuckDB takes them,
which is everywhere except in the body of a CREATE VIEW. There, and for identifiers, use these quoting
helpers; never paste a value into SQL with an f-string (a workspace path with an apostrophe broke every
view before this module existed).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

GLOB_CHARS = frozenset("*?[]{}")
_scratch: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (pid, database) of scratch()
_scratch_lock = threading.Lock()


def quote_ident(name: str) -> str:
    """A DuckDB identifier (table, view, column) for any name: "my ""odd"" name"."""
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A DuckDB string literal for any text: 'it''s'. Only for statements that cannot take parameters."""
    return "'" + str(value).replace("'", "''") + "'"


def parquet_source(directory: str, files: list[str]) -> str:
    """`read_parquet(...)` over the parts of a dataset version, for a view definition: the folder's glob
    when its path has no glob characters (short, and parts added later by a resumed step are seen), else
    the list of files, since DuckDB cannot escape glob characters in a path."""
    if GLOB_CHARS.isdisjoint(directory):
        return f"read_parquet({quote_literal(directory.rstrip('/') + '/*.parquet')}, union_by_name=true)"
    return f"read_parquet([{', '.join(quote_literal(f) for f in files)}], union_by_name=true)"


def scratch() -> duckdb.DuckDBPyConnection:
    """A new cursor on this process's in-memory DuckDB, for queries over Arrow tables and files outside the
    workspace (exports, reader statistics): opening a database costs ~20 ms, a cursor nothing. Close it
    when done. A forked child opens its own database."""
    import duckdb

    global _scratch
    with _scratch_lock:
        if _scratch is None or _scratch[0] != os.getpid():
            _scratch = (os.getpid(), duckdb.connect())
        return _scratch[1].cursor()
