"""Dataset pages straight from the Parquet parts, never the whole table in memory. The catalog is asked
once where a version's parts are and how many rows each holds (cached until the catalog changes); pages
then run on an in-memory DuckDB (Store.scan), not on the workspace database.

- A plain page reads only the parts it overlaps, each with its own LIMIT/OFFSET: DuckDB answers an offset
  inside one file from the row-group metadata (~40 ms a page anywhere in 1M rows), but a LIMIT over a glob
  that crosses from one file into the next took 500-800 ms.
- A filtered page or a search runs LIMIT/OFFSET over the same `read_parquet` source the dataset's SQL view
  is defined by (storage.sql.parquet_source), and scans.
Long strings are cut in SQL, before they leave DuckDB."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tilth.storage.parts import list_parts
from tilth.storage.sql import parquet_source, quote_ident, quote_literal
from tilth.storage.workspace import view_name
from tilth.ui.store import Store, jsonable

CELL_CHARS = 300  # characters of a string cell on a page; the row page shows the whole value
OPS = (">=", "<=", "!=", "=", ">", "<")
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "DOUBLE", "REAL")


@dataclass
class Dataset:
    name: str
    version: int
    latest: int
    view: str
    rows: int
    bytes: int
    run: str | None
    step: str | None
    source: str = ""  # read_parquet(...) over the version's parts: what its view selects from
    parts: list[tuple[str, int, frozenset[str]]] = field(default_factory=list)  # (path, rows, columns) in order
    columns: list[dict[str, str]] = field(default_factory=list)  # {name, type}

    def is_numeric(self, column: str) -> bool:
        t = next(c["type"] for c in self.columns if c["name"] == column)
        return t.startswith(NUMERIC) or t.startswith("DECIMAL")

    def text_columns(self) -> list[str]:
        return [c["name"] for c in self.columns if c["type"] == "VARCHAR"]


_CACHE: dict[tuple, Dataset] = {}


def dataset(store: Store, name: str, version: int | None = None) -> Dataset:
    """A dataset version with its columns; KeyError naming the known datasets if there is none."""
    key = (str(store.root), name, version, store.catalog_stamp())
    if key in _CACHE:
        return _CACHE[key]
    with store.reading() as ws:
        found = ws.sql("SELECT version, path, rows, bytes, run, step, max(version) OVER () AS latest FROM datasets "
                       "WHERE name = ? ORDER BY version DESC", [name]).to_pylist()
        found = [r for r in found if version is None or r["version"] == version]
        if not found:
            known = ws.sql("SELECT count(DISTINCT name) FROM datasets").column(0)[0].as_py()
            what = f"no dataset {name!r}" + ("" if version is None else f" version {version}")
            raise KeyError(f"{what} in this workspace ({known} datasets; see the overview)")
    r = found[0]
    directory = store.ws.abs(r["path"])
    parts = list_parts(directory)
    if not parts:
        raise KeyError(f"dataset {name!r} version {r['version']}: its parts are gone from {directory}")
    source = parquet_source(directory.as_posix(), [p.as_posix() for p in parts])
    cols = store.scan().sql(f"DESCRIBE SELECT * FROM {source}").to_arrow_table().to_pylist()
    view = view_name(name) if r["version"] == r["latest"] else f"{view_name(name)}_v{r['version']}"
    metas = [(p.as_posix(), pq.read_metadata(p)) for p in parts]
    ds = Dataset(name, r["version"], r["latest"], view, sum(m.num_rows for _, m in metas), r["bytes"], r["run"],
                 r["step"], source, [(p, m.num_rows, frozenset(m.schema.names)) for p, m in metas],
                 [{"name": c["column_name"], "type": c["column_type"]} for c in cols])
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[key] = ds
    return ds


def where(ds: Dataset, filters: dict[str, str], search: str = "") -> tuple[str, list[Any]]:
    """WHERE clause and parameters for per-column filters and a text search over the string columns.

    A filter is `>= 0.5`, `!= en`, `= null`, or plain text: contains (string columns) or equals (numbers).
    Column names are checked against the dataset and quoted; values only ever go in as parameters."""
    known = {c["name"] for c in ds.columns}
    parts: list[str] = []
    params: list[Any] = []
    for column, raw in filters.items():
        text = (raw or "").strip()
        if not text:
            continue
        if column not in known:
            raise ValueError(f"no column {column!r} in {ds.name} (columns: {', '.join(sorted(known))})")
        col = quote_ident(column)
        op = next((o for o in OPS if text.startswith(o)), None)
        value = text[len(op):].strip() if op else text
        if value.lower() == "null" and op in ("=", "!="):
            parts.append(f"{col} IS {'NOT ' if op == '!=' else ''}NULL")
            continue
        if ds.is_numeric(column):
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"filter on {column}: {value!r} is not a number") from None
            parts.append(f"{col} {op or '='} ?")
            params.append(number)
        elif op:
            parts.append(f"CAST({col} AS VARCHAR) {op} ?")
            params.append(value)
        else:
            parts.append(f"contains(lower(CAST({col} AS VARCHAR)), lower(?))")
            params.append(value)
    if search.strip():
        cols = ds.text_columns()
        if cols:
            parts.append("(" + " OR ".join(f"contains(lower({quote_ident(c)}), lower(?))" for c in cols) + ")")
            params += [search.strip()] * len(cols)
        else:
            parts.append("false")
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def page(store: Store, ds: Dataset, page_no: int = 1, size: int = 50, filters: dict[str, str] | None = None,
         search: str = "") -> dict[str, Any]:
    """One page of rows (1-based page number) in the dataset's canonical order."""
    size = max(1, min(int(size), 500))
    page_no = max(1, int(page_no))
    cond, params = where(ds, filters or {}, search)
    offset = (page_no - 1) * size
    if cond:
        # LIMIT and OFFSET as literals (ints computed here): as parameters, DuckDB plans without knowing the
        # offset and reads every row before it
        table = store.scan().sql(f"SELECT {_select(ds)} FROM {ds.source}{cond} LIMIT {size + 1} OFFSET {offset}",
                                 params=params).to_arrow_table()
    else:
        table = _plain(store, ds, offset, size + 1)
    rows = [[_cell(v) for v in r] for r in zip(*(c.to_pylist() for c in table.columns), strict=True)]
    return {"dataset": ds.name, "version": ds.version, "latest": ds.latest, "view": ds.view, "columns": ds.columns,
            "page": page_no, "size": size, "offset": (page_no - 1) * size, "rows": rows[:size],
            "has_next": len(rows) > size, "total": None if cond else ds.rows}


