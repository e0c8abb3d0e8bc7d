"""Exact deduplication on a 128-bit hash of normalised text; the first occurrence is kept.

The global phase is a hash join by partitions: each task holds one partition of the hashes (about
rows / parts of them), so the same code runs inline, on local workers or across a Ray cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import xxhash
from pydantic import Field

from tilth.exec.base import Executor
from tilth.exec.shuffle import bucket, gather, partition_name, scatter
from tilth.exec.stage import run_stage
from tilth.ops.base import Deduplicator
from tilth.ops.process.arrow_np import from_numpy, to_numpy
from tilth.ops.process.dedup_drops import scatter_pairs, write_drops
from tilth.ops.process.dedup_layout import finish, load_layout, new_layout, nodes_of, read_drops
from tilth.ops.process.text_utils import normalise_for_hash, text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope
from tilth.storage.parts import read_part

NO_VALUE = np.uint64(0x6E6F2076616C7565)  # h2 of a row without a value: h1 is its _id, so no two rows match


class ExactDedupParams(Scope):  # (where_*: duplicates among some rows only)
    text_field: str = Field("text", description="Column whose (normalised) value defines a duplicate.")
    normalise: Literal["exact", "whitespace", "lower", "alnum"] = Field(
        "whitespace",
        description="exact: byte-identical; whitespace: ignore leading/trailing/repeated whitespace; "
        "lower: also ignore case; alnum: also ignore punctuation, symbols and digits.",
    )
    also_fields: list[str] = Field(default_factory=list, description="Other columns that must be equal too (each "
                                   "normalised the same way): a copy of a Q&A pair has the same question and answer.")


@register
class ExactDedup(Deduplicator):
    name = "exact_dedup"
    category = "process"
    description = """Remove exact duplicates: rows whose normalised text has the same 128-bit xxh3 hash.
    The first row in dataset order is kept; every dropped row records the `_id` it duplicates."""
    examples = (
        "remove exact duplicates",
        "drop rows whose text is identical to an earlier row",
        "delete verbatim copies",
        "keep one of each identical document",
        "remove the same text appearing twice character for character",
        "deduplicate identical records after normalising whitespace or case",
        "exact dedup",
        "exact-match deduplication",
        "dedupe the rows",
        "dedupe the dataset",
        "can you get rid of rows that are exact copies of each other?",
        "the same review was scraped several times, word for word",
        "drop duplicate records whose text is byte-identical",
        "some tickets appear twice verbatim; keep only the first one",
        "hash each text and drop rows with the same hash",
        "remove exact dupes ignoring case and extra spaces",
        "Remove Duplicate Rows",
        "identical posts show up many times in the dump",
        "drop exact duplicate rows",
        "remove word-for-word copies of the same text",
        "dedupe exact matches only",
        "remove exact duplicate documents",
        "deduplicate the data exactly",
        "get rid of copy-pasted reviews",
    )
    inputs = ("{text_field}",)
    outputs = ()
    Params = ExactDedupParams
    version = 3  # 2: rows without a value are never duplicates (they hashed as ""); 3: unless other fields are compared
    measured_by = "dataset_stats"  # its exact and normalised duplication rates

    def input_columns(self) -> list[str]:
        return [*super().input_columns(), *(c for c in self.params.also_fields if c != self.params.text_field)]

    def signature(self, batch: pa.Table) -> pa.Table:
        p = self.params
        text = normalise_for_hash(text_column(batch, p.text_field), p.normalise).to_pylist()
        others = [c for c in p.also_fields if c != p.text_field]
        missing = batch.column(self.params.text_field).is_null().to_numpy(zero_copy_only=False)
        if others:  # each value with its length, so no split of one row's values reads as another's
            # (a row compared on every field is a copy of another whose fields all match, its missing text too:
            # trial 71's two identical bookings without feedback)
            text = ["\x1e" if missing[i] else t for i, t in enumerate(text)]
            cols = [normalise_for_hash(text_column(batch, c), p.normalise).to_pylist() for c in others]
            nulls = [batch.column(c).is_null().to_pylist() for c in others]
            text = [t + "".join("\x1f-" if null[i] else f"\x1f{len(col[i])}:{col[i]}" for col, null in zip(cols, nulls, strict=True))
                    for i, t in enumerate(text)]
        digests = b"".join(xxhash.xxh3_128_digest(s.encode()) for s in text)
        h = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2).copy()
        if missing.any() and not others:  # a missing text alone duplicates nothing (it hashed as "")
            h[missing, 0] = to_numpy(batch.column("_id")).view(np.uint64)[missing]
            h[missing, 1] = NO_VALUE
        return pa.table({"h1": h[:, 0], "h2": h[:, 1]})

    def drops(self, signature_files: list[str], work_dir: str, executor: Executor | None = None) -> Path:
        """Hash partitions as tasks through `executor`: rows scattered by h1, the first of each (h1, h2)
        group kept; drops land in `_global/drops/<part>/` (dedup_drops)."""
        layout = new_layout(signature_files, work_dir)
        n = len(layout.files)
        run_stage(executor, _scatter_hashes, [(layout.path, f) for f in range(n)])
        run_stage(executor, _first_of_each, [(layout.path, k) for k in range(layout.partitions)])
        write_drops(executor, layout, "exact duplicate")
        return finish(layout)

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        self.drops(signature_files, work_dir)
        return read_drops(load_layout(str(Path(work_dir) / "_global" / "layout.json")))


HASHES = pa.schema([("h1", pa.uint64()), ("h2", pa.uint64()), ("node", pa.int64())])


def _scatter_hashes(item: tuple[str, int]) -> int:
    path, f = item
    layout = load_layout(path)
    t = read_part(layout.files[f], columns=["h1", "h2"])
    h1 = to_numpy(t.column("h1")).astype(np.uint64)
    out = pa.table({"h1": from_numpy(h1), "h2": from_numpy(to_numpy(t.column("h2")).astype(np.uint64)),
                    "node": from_numpy(nodes_of(f, t.num_rows))}, schema=HASHES)
    return scatter(out, bucket(h1, layout.partitions), layout.stage("hashes"), partition_name(f))


def _first_of_each(item: tuple[str, int]) -> int:
    """Every row of one hash partition whose (h1, h2) was seen at a smaller node, with that node."""
    path, k = item
    layout = load_layout(path)
    t = gather(layout.stage("hashes"), partition_name(k), HASHES)
    h1, h2, node = (to_numpy(t.column(c)) for c in ("h1", "h2", "node"))
    order = np.lexsort((node, h2, h1))
    h1, h2, node = h1[order], h2[order], node[order]
    first = np.r_[True, (h1[1:] != h1[:-1]) | (h2[1:] != h2[:-1])] if node.size else np.zeros(0, bool)
    root = node[np.flatnonzero(first)][np.cumsum(first) - 1]
    return scatter_pairs(node[~first], root[~first], layout, partition_name(k))
