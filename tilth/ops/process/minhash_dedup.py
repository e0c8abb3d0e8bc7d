"""MinHash-LSH near-duplicate removal: word n-gram shingles, MinHash, banded LSH, verification by
estimated Jaccard, and connected components so chains of near duplicates keep a single row.

Per part (in workers): shingle hashes -> (num_perm) MinHash -> `bands` band hashes, written to the
signature parquet with the 32-bit tail of the signature for verification. Globally (driver, DuckDB over
those files, spilling to `work_dir`): rows sharing a (band, bucket) become candidate pairs, candidates are
kept if their signatures agree on >= threshold of the positions, then a vectorised union-find merges them;
the first row of each component in dataset order is kept and every other row records it as duplicate_of.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from tilth.ops.base import Deduplicator, Params, Resources
from tilth.ops.process.arrow_np import from_numpy, table, to_numpy, value_bytes, value_offsets
from tilth.ops.process.dedup_lsh import band_hashes, minhash, optimal_bands, permutations
from tilth.ops.process.dedup_shingles import shingle_runs
from tilth.ops.process.dedup_unionfind import components
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register


class MinHashParams(Params):
    text_field: str = Field("text", description="Column holding the text.")
    threshold: float = Field(0.8, gt=0, le=1, description="Drop a row if its estimated Jaccard similarity "
                             "with a row kept earlier (directly or through a chain) is >= threshold.")
    ngram: int = Field(5, ge=1, le=8, description="Words per shingle.")
    num_perm: int = Field(128, ge=8, le=1024, description="MinHash permutations (signature length).")
    bands: int | None = Field(None, ge=1, description="LSH bands; with `rows` unset, chosen from threshold.")
    rows: int | None = Field(None, ge=1, description="Signature rows per band; set together with `bands`.")
    fp_weight: float = Field(0.05, ge=0, le=1, description="Weight of false positives when choosing bands x "
                             "rows; low by default because verification removes false candidates.")
    fn_weight: float = Field(0.95, ge=0, le=1, description="Weight of false negatives when choosing bands x rows.")
    verify: Literal["exact", "signature", "none"] = Field(
        "exact", description="Which LSH candidate pairs to accept: exact: true Jaccard of the shingle sets "
        ">= threshold (stores 4 bytes per shingle in the signature files); signature: estimated Jaccard "
        "(share of equal MinHash values) >= threshold; none: every candidate.")
    lowercase: bool = Field(True, description="Compare text case-insensitively.")
    seed: int = Field(1, description="Seed of the MinHash permutations.")

    @model_validator(mode="after")
    def _bands(self):
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows ({self.bands * self.rows}) must be <= num_perm ({self.num_perm})")
        return self


@register
class MinHashDedup(Deduplicator):
    name = "minhash_dedup"
    category = "process"
    description = """Remove near duplicates by MinHash-LSH over word n-gram shingles. Candidate pairs share
    an LSH band bucket (bands x rows chosen from `threshold`); with `verify` they must also have estimated
    Jaccard >= threshold. Chains of near duplicates collapse to one kept row (the first in dataset
    order); each dropped row records that row's `_id` as `duplicate_of`."""
    examples = (
        "remove near duplicates",
        "drop documents that are almost the same",
        "fuzzy deduplication",
        "remove pages that differ only by a few words",
        "MinHash LSH deduplication",
        "deduplicate similar but not identical texts",
        "collapse lightly edited copies of the same article",
        "remove copies of the same article with small changes such as a different header or footer",
        "near dedup",
        "fuzzy dedup with MinHash",
        "the crawl has mirrored copies of the same page with tiny edits",
        "drop near-identical pages that differ only in dates or ads",
        "find and remove almost-duplicate records by Jaccard similarity",
        "can you fuzzy-dedupe the scraped news articles?",
        "collapse templated pages that share most of their text",
        "drop rows with heavy n-gram overlap with an earlier row",
        "the model keeps memorising the same boilerplate page with small variations",
        "neardup removal with lsh",
        "remove near-duplicate documents",
        "remove pages that share most of their word n-grams",
    )
    inputs = ("{text_field}",)
    outputs = ()
    Params = MinHashParams
    resources = Resources(cpu=1.0, memory_mb=512)
    version = 3  # 2: exact-verification keys stored as one uint32 blob per row (was a list<uint32>); 3: 32-bit MinHash

    def band_config(self) -> tuple[int, int]:
        p = self.params
        if p.bands is not None:
            return p.bands, p.rows
        return optimal_bands(p.threshold, p.num_perm, p.fp_weight, p.fn_weight)

    # -- per part ---------------------------------------------------------------------------------------
    def signature(self, batch: pa.Table) -> pa.Table:
        p = self.params
        n = batch.num_rows
        text = text_column(batch, p.text_field)
        a = permutations(p.num_perm, p.seed)
        n_bands, rows = self.band_config()
        bh = np.zeros((n, n_bands), dtype=np.uint64)
        has = np.zeros(n, dtype=bool)
        tails = np.zeros((n, p.num_perm), dtype=np.uint32) if p.verify == "signature" else None
        keys, done = [], 0  # exact: one blob array per run of rows (and per gap between runs)
        # run by run of whole documents (~0.5 MB of text): shingles, MinHash, band hashes and the
        # verification keys of a run are computed while its temporaries are still in cache
        for lo, hi, sh, doc in shingle_runs(text, p.ngram, p.lowercase):
            sig = minhash(sh, doc, hi - lo, a)
            bh[lo:hi] = band_hashes(sig, n_bands, rows)
            has[lo + doc] = True
            if tails is not None:
                tails[lo:hi] = sig
            elif p.verify == "exact":
                # the 32-bit tails of each document's shingle hashes, in text order: they are sorted and
                # deduplicated in the global pass, for the candidate rows only
                if lo > done:  # rows without shingles between runs
                    keys.append(_blobs(np.zeros(lo - done, np.int64)))
                keys.append(_blobs(np.bincount(doc, minlength=hi - lo), (sh >> np.uint64(32)).astype(np.uint32)))
                done = hi
        offsets = np.arange(0, (n + 1) * n_bands, n_bands, dtype=np.int32)
        bands = pa.ListArray.from_arrays(from_numpy(offsets), from_numpy(bh), mask=from_numpy(~has))
        cols = {"bands": bands}
        if tails is not None:
            cols["sig"] = pa.FixedSizeListArray.from_arrays(from_numpy(tails), p.num_perm)
        elif p.verify == "exact":
            if done < n or not keys:
                keys.append(_blobs(np.zeros(n - done, np.int64)))
            cols["sig"] = pa.chunked_array(keys, pa.large_binary())
        return table(cols)

    # -- global -----------------------------------------------------------------------------------------
    def similar_pairs(self, con: duckdb.DuckDBPyConnection,
                      signature_files: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(node, other, estimated jaccard) of the accepted pairs, over the table `s` (node, _part, _row,
        bands) of `con`; the `sig` column is read from the signature files for candidate rows only."""
        p = self.params
        con.execute(
            """CREATE TABLE b AS SELECT node, unnest(bands) AS bucket, generate_subscripts(bands, 1) AS band
               FROM s WHERE bands IS NOT NULL""")
        # Only rows whose bucket is shared matter; the window functions then run over those alone.
        con.execute(
            """CREATE TABLE bb AS SELECT band, bucket, node,
                 count(*) OVER w AS size, min(node) OVER w AS root, lag(node) OVER (w ORDER BY node) AS prev
               FROM b SEMI JOIN (SELECT band, bucket FROM b GROUP BY ALL HAVING count(*) > 1) USING (band, bucket)
               WINDOW w AS (PARTITION BY band, bucket)""")
        # Buckets of up to 16 rows give every pair; larger ones a star to the first row and a chain, which
        # keeps the pair count linear while still connecting everything the bucket connects.
        con.execute(
            """CREATE TABLE cand AS SELECT DISTINCT u, v FROM (
                 SELECT x.node AS u, y.node AS v FROM bb x JOIN bb y
                   ON x.band = y.band AND x.bucket = y.bucket AND x.node < y.node WHERE x.size <= 16
                 UNION ALL SELECT root, node FROM bb WHERE size > 16 AND node <> root
                 UNION ALL SELECT prev, node FROM bb WHERE size > 16 AND prev IS NOT NULL)""")
        us, vs, js = [], [], []
        if p.verify == "none":
            t = con.sql("SELECT u, v FROM cand").to_arrow_table()
            u, v = to_numpy(t.column("u")), to_numpy(t.column("v"))
            return u, v, np.full(u.size, np.nan)
        # sig is most of the signature files' bytes and only candidates need it: not loaded into `s`
        con.execute(
            """CREATE TABLE cs AS SELECT s.node, f.sig FROM read_parquet(?) f
               JOIN (SELECT node, _part, _row FROM s SEMI JOIN (SELECT u AS node FROM cand UNION SELECT v FROM cand)
                     USING (node)) s ON s._part = f._part AND s._row = f._row""", [signature_files])
        reader = con.sql(
            "SELECT c.u, c.v, x.sig AS su, y.sig AS sv FROM cand c JOIN cs x ON x.node = c.u JOIN cs y ON y.node = c.v"
        ).to_arrow_reader(65536)
        for batch in reader:
            if batch.num_rows == 0:
                continue
            if p.verify == "exact":
                est = _set_jaccard(batch.column(2), batch.column(3))
            else:
                est = (_flat(batch.column(2), p.num_perm) == _flat(batch.column(3), p.num_perm)).mean(axis=1)
            ok = est >= p.threshold - 1e-12
            us.append(to_numpy(batch.column(0))[ok])
            vs.append(to_numpy(batch.column(1))[ok])
            js.append(est[ok])
        if not us:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(us), np.concatenate(vs), np.concatenate(js)

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        con = _connect(work_dir)
        try:
            con.execute(
                """CREATE TABLE s AS SELECT (row_number() OVER (ORDER BY _part, _row) - 1)::BIGINT AS node,
                   _id, _part, _row, bands FROM read_parquet(?)""", [signature_files])
            u, v, _ = self.similar_pairs(con, signature_files)
            nodes, roots = components(u, v)
            keep = nodes != roots
            con.register("comp", table({"node": from_numpy(nodes[keep]), "root": from_numpy(roots[keep])}))
            return con.sql(
                """SELECT x._id, x._part, y._id AS duplicate_of, 'near duplicate (minhash)' AS reason
                   FROM comp c JOIN s x ON x.node = c.node JOIN s y ON y.node = c.root"""
            ).to_arrow_table()
        finally:
            con.close()


def _blobs(counts: np.ndarray, values: np.ndarray | None = None) -> pa.Array:
    """A large_binary array whose row i packs the next counts[i] of the uint32 `values` (one blob of
    4 bytes per value rather than a list: Parquet writes and DuckDB reads a blob as one value, a list
    as one value, with its levels, per element). No `values`: all rows empty (counts all 0)."""
    values = np.zeros(0, np.uint32) if values is None else values
    offs = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts * 4, out=offs[1:])
    return pa.Array.from_buffers(pa.large_binary(), counts.size, [None, pa.py_buffer(offs), pa.py_buffer(values)])


def _flat(col: pa.Array, k: int) -> np.ndarray:
    """A (fixed-size) list column of k uint32 values per row as an (n, k) numpy array."""
    if col.offset:
        col = pa.concat_arrays([col])
    return to_numpy(col.flatten()).reshape(-1, k)


def _set_jaccard(a: pa.Array, b: pa.Array, block: int = 1 << 17) -> np.ndarray:
    """Exact Jaccard of the sets of uint32 values in the blobs a[i], b[i] (4 bytes per value, any order,
    repeats allowed), for all rows at once: tag each value with its row and side, sort everything
    together, drop repeats, and count the (row, value)s that occur on both sides. Rows go in blocks of
    about `block` values, so the temporaries stay in cache."""
    n = len(a)
    sizes = np.cumsum(_blob_lengths(a) + _blob_lengths(b))
    cuts = np.unique(np.r_[0, np.searchsorted(sizes, np.arange(block, sizes[-1] if n else 0, block)), n])
    out = np.zeros(n)
    for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        ra, va = _blob_values(a.slice(lo, hi - lo))
        rb, vb = _blob_values(b.slice(lo, hi - lo))
        both = np.concatenate([(ra << np.uint64(33)) | (va << np.uint64(1)),
                               (rb << np.uint64(33)) | (vb << np.uint64(1)) | np.uint64(1)])
        both.sort()
        both = both[np.r_[True, both[1:] != both[:-1]]]  # distinct (row, value, side)
        rows = (both >> np.uint64(33)).astype(np.int64)
        same = (both[1:] >> np.uint64(1)) == (both[:-1] >> np.uint64(1))  # (row, value) on both sides
        inter = np.bincount(rows[1:][same], minlength=hi - lo)
        union = np.bincount(rows, minlength=hi - lo) - inter
        out[lo:hi] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out


def _blob_lengths(col: pa.Array) -> np.ndarray:
    """Values (uint32) per row of a binary column of packed uint32."""
    return np.diff(value_offsets(col)).astype(np.int64) // 4


def _blob_values(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(row, value) as uint64 for every uint32 value of a (large) binary column of packed uint32."""
    data, offs = value_bytes(col)
    values = data.view(np.uint32).astype(np.uint64)
    rows = np.repeat(np.arange(len(col), dtype=np.uint64), np.diff(offs) // 4)
    return rows, values


def _connect(work_dir: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to work_dir, so the global pass is bounded in memory."""
    tmp = Path(work_dir) / "_dedup_tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET temp_directory = ?", [str(tmp)])
    con.execute("SET preserve_insertion_order = false")
    return con
