"""A workspace: one DuckDB catalog file plus Parquet parts under one directory.

Data lives in Parquet parts written by workers (no worker ever opens the database); the catalog, lineage,
quarantine and run statistics live in DuckDB, and every dataset version is a DuckDB view over its parts,
so all of it is one SQL query away. Connections are short-lived so that `tilth sql` can read the
workspace between the runner's writes.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from tilth.storage.parts import list_parts
from tilth.storage.sql import parquet_source, quote_ident

DB_FILE = "tilth.duckdb"

CATALOG_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR, version INTEGER, path VARCHAR, run VARCHAR, step VARCHAR, step_key VARCHAR,
    rows BIGINT, bytes BIGINT, created_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS runs (
    run VARCHAR PRIMARY KEY, recipe VARCHAR, executor VARCHAR, status VARCHAR,
    started_at TIMESTAMP, finished_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS run_steps (
    run VARCHAR, step_index INTEGER, step VARCHAR, operator VARCHAR, kind VARCHAR, step_key VARCHAR,
    path VARCHAR, PRIMARY KEY (run, step_index));
CREATE TABLE IF NOT EXISTS step_stats (
    run VARCHAR, step_index INTEGER, step VARCHAR, operator VARCHAR, step_key VARCHAR,
    rows_in BIGINT, rows_out BIGINT, rows_dropped BIGINT, rows_modified BIGINT, rows_added BIGINT,
    rows_quarantined BIGINT,
    bytes_in BIGINT, bytes_out BIGINT, seconds DOUBLE, io_seconds DOUBLE, peak_rss_mb DOUBLE,
    finished_at TIMESTAMP DEFAULT current_timestamp, PRIMARY KEY (run, step_key));
CREATE TABLE IF NOT EXISTS lineage (
    run VARCHAR, step_index INTEGER, step VARCHAR, operator VARCHAR, step_key VARCHAR,
    _id BIGINT, action VARCHAR, reason VARCHAR, duplicate_of BIGINT, scores VARCHAR);
CREATE TABLE IF NOT EXISTS quarantine (
    run VARCHAR, step_key VARCHAR, file VARCHAR, line BIGINT, error VARCHAR, raw VARCHAR);
"""

