"""A shuffle through files: each task of one stage splits its output rows by partition into
`<dir>/<partition>/<task>.parquet`; each task of the next stage reads one partition folder.

Why files: the workspace is already on storage every node sees (see docs/scaling.md), a partition is
read by exactly one task, and a stage that dies can simply be run again (writes are atomic renames).
Nothing passes through the driver.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from tilth.storage.parts import list_parts, read_part, write_part


def partition_name(k: int) -> str:
    return f"p{k:05d}"


def scatter(table: pa.Table, partition: np.ndarray, out_dir: str | Path, task: str,
            names: list[str] | None = None) -> int:
    """Write the rows of `table` whose `partition` (one int per row) is k to `out_dir/<name k>/<task>.parquet`,
    for every k that has rows; `names` (default p00000, ...) names the partition folders. Returns rows written."""
    if table.num_rows == 0:
        return 0
    partition = np.asarray(partition, dtype=np.int64)
    order = np.argsort(partition, kind="stable")
    sorted_p = partition[order]
    cuts = np.flatnonzero(np.r_[True, sorted_p[1:] != sorted_p[:-1], True])
    table = table.take(pa.array(order))
    for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        k = int(sorted_p[lo])
        name = names[k] if names is not None else partition_name(k)
        write_part(table.slice(lo, hi - lo), Path(out_dir) / name / f"{task}.parquet")
    return table.num_rows


def gather(in_dir: str | Path, name: str, schema: pa.Schema) -> pa.Table:
    """All rows scattered to partition `name` of `in_dir` (an empty table of `schema` if none)."""
    files = list_parts(Path(in_dir) / name)
    if not files:
        return schema.empty_table()
    return pa.concat_tables([read_part(f, columns=schema.names).cast(schema) for f in files])


def bucket(values: np.ndarray, n: int) -> np.ndarray:
    """Partition of each (already well mixed) uint64 value among n."""
    return (np.asarray(values).astype(np.uint64) % np.uint64(n)).astype(np.int64)
