"""MinHash-LSH near-duplicate removal: word n-gram shingles, MinHash, banded LSH, verification by
estimated Jaccard, and connected components so chains of near duplicates keep a single row.

Per part (in workers): shingle hashes -> (num_perm) MinHash -> `bands` band hashes, written to the
signature parquet with the verification keys. Globally, as partitioned stages run by the same executor
(so on a Ray cluster as well as locally, with one implementation): rows sharing a (band, bucket) become
candidate pairs, candidates are kept if similar enough, then connected components (large-star/small-star
rounds) merge them; the first row of each component in dataset order is kept and every other row records
it as duplicate_of. Memory per task is one partition or one file's keys, never the whole corpus.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from tilth.exec.base import Executor
from tilth.exec.shuffle import partition_name
from tilth.exec.stage import run_stage
from tilth.ops.base import Deduplicator, Resources
from tilth.ops.process.arrow_np import from_numpy, table, to_numpy, value_bytes, value_offsets
from tilth.ops.process.dedup_bands import similar_edges
from tilth.ops.process.dedup_components import leaves, star_components
from tilth.ops.process.dedup_drops import scatter_pairs, write_drops
from tilth.ops.process.dedup_layout import finish, load_layout, new_layout, read_drops
from tilth.ops.process.dedup_lsh import band_hashes, minhash, optimal_bands, permutations
from tilth.ops.process.dedup_shingles import shingle_runs
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope


class MinHashParams(Scope):  # (where_*: duplicates among some rows only)
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
        "dedupe near-identical texts",
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
    def drops(self, signature_files: list[str], work_dir: str, executor: Executor | None = None) -> Path:
        """Partitioned stages (dedup_bands, dedup_components, dedup_drops) through `executor`; the drops
        land in `_global/drops/<part>/`. No process holds more than one partition or one file."""
        layout = new_layout(signature_files, work_dir)
        if not layout.files:
            return finish(layout)
        p = self.params
        similarity = None if p.verify == "none" else functools.partial(_similar, p.verify, p.threshold, p.num_perm)
        edges = similar_edges(executor, layout, similarity)
        stars = star_components(executor, edges, layout.partitions, layout.stage("cc"))
        run_stage(executor, _leaf_pairs, [(layout.path, str(stars), k) for k in range(layout.partitions)])
        write_drops(executor, layout, "near duplicate (minhash)")
        return finish(layout)

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        self.drops(signature_files, work_dir)
        return read_drops(load_layout(str(Path(work_dir) / "_global" / "layout.json")))


def _similar(verify: str, threshold: float, num_perm: int, a: pa.Array, b: pa.Array) -> np.ndarray:
    """Which pairs of verification keys are similar enough: exact or MinHash-estimated Jaccard."""
    est = _set_jaccard(a, b) if verify == "exact" else (_flat(a, num_perm) == _flat(b, num_perm)).mean(axis=1)
    return est >= threshold - 1e-12


def _leaf_pairs(item: tuple[str, str, int]) -> int:
    """Every non-root node of one partition of the components, with its root, to its file's pairs."""
    path, stars, k = item
    node, root = leaves(stars, k)
    return scatter_pairs(node, root, load_layout(path), partition_name(k))


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
