"""Keep the top (or bottom) rows by a numeric column: "the top 10% by quality score", "the 1,000 most viewed".

A cut-off that depends on every row cannot be decided part by part, so this is a global operator: each part
writes its rows' values (8 bytes a row, not the text), and one pass over all of them ranks the rows and
picks the ones to drop. DCLM keeps the top 10% of a web crawl by a classifier's score; FineWeb-Edu keeps
pages above a score. value_filter does the second; this does the first.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from tilth.ops.base import Deduplicator, Params
from tilth.ops.numbers import as_numbers
from tilth.ops.process.arrow_np import from_numpy
from tilth.ops.registry import register
from tilth.storage.parts import read_part


class TopParams(Params):
    column: str = Field(description="Numeric column to rank rows by (from the data or an earlier step's score).")
    fraction: float | None = Field(None, gt=0.0, le=1.0, description="Keep this fraction of the rows that hold "
                                   "a number (0.1: the top 10%; rounded up).")
    count: int | None = Field(None, ge=1, description="Keep this many rows (the top 1000).")
    keep: Literal["highest", "lowest"] = Field("highest", description="Which end to keep (lowest for "
                                               "perplexity or loss). highest: the top; lowest: the bottom")
    drop: bool = Field(False, description="Drop the chosen rows and keep the rest (\"remove the 20 least "
                       "helpful answers\").")

    @model_validator(mode="after")
    def _one_size(self):
        if (self.fraction is None) == (self.count is None):
            raise ValueError("set exactly one of fraction (0.1 = the top 10%) or count (the top 1000 rows)")
        return self


@register
class TopFilter(Deduplicator):  # the global two-phase kind (per-part signatures, one pass over all): no duplicates
    name = "top_filter"
    category = "process"
    description = """Keep the top (or bottom) `fraction` or `count` of rows ranked by a numeric `column`,
    over the whole dataset, not per part; or, with `drop`, drop them and keep the rest. Rows without a number
    in the column are dropped and not counted; ties at the cut-off are taken in dataset order, so exactly
    that many rows are chosen."""
    examples = (
        "keep the top 10% of documents by quality score",
        "keep only the 1000 most viewed posts",
        "select the highest-scoring 20% of rows",
        "keep the bottom 30% by perplexity",
        "take the 500 rows with the lowest loss",
        "keep the best tenth of the pages by the classifier score",
        "top-k selection by a column",
        "rank rows by a score and keep the top ones",
        "keep the 50 highest-rated answers",
        "drop everything but the top quarter by rating",
    )
    inputs = ("{column}",)
    outputs = ()
    Params = TopParams
    stage = 55  # after the filters and dedup: the share is of what is left, and after most scorers

    def check_sample(self, sample: pa.Table) -> list[str]:
        """A column with no numbers would drop every row."""
        if self.params.column not in sample.column_names:
            return []
        col = sample.column(self.params.column).combine_chunks()
        num, _ = as_numbers(col)
        if len(num) and np.isnan(num).all() and col.null_count < len(col):
            return [f"{self.params.column!r} holds no numbers in the first {len(col)} records "
                    f"(e.g. {col[0].as_py()!r}), so top_filter would drop every row; pick a column of numbers"]
        return []

    def signature(self, batch: pa.Table) -> pa.Table:
        if self.params.column not in batch.column_names:
            raise KeyError(f"column {self.params.column!r} not in batch (columns: {', '.join(batch.column_names)})")
        col = batch.column(self.params.column)
        num, not_number = as_numbers(col)
        return pa.table({"value": from_numpy(num), "not_number": pa.array(not_number | (np.isnan(num) & ~np.asarray(
            col.is_null(), dtype=bool)))})

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        p = self.params
        sig = pa.concat_tables([read_part(f, columns=["_id", "_part", "value", "not_number"])
                                for f in signature_files]) if signature_files else None
        if sig is None or sig.num_rows == 0:
            return _drops(np.zeros(0, np.int64), pa.array([], pa.string()), [])
        value = sig.column("value").to_numpy()
        has = ~np.isnan(value)
        n_valid = int(has.sum())
        k = min(n_valid, p.count if p.count is not None else math.ceil(p.fraction * n_valid - 1e-9))
        valid = np.flatnonzero(has)  # dataset order: the signature files come in canonical order
        key = -value[valid] if p.keep == "highest" else value[valid]
        ranked = valid[np.argsort(key, kind="stable")]  # stable: ties keep dataset order
        chosen = np.zeros(len(value), dtype=bool)
        chosen[ranked[:k]] = True
        wanted = f"the {p.keep} {p.count}" if p.count is not None else f"the {p.keep} {p.fraction:.4g} of rows"
        cut = f" (cut-off {value[ranked[k - 1]]:g})" if k else ""
        not_number = sig.column("not_number").to_numpy(zero_copy_only=False)
        reasons = []
        drop = np.flatnonzero(chosen | ~has) if p.drop else np.flatnonzero(~chosen)
        for i in drop:
            if has[i]:
                reasons.append(f"{p.column}={value[i]:g} {'in' if p.drop else 'not in'} {wanted}{cut}")
            else:
                reasons.append(f"{p.column} is not a number" if not_number[i] else f"{p.column} is missing")
        return _drops(sig.column("_id").to_numpy()[drop], sig.column("_part").take(pa.array(drop)), reasons)


def _drops(ids: np.ndarray, parts, reasons: list[str]) -> pa.Table:
    return pa.table({"_id": pa.array(ids, pa.int64()), "_part": parts,
                     "duplicate_of": pa.array([None] * len(ids), pa.int64()), "reason": pa.array(reasons, pa.string())})
