"""Work units that run inside executor workers (local processes or Ray).

One task reads one input part (or one reader shard), applies one operator and writes one output part.
Write order makes a part's existence the proof that all of it is done: stats sidecar, lineage and
quarantine parts first, the data part last, each renamed into place atomically. A resumed step skips
parts that exist, so nothing is lost and nothing is written twice.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cloudpickle
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tilth.exec.memory import release_memory
from tilth.lazy import LazyModule
from tilth.ops.base import (
    Deduplicator,
    Filter,
    Generator,
    Mapper,
    Operator,
    Quarantined,
    Reader,
    StepContext,
    scores_json,
)
from tilth.ops.process.arrow_np import from_numpy, repeat_string
from tilth.storage.parts import keep_text_stats, list_parts, read_part, write_part, write_text_stats
from tilth.storage.sql import scratch
from tilth.storage.workspace import LINEAGE_SCHEMA, QUARANTINE_SCHEMA

pc = LazyModule("pyarrow.compute")  # imported on first use (~0.1 s), not by every run


@dataclass
class PartStats:
    part: str
    rows_in: int = 0
    rows_out: int = 0
    dropped: int = 0
    modified: int = 0
    added: int = 0
    quarantined: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    io_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    parts: list[str] = field(default_factory=list)  # reader shards write several parts


@dataclass
class Task:
    kind: str  # read | map | signature | apply
    step_key: str
    op: Operator
    out_dir: str
    part: str  # output part name (without .parquet) or shard name
    inputs: list[str]  # input part path(s), or shard files for readers
    drops: str | None = None
    context: StepContext | None = None


WRITERS = 2  # threads writing a reader's parts (see _read_shard)
BATCH_ROWS = 1024  # rows per batch where a task streams its part (see _timed_batches)

# Operators are set up once per worker process and step, not once per part.
_READY_OPS: dict[str, Operator] = {}


def _op(task: Task) -> Operator:
    op = _READY_OPS.get(task.step_key)
    if op is None:
        op = _READY_OPS[task.step_key] = task.op
    op.context = task.context  # the same step (same key) may run again under another run name
    op.ensure_ready()
    return op


def run_blob(blob: bytes) -> bytes:
    """Entry point for executors: cloudpickled Task in, cloudpickled PartStats out. cloudpickle carries
    plugin operator classes by value, so workers need not import the plugin first."""
    task: Task = cloudpickle.loads(blob)
    return cloudpickle.dumps(run_task(task))


def run_task(task: Task) -> PartStats:
    t0 = time.perf_counter()
    fn = {"read": _read_shard, "map": _map_part, "signature": _signature_part, "apply": _apply_part}[task.kind]
    stats = fn(task)
    stats.seconds = time.perf_counter() - t0
    stats.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    release_memory()  # a task's buffers go back to the OS, not to an idle heap
    # Written last: the sidecar is the marker that this task finished (see load_stats).
    _write_json(Path(task.out_dir) / "_stats" / f"{task.kind}-{task.part}.json", asdict(stats))
    return stats


def load_stats(out_dir: str, kind: str, part: str) -> PartStats | None:
    """Stats of a task finished by an earlier (possibly killed) attempt; None if it did not finish."""
    path = Path(out_dir) / "_stats" / f"{kind}-{part}.json"
    if not path.exists():
        return None
    return PartStats(**json.loads(path.read_text()))


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def _timed_read(path: str, stats: PartStats, columns=None) -> pa.Table:
    t = time.perf_counter()
    table = read_part(path, columns=columns)
    stats.io_seconds += time.perf_counter() - t
    stats.bytes_in += os.path.getsize(path)
    return table


def _timed_batches(path: str, stats: PartStats, columns=None) -> Iterator[pa.Table]:
    """A part's rows, BATCH_ROWS at a time (at least one batch, empty for an empty part). Why: reading a whole
    part holds ~3.5x its text in decoding buffers at the peak (~100 MB for a part of 28 MB of text, in each
    worker at once); a batch at a time, a task grows far less (tests/test_task_memory.py)."""
    stats.bytes_in += os.path.getsize(path)
    t = time.perf_counter()
    f = pq.ParquetFile(path, buffer_size=1 << 20)
    empty = True
    for batch in f.iter_batches(batch_size=BATCH_ROWS, columns=columns, use_threads=False):
        stats.io_seconds += time.perf_counter() - t
        empty = False
        yield pa.Table.from_batches([batch])
        t = time.perf_counter()
    stats.io_seconds += time.perf_counter() - t
    if empty:
        yield f.schema_arrow.empty_table().select(columns or f.schema_arrow.names)


def _timed_write(table: pa.Table, path: Path, stats: PartStats, counts_as_output: bool = True) -> None:
    seconds, size = _write_timed(table, path)
    stats.io_seconds += seconds
    if counts_as_output:
        stats.bytes_out += size


def _write_timed(table: pa.Table | Iterator[pa.Table], path: Path) -> tuple[float, int]:
    """(seconds, bytes) of writing one part; touches no stats, so the reader's writer thread can run it."""
    t = time.perf_counter()
    size = write_part(table, path)
    return time.perf_counter() - t, size


