"""Connected components over edges partitioned by node, as rounds of tasks (alternating large-star and
small-star, Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014).

Why this algorithm: each round is one pass over the edges grouped by node, so a task holds only its own
partition (about edges / partitions rows, plus the largest component's star), never the whole graph, and
the number of rounds grows as O(log^2 n) at worst (a few in practice) rather than with the diameter as
min-label propagation does (a chain of near duplicates has a long one). It ends in stars whose centre is
the smallest node of each component: the same answer as the in-memory union-find (dedup_unionfind).

Edges live as directed neighbour pairs (a, b), both directions, in `<dir>/p<k>/` with k = hash(a) % n.
Convergence is checked locally: a graph is a forest of min-centred stars exactly when every node either
has only larger neighbours (a centre) or a single, smaller neighbour (a leaf).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from tilth.exec.base import Executor
from tilth.exec.shuffle import gather, partition_name, scatter
from tilth.exec.stage import run_stage
from tilth.ops.process.arrow_np import from_numpy, to_numpy
from tilth.ops.process.dedup_shingles import splitmix64

EDGES = pa.schema([("a", pa.int64()), ("b", pa.int64())])
MAX_ROUNDS = 200


def node_partition(nodes: np.ndarray, n: int) -> np.ndarray:
    return (splitmix64(np.asarray(nodes).astype(np.uint64)) % np.uint64(n)).astype(np.int64)


def write_edges(u: np.ndarray, v: np.ndarray, out_dir: str | Path, task: str, n: int) -> int:
    """Scatter undirected edges (u, v) to the partitions of both ends."""
    a = np.concatenate([u, v]).astype(np.int64)
    b = np.concatenate([v, u]).astype(np.int64)
    keep = a != b
    a, b = a[keep], b[keep]
    return scatter(pa.table({"a": from_numpy(a), "b": from_numpy(b)}), node_partition(a, n), out_dir, task)


def _grouped(in_dir: str, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, start of a's group per pair, m = min(a, neighbours of a) per pair), distinct pairs sorted."""
    t = gather(in_dir, partition_name(k), EDGES)
    a, b = to_numpy(t.column("a")), to_numpy(t.column("b"))
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    if a.size:
        keep = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
        a, b = a[keep], b[keep]
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if a.size else np.zeros(0, np.int64)
    m = np.minimum(a, np.repeat(np.minimum.reduceat(b, starts), np.diff(np.r_[starts, a.size]))) if a.size else a
    return a, b, starts, m


def _violations(a: np.ndarray, b: np.ndarray, starts: np.ndarray) -> int:
    """Nodes that are neither a centre (all neighbours larger) nor a leaf (one neighbour, smaller)."""
    if not a.size:
        return 0
    sizes = np.diff(np.r_[starts, a.size])
    smaller = np.add.reduceat((b < a).astype(np.int64), starts)
    leaf = (sizes == 1) & (smaller == 1)
    return int(np.count_nonzero(~leaf & (smaller > 0)))


def _star_task(item: tuple[str, str, str, int, int]) -> int:
    """One partition of one round: large-star links every larger neighbour of a node to the smallest node
    of its neighbourhood; small-star links a node and its smaller neighbours to the smallest of them.
    Returns the partition's violations of the star form (large rounds; checked on their input)."""
    kind, in_dir, out_dir, k, n = item
    a, b, starts, m = _grouped(in_dir, k)
    bad = _violations(a, b, starts) if kind == "large" else 0
    if kind == "large":
        sel = b > a
        write_edges(b[sel], m[sel], out_dir, partition_name(k), n)
    else:
        sel = b < a
        first = np.zeros(a.size, bool)
        first[starts] = True
        # (smaller neighbour, m) and (node itself, m) once per node; self loops are dropped by write_edges
        u = np.concatenate([b[sel], a[first & (m < a)]])
        v = np.concatenate([m[sel], m[first & (m < a)]])
        write_edges(u, v, out_dir, partition_name(k), n)
    return bad


def star_components(executor: Executor | None, edge_dir: str | Path, n: int, work_dir: str | Path) -> Path:
    """Rounds over the partitioned edges in `edge_dir` until they form min-centred stars; returns the folder
    of that final edge set (in `work_dir`). Spent rounds' folders are removed as the next one is written."""
    work_dir = Path(work_dir)
    current = Path(edge_dir)
    for r in range(MAX_ROUNDS):
        large = work_dir / f"round{r:03d}-large"
        bad = run_stage(executor, _star_task, [("large", str(current), str(large), k, n) for k in range(n)])
        if sum(bad) == 0:
            shutil.rmtree(large, ignore_errors=True)
            return current
        if current != Path(edge_dir):
            shutil.rmtree(current, ignore_errors=True)
        small = work_dir / f"round{r:03d}-small"
        run_stage(executor, _star_task, [("small", str(large), str(small), k, n) for k in range(n)])
        shutil.rmtree(large, ignore_errors=True)
        current = small
    raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")


def leaves(star_dir: str | Path, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(node, root) of every non-root node in partition k of a star forest."""
    a, b, _, _ = _grouped(str(star_dir), k)
    sel = b < a
    return a[sel], b[sel]


def partitioned_components(u: np.ndarray, v: np.ndarray, n: int = 4,
                           executor: Executor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The same contract as dedup_unionfind.components, computed through n partitions (for tests and
    small inputs): (nodes in edges, sorted; smallest node of each one's component)."""
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    with tempfile.TemporaryDirectory() as d:
        write_edges(u, v, Path(d) / "edges", "input", n)
        stars = star_components(executor, Path(d) / "edges", n, d)
        pairs = [leaves(stars, k) for k in range(n)]
    nodes = np.unique(np.concatenate([u, v])) if u.size else np.zeros(0, np.int64)
    root = nodes.copy()
    if pairs:
        leaf = np.concatenate([p[0] for p in pairs])
        top = np.concatenate([p[1] for p in pairs])
        root[np.searchsorted(nodes, leaf)] = top
    return nodes, root
