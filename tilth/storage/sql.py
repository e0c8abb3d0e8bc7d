"""Putting values into DuckDB SQL safely.

Values (paths, names, numbers) go in as prepared-statement parameters (`?`) wherever DuckDB takes them,
which is everywhere except in the body of a CREATE VIEW. There, and for identifiers, use these quoting
helpers; never paste a value into SQL with an f-string (a workspace path with an apostrophe broke every
view before this module existed).
"""

from __future__ import annotations

GLOB_CHARS = frozenset("*?[]{}")


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