def _lineage(ids, action: str, reasons, duplicate_of=None, scores=None) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "_id": pa.array(ids, pa.int64()),
            "action": pa.array([action] * n, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "duplicate_of": duplicate_of.cast(pa.int64()) if isinstance(duplicate_of, pa.Array) else
            pa.array(duplicate_of if duplicate_of is not None else [None] * n, pa.int64()),
            "scores": pa.array(scores if scores is not None else [None] * n, pa.string()),
        },
        schema=LINEAGE_SCHEMA,
    )


# -- readers -----------------------------------------------------------------------------------------
def _read_shard(task: Task) -> PartStats:
    """Read one shard into parts `<shard>-00000`, `<shard>-00001`, ... Parts that already exist (from a
    killed attempt) are re-derived identically and not rewritten. Parts are written by two threads while
    the reader parses the next chunk (Parquet compression releases the GIL, and compressing a part takes ~3x
    as long as parsing it: one writer left the parser waiting); at most three wait, so memory stays bounded."""
    reader: Reader = _op(task)
    out = Path(task.out_dir)
    stats = PartStats(task.part)
    bad: list[Quarantined] = []
    chunk = 0
    pending: list[Future] = []
    with ThreadPoolExecutor(WRITERS) as writer:
        writer.submit(lambda: scratch().close())  # write_text_stats's DuckDB opens (~15 ms) during the first parse
        for item in reader.read(task.inputs):
            if isinstance(item, Quarantined):
                bad.append(item)
                continue
            name = f"{task.part}-{chunk:05d}"
            chunk += 1
            stats.parts.append(name)
            stats.rows_in += item.num_rows + len(bad)
            stats.rows_out += item.num_rows
            stats.quarantined += len(bad)
            target = out / f"{name}.parquet"
            if not target.exists():
                if bad:
                    _timed_write(_quarantine_table(bad), out / "quarantine" / f"{name}.parquet", stats, False)
                while len(pending) > WRITERS:
                    _add_write(stats, pending.pop(0).result())
                pending.append(writer.submit(_write_reader_part, item, target))
            else:
                stats.bytes_out += target.stat().st_size
            bad = []
        for fut in pending:
            _add_write(stats, fut.result())
    if bad:  # bad records after the last good batch
        stats.rows_in += len(bad)
        stats.quarantined += len(bad)
        _timed_write(_quarantine_table(bad), out / "quarantine" / f"{task.part}-tail.parquet", stats, False)
    return stats


def _write_reader_part(table: pa.Table, path: Path) -> tuple[float, int]:
    """A reader part, after its text statistics (write_text_stats: the part, written last, is the proof
    that both exist)."""
    write_text_stats(table, path)
    return _write_timed(table, path)


def _add_write(stats: PartStats, done: tuple[float, int]) -> None:
    stats.io_seconds += done[0]
    stats.bytes_out += done[1]


def _quarantine_table(bad: list[Quarantined]) -> pa.Table:
    return pa.table(
        {
            "file": [b.file for b in bad],
            "line": pa.array([b.line for b in bad], pa.int64()),
            "error": [b.error for b in bad],
            "raw": [b.raw for b in bad],
        },
        schema=QUARANTINE_SCHEMA,
    )


