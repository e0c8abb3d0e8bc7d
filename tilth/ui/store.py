"""The UI's one door to the workspace: its database, and its Parquet parts.

A DuckDB file is opened by one process for writing or by many for reading, and inside one process all open
connections must agree on read-only or not. So the UI opens a short connection per request, one at a time
(a lock), read-only for reading: `tilth run` and `tilth sql` in other processes keep working while the UI is
up, and a label write never meets an open read-only connection of the UI itself.

Dataset pages do not need the database at all once the catalog said where a version's parts are: they are
read by an in-memory DuckDB per thread (`scan`), which skips the 30-70 ms open of the workspace file and
never holds its lock. Opening the file per page made a page 1M rows deep take ~600 ms; this ~50 ms.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from tilth.storage.workspace import DB_FILE, Workspace

JS_SAFE_INT = 2**53  # larger integers (every `_id`) lose digits as JavaScript numbers: sent as strings


class Store:
    """Serialised, short-lived access to the workspace at `root` (which must exist)."""

    def __init__(self, root: str | Path):
        self.ws = Workspace(root, read_only=True)  # raises FileNotFoundError when there is no workspace
        self.root = self.ws.root
        self._lock = threading.RLock()
        self._local = threading.local()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Workspace]:
        """The read-only workspace, with this process's other UI requests waiting meanwhile; calls inside
        (`ws.sql`, report queries) share one connection."""
        with self._lock, self.ws.held():
            yield self.ws

    @contextlib.contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for the UI's own tables (labels, samples)."""
        with self._lock:
            rw = Workspace(self.root)
            with rw.connect() as con:
                yield con

    def scan(self) -> duckdb.DuckDBPyConnection:
        """This thread's in-memory DuckDB, for queries over Parquet parts only (no workspace tables)."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = duckdb.connect()
            con.execute("SET enable_progress_bar = false")
        return con

    def catalog_stamp(self) -> tuple:
        """Changes whenever the catalog may have (the database file or its write-ahead log changed): the key
        under which what was read from it can be reused."""
        out = []
        for name in (DB_FILE, DB_FILE + ".wal"):
            try:
                st = (self.root / name).stat()
                out.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def rows(self, query: str, params: list | None = None) -> list[dict[str, Any]]:
        with self.reading() as ws:
            return ws.sql(query, params).to_pylist()

    def has_table(self, name: str) -> bool:
        return bool(self.rows("SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() "
                              "AND table_name = ?", [name]))


def jsonable(value: Any) -> Any:
    """A value JSON and JavaScript carry without loss: big integers as strings, NaN as null, times as ISO."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) >= JS_SAFE_INT else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
