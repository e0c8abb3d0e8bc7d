"""The last two stages of a partitioned dedup: (node, root) pairs -> drop rows (`_id`, `_part`,
`duplicate_of`, `reason`) written to `drops/<part>/`, one folder per input part, so each apply task reads
only its own part's drops.

Two passes because a pair's two rows may live in different files: the first attaches the dropped row's
`_id` (pairs grouped by its file), the second the kept row's (grouped by the root's file).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tilth.exec.base import Executor
from tilth.exec.shuffle import gather, partition_name, scatter
from tilth.exec.stage import run_stage
from tilth.ops.process.arrow_np import from_numpy, to_numpy
from tilth.ops.process.dedup_layout import DROPS, Layout, load_layout, node_file, node_row
from tilth.storage.parts import read_part

PAIRS = pa.schema([("node", pa.int64()), ("root", pa.int64())])
_HALF = pa.schema([("_id", pa.int64()), ("leaf_file", pa.int64()), ("root", pa.int64())])


def scatter_pairs(node: np.ndarray, root: np.ndarray, layout: Layout, task: str) -> int:
    """Hand (dropped node, kept node) pairs to the file of the dropped node."""
    t = pa.table({"node": from_numpy(node.astype(np.int64)), "root": from_numpy(root.astype(np.int64))})
    return scatter(t, node_file(node), layout.stage("pairs"), task)


def _ids_at(layout: Layout, f: int, nodes: np.ndarray) -> pa.Array:
    """The `_id`s of the given nodes, all rows of input file `f`, from that file's `_id` column."""
    return read_part(layout.files[f], columns=["_id"]).column("_id").take(pa.array(node_row(nodes)))


def _leaf_ids(item: tuple[str, int]) -> int:
    path, f = item
    layout = load_layout(path)
    t = gather(layout.stage("pairs"), partition_name(f), PAIRS)
    if not t.num_rows:
        return 0
    node = to_numpy(t.column("node"))
    ids = _ids_at(layout, f, node)
    root = to_numpy(t.column("root"))
    half = pa.table({"_id": ids, "leaf_file": from_numpy(np.full(node.size, f, np.int64)),
                     "root": from_numpy(root)})
    return scatter(half, node_file(root), layout.stage("half"), partition_name(f))


def _root_ids(item: tuple[str, int, str]) -> int:
    path, g, reason = item
    layout = load_layout(path)
    t = gather(layout.stage("half"), partition_name(g), _HALF)
    if not t.num_rows:
        return 0
    root = to_numpy(t.column("root"))
    kept = _ids_at(layout, g, root)
    leaf_file = to_numpy(t.column("leaf_file"))
    names = np.array(layout.names, dtype=object)[leaf_file]
    drops = pa.table({"_id": t.column("_id"), "_part": pa.array(names, pa.string()), "duplicate_of": kept,
                      "reason": pa.array([reason] * t.num_rows, pa.string())}, schema=DROPS)
    return scatter(drops, leaf_file, layout.drops_dir, partition_name(g), names=list(layout.names))


def write_drops(executor: Executor | None, layout: Layout, reason: str) -> int:
    """Run both passes over the pairs in the `pairs` stage; returns the number of drops."""
    n = len(layout.files)
    run_stage(executor, _leaf_ids, [(layout.path, f) for f in range(n)])
    return sum(run_stage(executor, _root_ids, [(layout.path, g, reason) for g in range(n)]))