# -- row-wise operators ------------------------------------------------------------------------------
def _map_part(task: Task) -> PartStats:
    op = _op(task)
    out = Path(task.out_dir)
    stats = PartStats(task.part)
    table = _timed_read(task.inputs[0], stats)
    stats.rows_in = table.num_rows
    if isinstance(op, Filter):
        result, lineage = apply_filter(op, table)
        stats.dropped = lineage.num_rows
    elif isinstance(op, Mapper):
        result, lineage = apply_mapper(op, table)
        stats.modified = lineage.num_rows
    elif isinstance(op, Generator):
        result, lineage = apply_generator(op, table)
        stats.added = lineage.num_rows
    else:
        raise TypeError(f"{op.name} is a {op.kind}, not a mapper, filter or generator")
    stats.rows_out = result.num_rows
    if lineage.num_rows:
        _timed_write(lineage, out / "lineage" / f"{task.part}.parquet", stats, False)
    if isinstance(op, Filter):  # (before the part: the part, written last, is the proof that the task finished)
        keep_text_stats(task.inputs[0], lineage.column("_id"), out / f"{task.part}.parquet", table.column("_id"))
    _timed_write(result, out / f"{task.part}.parquet", stats)
    return stats


def apply_filter(op: Filter, table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Score, decide, and split a table into (kept rows with score columns, lineage of dropped rows)."""
    scores = pa.table({k: v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v) for k, v in op.score(table).items()})
    if scores.num_rows != table.num_rows:
        raise ValueError(f"{op.name}.score returned {scores.num_rows} rows for {table.num_rows}")
    mask, reasons = op.decide(scores, table)  # (rows outside the filter's scope stay)
    for name in scores.column_names:
        col = scores.column(name)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, col)
        else:
            table = table.append_column(name, col)
    drop_rows = np.flatnonzero(~mask)
    ids = table.column("_id").to_numpy()
    lineage = _lineage(
        ids[drop_rows], "drop", [reasons[i] for i in drop_rows], scores=scores_json(scores, drop_rows)
    )
    return table.filter(pa.array(mask)), lineage


def apply_mapper(op: Mapper, table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Map, then record which rows changed an existing column (their old values stay in the input version)."""
    result = op.apply(table)  # (rows outside the step's scope pass through)
    if result.num_rows != table.num_rows:
        raise ValueError(f"{op.name}.map changed the row count ({table.num_rows} -> {result.num_rows})")
    if "_id" not in result.column_names or not result.column("_id").equals(table.column("_id")):
        raise ValueError(f"{op.name}.map must keep the `_id` column unchanged")
    changed = np.zeros(table.num_rows, dtype=bool)
    for name in result.column_names:
        if name != "_id" and name in table.column_names and result.column(name).type == table.column(name).type:
            changed |= _changed_rows(result.column(name), table.column(name))
    rows = np.flatnonzero(changed)
    ids = table.column("_id").to_numpy()
    return result, _lineage(ids[rows], "modify", [op.name] * len(rows))


def _changed_rows(new: pa.ChunkedArray, old: pa.ChunkedArray) -> np.ndarray:
    """Rows whose value differs (null vs value differs, null vs null does not). Arrow has no `not_equal`
    for lists and structs ("turns": [{speaker, text}]): a column passed through unchanged is found equal
    whole; a nested column a mapper did change is compared row by row in Python."""
    if new is old or new.equals(old):
        return np.zeros(len(new), dtype=bool)
    if pa.types.is_nested(new.type):
        return np.fromiter((a != b for a, b in zip(new.to_pylist(), old.to_pylist(), strict=True)), bool, len(new))
    diff = pc.fill_null(pc.not_equal(new, old), True)
    both_null = pc.and_(pc.is_null(new), pc.is_null(old))
    return pc.and_not(diff, both_null).to_numpy(zero_copy_only=False)


def apply_generator(op: Generator, table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Append generated rows (with `_id` and `_parent_id`) after the input rows (or instead of them)."""
    new = op.generate(table)
    for col in ("_id", "_parent_id"):
        if col not in new.column_names:
            raise ValueError(f"{op.name}.generate must return `{col}` (use tilth.storage.ids.derived_ids)")
    keep_input = getattr(op.params, "keep_input", op.keep_input)
    if keep_input:
        if "_parent_id" not in table.column_names:
            table = table.append_column("_parent_id", pa.nulls(table.num_rows, pa.int64()))
        result = pa.concat_tables([table, new], promote_options="permissive")
    else:
        result = new
    lineage = _lineage(new.column("_id").to_numpy(), "add", [op.name] * new.num_rows,
                       duplicate_of=new.column("_parent_id").to_numpy(zero_copy_only=False))
    return result, lineage


# -- deduplicators -----------------------------------------------------------------------------------
def _signature_part(task: Task) -> PartStats:
    op: Deduplicator = _op(task)
    stats = PartStats(task.part)
    columns = None
    if op.inputs:  # a signature reads only the columns it declares (the text), not the rest of the row
        wanted = {"_id", *op.input_columns()}
        columns = [c for c in pq.read_schema(task.inputs[0]).names if c in wanted]
    # signatures are per row, so a batch at a time: the part's text is never all in memory at once
    sigs = []
    for batch in _timed_batches(task.inputs[0], stats, columns):
        stats.rows_in += batch.num_rows
        sigs.append(_signature(op, batch))
    sig = pa.concat_tables(sigs)
    sig = sig.add_column(1, "_part", repeat_string(task.part, sig.num_rows))
    sig = sig.add_column(2, "_row", from_numpy(np.arange(sig.num_rows, dtype=np.int64)))
    _timed_write(sig, Path(task.out_dir) / "sig" / f"{task.part}.parquet", stats, False)
    return stats


def _signature(op: Deduplicator, batch: pa.Table) -> pa.Table:
    """The signature columns of `batch`, after its `_id`: of the rows its scope selects, where it has one (the
    others take no part: "remove duplicate notes among the closed tickets" neither drops an open one nor keeps
    one as the original of a closed one)."""
    sig = op.signature(batch)
    if sig.num_rows != batch.num_rows:
        raise ValueError(f"{op.name}.signature returned {sig.num_rows} rows for {batch.num_rows}")
    sig = sig.add_column(0, "_id", batch.column("_id"))
    if getattr(op.params, "where_column", None):  # (imported here: it needs pyarrow.compute, a plain run never does)
        from tilth.ops.where import where_mask

        sig = sig.filter(pa.array(where_mask(batch, op.params)))
    return sig


def _apply_part(task: Task) -> PartStats:
    stats = PartStats(task.part)
    drops = _part_drops(task.drops, task.part)
    if drops.num_rows:  # written first: the data part, last, is the proof that the task finished
        lineage = _lineage(
            drops.column("_id").to_numpy(), "drop", drops.column("reason").to_pylist(),
            duplicate_of=drops.column("duplicate_of").combine_chunks(),  # null where a row duplicates none (top_filter)
        )
        _timed_write(lineage, Path(task.out_dir) / "lineage" / f"{task.part}.parquet", stats, False)
        stats.dropped = drops.num_rows
    keep_text_stats(task.inputs[0], drops.column("_id"), Path(task.out_dir) / f"{task.part}.parquet")
    # read, filtered and written a batch at a time: the part is never whole in memory (see _timed_batches)
    read_before = stats.io_seconds
    kept = _kept_rows(_timed_batches(task.inputs[0], stats), drops.column("_id"), stats)
    seconds, size = _write_timed(kept, Path(task.out_dir) / f"{task.part}.parquet")
    stats.io_seconds = read_before + seconds  # the reads happen inside the write, and its time covers them
    stats.bytes_out += size
    return stats


def _kept_rows(batches: Iterator[pa.Table], dropped: pa.ChunkedArray, stats: PartStats) -> Iterator[pa.Table]:
    """Each batch without the rows whose `_id` is in `dropped`; counts rows in and out."""
    for batch in batches:
        stats.rows_in += batch.num_rows
        if len(dropped):
            batch = batch.filter(pc.invert(pc.is_in(batch.column("_id"), value_set=dropped)))
        stats.rows_out += batch.num_rows
        yield batch


def _part_drops(path: str, part: str) -> pa.Table:
    """One part's drops: from a folder of per-part folders (partitioned global phases), or filtered from
    one file (global phases that run in the driver)."""
    columns = ["_id", "duplicate_of", "reason"]
    if os.path.isdir(path):
        files = list_parts(Path(path) / part)
        if not files:
            return pa.table({"_id": pa.array([], pa.int64()), "duplicate_of": pa.array([], pa.int64()),
                             "reason": pa.array([], pa.string())})
        return pa.concat_tables([read_part(f, columns=columns) for f in files]).sort_by("_id")
    return pq.read_table(path, filters=[("_part", "=", part)], columns=columns)


def signature_files(out_dir: str) -> list[str]:
    return [str(p) for p in list_parts(Path(out_dir) / "sig")]
