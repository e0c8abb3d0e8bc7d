"""MinHash-LSH's global phase as partitioned stages: no task holds more than one partition's band rows
or one file's signatures, whatever the corpus size.

1. bands:      per signature file, (band, bucket, node) rows scattered by bucket (layout.partitions).
2. candidates: per bucket partition, rows sharing a (band, bucket) become pairs (u < v): every pair in
               buckets of up to 16 rows, a star to the first row plus a chain in larger ones (linear in the
               bucket, and still connecting all it connects); scattered by the file of u.
3. left:       per file, distinct pairs get u's verification key; scattered by the file of v.
4. verify:     per file, pairs get v's key and are kept if similar enough; kept edges go to the
               connected-components stages (dedup_components), partitioned by node.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tilth.exec.base import Executor
from tilth.exec.shuffle import bucket, gather, partition_name, scatter
from tilth.exec.stage import run_stage
from tilth.ops.process.arrow_np import from_numpy, to_numpy
from tilth.ops.process.dedup_components import write_edges
from tilth.ops.process.dedup_layout import Layout, load_layout, node_file, node_row, nodes_of
from tilth.storage.parts import read_part

BANDS = pa.schema([("band", pa.int32()), ("bucket", pa.uint64()), ("node", pa.int64())])
CANDS = pa.schema([("u", pa.int64()), ("v", pa.int64())])
ALL_PAIRS_UP_TO = 16

# (est similarity per pair) from the two key columns; given by the operator (exact or signature Jaccard)
Similarity = Callable[[pa.Array, pa.Array], np.ndarray]


def _bands(item: tuple[str, int]) -> int:
    path, f = item
    layout = load_layout(path)
    col = read_part(layout.files[f], columns=["bands"]).column("bands").combine_chunks()
    n = len(col)
    lengths = to_numpy(pc.fill_null(pc.list_value_length(col), 0)).astype(np.int64)
    rows = np.flatnonzero(to_numpy(col.is_valid()).astype(bool) & (lengths > 0))
    if not rows.size:
        return 0
    nb = int(lengths[rows[0]])
    if not (lengths[rows] == nb).all():
        raise ValueError(f"{layout.files[f]}: rows have different numbers of bands")
    offsets = to_numpy(col.offsets).astype(np.int64)
    idx = (offsets[rows][:, None] + np.arange(nb)[None, :]).ravel()
    buckets = to_numpy(col.values)[idx].astype(np.uint64)
    t = pa.table({"band": from_numpy(np.tile(np.arange(nb, dtype=np.int32), rows.size)),
                  "bucket": from_numpy(buckets),
                  "node": from_numpy(np.repeat(nodes_of(f, n)[rows], nb))}, schema=BANDS)
    return scatter(t, bucket(buckets, layout.partitions), layout.stage("bands"), partition_name(f))


def _candidates(item: tuple[str, int]) -> int:
    path, k = item
    layout = load_layout(path)
    t = gather(layout.stage("bands"), partition_name(k), BANDS)
    band, bkt, node = _shared_buckets(*(to_numpy(t.column(c)) for c in ("band", "bucket", "node")))
    if not node.size:
        return 0
    starts = np.flatnonzero(np.r_[True, (band[1:] != band[:-1]) | (bkt[1:] != bkt[:-1])])
    sizes = np.diff(np.r_[starts, node.size])
    end = np.repeat(starts + sizes, sizes)  # one past each row's group
    size = np.repeat(sizes, sizes)
    us, vs = [], []
    small = np.flatnonzero((size > 1) & (size <= ALL_PAIRS_UP_TO))
    for d in range(1, ALL_PAIRS_UP_TO):
        i = small[small + d < end[small]]
        us.append(node[i])
        vs.append(node[i + d])
    big = size > ALL_PAIRS_UP_TO
    first = np.zeros(node.size, bool)
    first[starts] = True
    later = np.flatnonzero(big & ~first)
    root = np.repeat(node[starts], sizes)
    us += [root[later], node[later - 1]]  # the star to the group's first row, and the chain
    vs += [node[later], node[later]]
    u, v = np.concatenate(us), np.concatenate(vs)
    pairs = np.unique(np.stack([u, v], axis=1), axis=0) if u.size else np.zeros((0, 2), np.int64)
    cand = pa.table({"u": from_numpy(pairs[:, 0].copy()), "v": from_numpy(pairs[:, 1].copy())}, schema=CANDS)
    return scatter(cand, node_file(pairs[:, 0]), layout.stage("cand"), partition_name(k))


def _shared_buckets(band: np.ndarray, bkt: np.ndarray, node: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows whose (band, bucket) another row shares, sorted by band, bucket, node. Nearly every row is
    alone in its bucket: one sort of a 64-bit key (band mixed into the bucket hash) finds the few that are
    not, and only those take the exact three-key sort (a lexsort of every row cost 5x more). Two
    (band, bucket)s with the same key only keep a few extra rows in: the exact sort still groups them apart."""
    key = bkt.astype(np.uint64) ^ (band.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    order = np.argsort(key)
    k = key[order]
    same = k[1:] == k[:-1]
    shared = np.zeros(k.size, bool)
    shared[1:] |= same
    shared[:-1] |= same
    rows = order[shared]
    band, bkt, node = band[rows], bkt[rows], node[rows]
    order = np.lexsort((node, bkt, band))
    return band[order], bkt[order], node[order]


def _distinct(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not u.size:
        return u, v
    pairs = np.unique(np.stack([u, v], axis=1), axis=0)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def _keys(layout: Layout, f: int, nodes: np.ndarray) -> pa.Array:
    """The verification keys (`sig` column) of the given nodes of file f."""
    col = read_part(layout.files[f], columns=["sig"]).column("sig")
    return col.take(pa.array(node_row(nodes))).combine_chunks()


def _left(item: tuple[str, int, str | None]) -> int:
    path, f, verify = item
    layout = load_layout(path)
    t = gather(layout.stage("cand"), partition_name(f), CANDS)
    u, v = _distinct(to_numpy(t.column("u")), to_numpy(t.column("v")))
    if not u.size:
        return 0
    if verify is None:  # every candidate is an edge
        return write_edges(u, v, layout.stage("edges"), partition_name(f), layout.partitions)
    su = _keys(layout, f, u)
    out = pa.table({"u": from_numpy(u), "v": from_numpy(v), "su": su})
    return scatter(out, node_file(v), layout.stage("left"), partition_name(f))


def _verify(item: tuple[str, int, Similarity]) -> int:
    path, g, similarity = item
    layout = load_layout(path)
    key_type = pq.read_schema(layout.files[g]).field("sig").type
    schema = CANDS.append(pa.field("su", key_type))
    t = gather(layout.stage("left"), partition_name(g), schema)
    if not t.num_rows:
        return 0
    v = to_numpy(t.column("v"))
    ok = similarity(t.column("su").combine_chunks(), _keys(layout, g, v))
    u = to_numpy(t.column("u"))[ok]
    return write_edges(u, v[ok], layout.stage("edges"), partition_name(g), layout.partitions)


def similar_edges(executor: Executor | None, layout: Layout, similarity: Similarity | None) -> str:
    """Run stages 1-4; returns the folder of accepted edges (partitioned by node, both directions).
    `similarity` None: no verification (every candidate pair is an edge)."""
    n = len(layout.files)
    run_stage(executor, _bands, [(layout.path, f) for f in range(n)])
    run_stage(executor, _candidates, [(layout.path, k) for k in range(layout.partitions)])
    run_stage(executor, _left, [(layout.path, f, None if similarity is None else "keys") for f in range(n)])
    if similarity is not None:
        run_stage(executor, _verify, [(layout.path, g, similarity) for g in range(n)])
    return layout.stage("edges")