# the catalog's own tables: no dataset may take their names
TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", CATALOG_DDL))
LINEAGE_SCHEMA = pa.schema(
    [
        ("_id", pa.int64()),
        ("action", pa.string()),  # drop | modify
        ("reason", pa.string()),
        ("duplicate_of", pa.int64()),
        ("scores", pa.string()),  # JSON of the filter's score columns for this row
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [("file", pa.string()), ("line", pa.int64()), ("error", pa.string()), ("raw", pa.string())]
)


def default_workspace() -> Path:
    return Path(os.environ.get("TILTH_WORKSPACE", "tilth-workspace"))


def view_name(name: str) -> str:
    """A SQL-friendly identifier for a dataset name (letters, digits, underscores). Several names map to
    one identifier ("my data", "my_data", "My_Data": DuckDB identifiers ignore case), so the workspace
    refuses a name whose views another dataset already has (see Workspace.check_dataset_name)."""
    ident = re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_")
    return ident if ident and not ident[0].isdigit() else f"d_{ident}"


def busy_wait() -> float:
    """Seconds to wait for a workspace another process holds ($TILTH_BUSY_WAIT, default 5)."""
    return float(os.environ.get("TILTH_BUSY_WAIT", "5"))


class WorkspaceBusy(RuntimeError):
    """Another process holds the workspace database."""


class NameConflict(ValueError):
    """A dataset or run name whose SQL views would be another dataset's or run's."""


def _owns(ident: str, view: str) -> bool:
    """Whether `view` is one of the views of a dataset whose identifier is `ident` (itself or `_vN`)."""
    return view == ident or re.fullmatch(re.escape(ident) + r"_v\d+", view) is not None


@dataclass(frozen=True)
class DatasetVersion:
    name: str
    version: int
    path: Path
    rows: int
    run: str | None
    step: str | None


class RunInProgress(RuntimeError):
    """The same run is being computed by another process in this workspace."""


class Workspace:
    """Open (creating if needed) the workspace at `root`."""

    def __init__(self, root: str | Path | None = None, read_only: bool = False, keep_open: bool = False):
        """`keep_open`: keep the connection that created the catalog for the first `connect()`/`held()`
        (the runner's, right after: opening the database costs 30-70 ms). Until that call, or `close()`, other
        processes cannot open the workspace."""
        self.root = Path(root or default_workspace()).resolve()
        self.read_only = read_only
        self._held: duckdb.DuckDBPyConnection | None = None
        self._spare: duckdb.DuckDBPyConnection | None = None
        if not read_only:
            if self.root.exists() and not self.root.is_dir():
                raise ValueError(f"workspace {self.root} is a file, not a folder: give a folder with -w (it is made "
                                 "if missing)")
            self.root.mkdir(parents=True, exist_ok=True)
            con = self._open_raw()
            try:
                # one transaction: one write-ahead-log flush (fsync) for a new catalog, not one per table
                con.execute("BEGIN TRANSACTION")
                con.execute(CATALOG_DDL)
                moved = con.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
                if moved is None or moved[0] != str(self.root):
                    self._refresh_views(con)
                    con.execute("INSERT OR REPLACE INTO meta VALUES ('root', ?)", [str(self.root)])
                con.execute("COMMIT")
            except BaseException:
                con.close()  # (rolls back)
                raise
            if keep_open:
                self._spare = con
            else:
                con.close()
        elif not (self.root / DB_FILE).exists():
            raise FileNotFoundError(f"no Tilth workspace at {self.root} (expected {DB_FILE})")

    @contextlib.contextmanager
    def run_lock(self, run: str) -> Iterator[None]:
        """Hold run `run` of this workspace for one process: two processes running the same recipe would write
        the same step folders (one deduplicator's pairs deleted by the other, duplicates left in the output).
        Another run name may run beside it. The lock is the kernel's: a killed run leaves none behind."""
        import fcntl

        path = self.root / "runs" / f".{run}.lock"  # (a recipe name is letters, digits, '-', '_' and '.')
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                raise RunInProgress(f"run {run!r} is already running in workspace {self.root} ({holder}); wait for "
                                    "it to finish, or give this run another name or workspace (-w)") from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            try:
                yield
            finally:
                fh.truncate(0)
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- connections -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the workspace database: the held one inside `held()`, else a new one closed on exit."""
        if self._held is not None:
            yield self._held
            return
        with self._open() as con:
            yield con

    @contextlib.contextmanager
    def held(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Keep one connection open for every `connect()` inside: opening the database costs 30-70 ms, and a
        run asks for it a few times per step. Other processes cannot open the workspace while it is held,
        so the runner lets go of it while a step computes (see `released`)."""
        if self._held is not None:
            yield self._held
            return
        self._held = con = self._open_raw()
        try:
            yield con
        finally:
            held, self._held = self._held, None
            con.close()
            if held is not None and held is not con:  # reopened by `released`
                held.close()

    @contextlib.contextmanager
    def released(self, reopen: bool = True) -> Iterator[None]:
        """Inside `held()`: close the held connection for a while (a step's work) and reopen it after
        (`reopen=False`: the held block needs no connection after this; `connect()` opens one if asked)."""
        if self._held is None:
            yield
            return
        self._held.close()
        self._held = None
        try:
            yield
        finally:
            if reopen:
                self._held = self._open_raw()

    @contextlib.contextmanager
    def _open(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open_raw()
        try:
            yield con
        finally:
            con.close()

    def close(self) -> None:
        """Close the connection kept by `keep_open`, if no call has taken it yet."""
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()

    def _open_raw(self) -> duckdb.DuckDBPyConnection:
        """Open the database (or take the one `keep_open` kept), waiting up to `busy_wait()` seconds for another
        process to let go of it: a reader (`tilth sql`, `tilth ui`) holds it for milliseconds, and a run that
        reopens it after a step must not fail because a reader was there at that instant."""
        if self._spare is not None:
            con, self._spare = self._spare, None
            return con
        deadline = time.monotonic() + busy_wait()
        pause = 0.01
        while True:
            try:
                return self._connect_once()
            except WorkspaceBusy:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)

    def _connect_once(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.root / DB_FILE), read_only=self.read_only)
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                pid = re.search(r"PID (\d+)", str(e))
                holder = f"another process (PID {pid.group(1)})" if pid else "another Tilth process"
                raise WorkspaceBusy(
                    f"workspace {self.root} is busy: {holder} is using its database; wait for it to finish, "
                    "or use another workspace with -w"
                ) from None
            raise
        con.execute("SET enable_progress_bar = false")  # Tilth shows its own progress
        return con

    def sql(self, query: str, params: list | None = None) -> pa.Table:
        """Run one SQL statement against the workspace and return the result as an Arrow table."""
        with self.connect() as con:
            rel = con.sql(query, params=params) if params else con.sql(query)
            return rel.to_arrow_table() if rel is not None else pa.table({})

    # -- paths -------------------------------------------------------------------------------------------
    def rel(self, path: str | Path) -> str:
        return os.path.relpath(Path(path).resolve(), self.root)

    def abs(self, rel: str) -> Path:
        return self.root / rel

    # -- datasets ----------------------------------------------------------------------------------------
    def register_version(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        directory: Path,
        run: str | None = None,
        step: str | None = None,
        step_key: str | None = None,
        rows: int | None = None,
    ) -> DatasetVersion:
        """Record `directory`'s parts as the newest version of dataset `name` (no copy; a view). `rows`: the
        parts' row count where the caller knows it (a step's rows out), else it is counted."""
        rel = self.rel(directory)
        self.check_dataset_name(con, name)
        latest = con.execute(
            "SELECT version, path FROM datasets WHERE name = ? ORDER BY version DESC LIMIT 1", [name]
        ).fetchone()
        parts = list_parts(directory)
        if not parts:
            raise ValueError(f"dataset {name}: no parts in {directory}")
        if rows is None:
            rows = con.execute(
                "SELECT count(*) FROM read_parquet(?, union_by_name=true)", [[str(p) for p in parts]]
            ).fetchone()[0]
        if latest and latest[1] == rel:
            version = latest[0]
        else:
            version = (latest[0] + 1) if latest else 1
            con.execute(
                "INSERT INTO datasets (name, version, path, run, step, step_key, rows, bytes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [name, version, rel, run, step, step_key, rows, sum(p.stat().st_size for p in parts)],
            )
        self._create_views(con, name, version, directory)
        return DatasetVersion(name, version, directory, rows, run, step)

    def write_table(self, name: str, table: pa.Table) -> DatasetVersion:
        """Store an in-memory table (a generated or small dataset) as the newest version of `name`."""
        from tilth.storage.parts import write_part

        with self.connect() as con:
            self.check_dataset_name(con, name)
            latest = con.execute("SELECT coalesce(max(version), 0) FROM datasets WHERE name = ?", [name]).fetchone()[0]
            directory = self.root / "tables" / view_name(name) / f"v{latest + 1}"
            write_part(table, directory / "part-00000.parquet")
            return self.register_version(con, name, directory)

    def check_dataset_name(self, con, name: str) -> None:
        """Raise NameConflict if dataset `name`'s views (`ident`, `ident_vN`) would be another dataset's
        views, or a workspace table. Views cannot take parameters, so they are the one place where two
        names could silently become one."""
        ident = view_name(name).lower()
        others = [r[0] for r in con.execute("SELECT DISTINCT name FROM datasets WHERE name <> ?", [name]).fetchall()]
        for other in others:
            o = view_name(other).lower()
            if _owns(o, ident) or _owns(ident, o):
                raise NameConflict(
                    f"dataset name {name!r} would use the SQL view {view_name(name)!r}, which belongs to the "
                    f"existing dataset {other!r}; choose another name (or use {other!r})")
        tables = {r[0].lower() for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
        views = {r[0].lower() for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()").fetchall()}
        mine = con.execute("SELECT count(*) FROM datasets WHERE name = ?", [name]).fetchone()[0] > 0
        known = [view_name(n).lower() for n in [*others, *([name] if mine else [])]]
        foreign = {v for v in views if not any(_owns(d, v) for d in known)}  # views that are no dataset's
        if any(_owns(ident, t) for t in tables | foreign):
            raise NameConflict(f"dataset name {name!r} would be the SQL view {view_name(name)!r}, which is a "
                               "workspace table or view; choose another name")

    def check_run_name(self, con, run: str) -> None:
        """Raise NameConflict if another run's step views would be this run's (runs 'a-b' and 'a_b')."""
        for (other,) in con.execute("SELECT run FROM runs WHERE run <> ?", [run]).fetchall():
            if view_name(other).lower() == view_name(run).lower():
                raise NameConflict(
                    f"run name {run!r} would share its SQL views ({view_name(run)}__...) with the existing run "
                    f"{other!r}; rename the recipe (name: ...) or use another workspace")

    def _create_views(self, con, name: str, version: int, directory: Path) -> None:
        src = parquet_source(directory.as_posix(), [p.as_posix() for p in list_parts(directory)])
        ident = view_name(name)
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(f'{ident}_v{version}')} AS SELECT * FROM {src}")
        latest = con.execute("SELECT max(version) FROM datasets WHERE name = ?", [name]).fetchone()[0]
        if latest == version:
            con.execute(f"CREATE OR REPLACE VIEW {quote_ident(ident)} AS SELECT * FROM {src}")

    def _refresh_views(self, con) -> None:
        """Re-point every view at this root (the workspace directory may have moved)."""
        for name, version, rel in con.execute("SELECT name, version, path FROM datasets ORDER BY 1, 2").fetchall():
            if list_parts(self.abs(rel)):
                self._create_views(con, name, version, self.abs(rel))

    def datasets(self) -> pa.Table:
        """One row per dataset: its name, the SQL view to query it by, versions, rows of the newest."""
        table = self.sql(
            "SELECT name, max(version) AS versions, arg_max(rows, version) AS rows, "
            "arg_max(run, version) AS run, max(created_at) AS updated FROM datasets GROUP BY name ORDER BY name"
        )
        views = pa.array([view_name(n) for n in table.column("name").to_pylist()], pa.string())
        return table.add_column(1, "view", views)

    def version(self, name: str, version: int | None = None) -> DatasetVersion:
        q = "SELECT name, version, path, rows, run, step FROM datasets WHERE name = ?"
        args: list = [name]
        if version is not None:
            q += " AND version = ?"
            args.append(version)
        row = self.sql(q + " ORDER BY version DESC LIMIT 1", args).to_pylist()
        if not row:
            known = ", ".join(self.datasets().column("name").to_pylist()) or "none yet"
            raise KeyError(f"no dataset {name!r}{'' if version is None else f' version {version}'} (known: {known})")
        r = row[0]
        return DatasetVersion(r["name"], r["version"], self.abs(r["path"]), r["rows"], r["run"], r["step"])

    def parts(self, name: str, version: int | None = None) -> list[Path]:
        return list_parts(self.version(name, version).path)

    def iter_batches(
        self, name: str, version: int | None = None, columns: list[str] | None = None, batch_size: int = 8192
    ) -> Iterator[pa.RecordBatch]:
        """Stream a dataset version in canonical order, one bounded batch at a time."""
        import pyarrow.parquet as pq

        for part in self.parts(name, version):
            yield from pq.ParquetFile(part).iter_batches(batch_size=batch_size, columns=columns)

    def read(self, name: str, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
        """A whole dataset version as one Arrow table (small datasets and tests; stream large ones)."""
        import pyarrow.parquet as pq

        tables = [pq.read_table(p, columns=columns) for p in self.parts(name, version)]
        return pa.concat_tables(tables, promote_options="permissive")
