"""Parquet part files: the unit of work, of resume and of crash safety.

A part is written to a temporary name and renamed into place, so a part that exists is complete. A
killed run leaves at most some `.tmp` files, which are ignored and overwritten.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# Parts are working data, written once and read by every later step, the export and the report: LZ4 costs
# ~0.06 CPU s less per 44 MB of text than zstd level 1 (writing and reading back) for ~40% larger parts
# (19.1 vs 13.6 MB). Exports are still zstd (Parquet) or gzip.
COMPRESSION = "lz4"
COMPRESSION_LEVEL = None
TEXT_STATS = "_text"  # beside a reader's parts (and the parts a filter or dedup keeps of them): each row's
# text length and hash (write_text_stats, keep_text_stats)


def write_part(table: pa.Table | pa.RecordBatch | Iterable[pa.Table], path: str | Path) -> int:
    """Atomically write `table` to `path`; return the file size in bytes. An iterable of tables (one
    schema) is written as it comes, a row group or more each, so that the whole part is never in memory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    first, tables = _first_with_rows(iter([table] if isinstance(table, pa.Table) else table))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with pq.ParquetWriter(tmp, first.schema, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL,
                          use_dictionary=_dictionary_columns(first)) as writer:
        for t in itertools.chain([first], tables):
            writer.write_table(t)
    os.replace(tmp, path)
    return path.stat().st_size


_TEMP = re.compile(r"^\..+\.tmp-(\d+)$")


def remove_stale_temp(folder: Path, name: str | None = None, recursive: bool = False) -> int:
    """Remove the temporary files (`.NAME.tmp-PID`, see write_part) that a process no longer running left in
    `folder` (a run killed mid-write: 11 MB of a half export stayed beside the file, trial 89); only those of `name`
    if given; a live process's are kept. Returns how many went."""
    if not folder.is_dir():
        return 0
    gone = 0
    for path in folder.rglob(".*.tmp-*") if recursive else folder.glob(".*.tmp-*"):
        m = _TEMP.match(path.name)
        if m is None or name is not None and not path.name.startswith(f".{name}.tmp-") or _alive(int(m[1])):
            continue
        try:
            path.unlink()
            gone += 1
        except OSError:
            pass
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (another user's process: alive)
        return True
    return True


def _first_with_rows(tables: Iterator[pa.Table]) -> tuple[pa.Table, Iterator[pa.Table]]:
    """The first table with rows (else the last: its schema), and the tables after it. Leading empty tables
    are skipped, since the dictionary choice (_dictionary_columns) needs rows to look at."""
    first = next(tables)
    while not first.num_rows and (nxt := next(tables, None)) is not None:
        first = nxt
    return first, tables


def _dictionary_columns(table: pa.Table) -> list[str]:
    """Columns worth dictionary-encoding: all but long strings (document text is nearly all distinct, and
    trying a dictionary on it doubles the write time for nothing)."""
    out = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
            if col.num_chunks and table.num_rows and col.nbytes / table.num_rows > 64:
                continue
        out.append(name)
    return out


def list_parts(directory: str | Path) -> list[Path]:
    """Completed parts of a directory, in canonical (name) order."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.parquet") if not p.name.startswith("."))


def read_part(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """One part file, on the calling thread. Why not `pq.read_table`: its dataset path decodes on Arrow's
    thread pools, whose per-thread allocator heaps keep what they freed (a worker kept 40-80 MB more after
    each global-phase stage, which `release_memory` could not return), and it peaks ~1.6x higher; a
    part is one file, so the dataset machinery buys nothing (this is as fast on a part)."""
    return pq.ParquetFile(path).read(columns=columns, use_threads=False)


def part_rows(path: str | Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def write_text_stats(table: pa.Table, part: Path) -> None:
    """Write `<part's folder>/_text/<part name>`: each row's `text` length in characters and 64-bit hash,
    computed while the part is in memory. The run report's input overview aggregates these instead of
    reading every text back from the parts (tilth.report.stats.overview_statistics). No `text` column, no file."""
    if "text" not in table.column_names:
        return
    from tilth.storage.sql import scratch

    text = "coalesce(CAST(text AS VARCHAR), '')"
    con = scratch()
    try:
        con.register("part", table)
        stats = con.sql(f"SELECT length({text}) AS chars, hash({text}) AS hash FROM part").to_arrow_table()
    finally:
        con.close()
    write_part(stats, Path(part).parent / TEXT_STATS / Path(part).name)


def keep_text_stats(source_part: str | Path, dropped_ids: pa.Array | pa.ChunkedArray, part: Path,
                    source_ids: pa.ChunkedArray | None = None) -> None:
    """The text statistics of a part that is `source_part` without the rows `dropped_ids` (a filter's or a
    dedup's output, texts unchanged): the source's, less those rows, so that the run report need not read
    the texts back. Nothing if the source has none. `source_ids`: the source's `_id` column where the caller
    holds it (else it is read)."""
    source = Path(source_part).parent / TEXT_STATS / Path(source_part).name
    if not source.exists():
        return
    import pyarrow.compute as pc

    stats = read_part(source)
    if len(dropped_ids):
        ids = source_ids if source_ids is not None else read_part(source_part, columns=["_id"]).column("_id")
        stats = stats.filter(pc.invert(pc.is_in(ids, value_set=dropped_ids)))
    write_part(stats, Path(part).parent / TEXT_STATS / Path(part).name)


def text_stats_files(directory: str | Path) -> list[Path] | None:
    """The text statistics of every part of a step (write_text_stats, keep_text_stats), or None if any part has none."""
    parts = list_parts(directory)
    files = [p.parent / TEXT_STATS / p.name for p in parts]
    return files if parts and all(f.exists() for f in files) else None