def _select(ds: Dataset, present: frozenset[str] | None = None) -> str:
    """The page's column list: strings cut to CELL_CHARS + 1, and (for one part) every column of the dataset,
    NULL where the part lacks it, each cast to the dataset's type so parts concatenate."""
    out = []
    for c in ds.columns:
        col, typ = quote_ident(c["name"]), c["type"]
        if present is not None and c["name"] not in present:
            out.append(f"CAST(NULL AS {typ}) AS {col}")
        elif typ == "VARCHAR":
            out.append(f"left({col}, {CELL_CHARS + 1}) AS {col}")
        else:
            out.append(f"CAST({col} AS {typ}) AS {col}" if present is not None else col)
    return ", ".join(out)


def _plain(store: Store, ds: Dataset, offset: int, count: int) -> pa.Table:
    """Rows offset .. offset+count-1 in canonical order, read from only the parts that hold them."""
    tables, start = [], 0
    for path, rows, names in ds.parts:
        if count <= 0:
            break
        if offset < start + rows:
            local = max(0, offset - start)
            take = min(count, rows - local)
            tables.append(store.scan().sql(f"SELECT {_select(ds, names)} FROM read_parquet({quote_literal(path)}) "
                                           f"LIMIT {take} OFFSET {local}").to_arrow_table())
            count -= take
        start += rows
    if not tables:
        return store.scan().sql(f"SELECT {_select(ds)} FROM {ds.source} LIMIT 0").to_arrow_table()
    return pa.concat_tables(tables)


def count(store: Store, ds: Dataset, filters: dict[str, str] | None = None, search: str = "") -> int:
    """Rows matching the filters (a full scan: the page does not wait for it)."""
    cond, params = where(ds, filters or {}, search)
    return store.scan().sql(f"SELECT count(*) AS n FROM {ds.source}{cond}", params=params or None).fetchall()[0][0]


def _cell(v: Any) -> Any:
    if isinstance(v, str) and len(v) > CELL_CHARS:
        return v[:CELL_CHARS] + "…"
    return jsonable(v)
