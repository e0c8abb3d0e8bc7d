"""Keep the top (or bottom) rows by a column of numbers or dates: "the top 10% by quality score", "the 1,000 most
viewed", "the 10 most recent"; or exactly that many rows at random ("50 random episodes").

A cut-off that depends on every row cannot be decided part by part, so this is a global operator: each part
writes its rows' values (8 bytes a row, not the text), and one pass over all of them ranks the rows and
picks the ones to drop. DCLM keeps the top 10% of a web crawl by a classifier's score; FineWeb-Edu keeps
pages above a score. value_filter does the second; this does the first.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from tilth.ops.base import Deduplicator, Params
from tilth.ops.numbers import as_numbers
from tilth.ops.process.arrow_np import from_numpy, to_numpy
from tilth.ops.process.sample_filter import draws
from tilth.ops.registry import register
from tilth.storage.parts import read_part


class TopParams(Params):
    column: str | None = Field(None, description="Column to rank rows by: numbers (from the data or an earlier "
                               "step's score) or dates (a date type or ISO text such as 2025-03-01; later ranks "
                               "higher). Not set with keep=random.")
    fraction: float | None = Field(None, gt=0.0, le=1.0, description="Keep this fraction of the rows that hold "
                                   "a number (0.1: the top 10%; rounded up).")
    count: int | None = Field(None, ge=1, description="Keep this many rows (the top 1000).")
    keep: Literal["highest", "lowest", "random"] = Field("highest", description="Which end to keep (lowest "
                                                         "for perplexity or loss). highest: the top; lowest: the "
                                                         "bottom; random: rows at random (a seeded draw per row)")
    seed: int = Field(0, ge=0, description="Seed of the draws with keep=random: another seed, other rows.")
    drop: bool = Field(False, description="Drop the chosen rows and keep the rest (\"remove the 20 least "
                       "helpful answers\").")

    @model_validator(mode="after")
    def _one_size(self):
        if (self.fraction is None) == (self.count is None):
            raise ValueError("set exactly one of fraction (0.1 = the top 10%) or count (the top 1000 rows)")
        if (self.column is None) != (self.keep == "random"):
            raise ValueError("set column (the numbers or dates to rank by), or keep=random without a column"
                             if self.column is None else "keep=random draws rows at random: leave column unset")
        return self


@register
class TopFilter(Deduplicator):  # the global two-phase kind (per-part signatures, one pass over all): no duplicates
    name = "top_filter"
    category = "process"
    description = """Keep the top (or bottom) `fraction` or `count` of rows ranked by a `column` of numbers
    or dates (the latest date ranks highest), over the whole dataset, not per part; or, with `drop`, drop them
    and keep the rest. Rows without a value in the column are not counted: they go when the top rows are kept
    and stay when the top rows are dropped. Ties at the cut-off are taken in dataset order, so exactly that
    many rows are chosen."""
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
        "keep the 20 most recent rows by date",
    )
    outputs = ()
    Params = TopParams
    stage = 55  # after the filters and dedup: the share is of what is left, and after most scorers

    def input_columns(self) -> list[str]:
        return [self.params.column] if self.params.column is not None else []

    def check_sample(self, sample: pa.Table) -> list[str]:
        """A column with no numbers or dates would choose no row."""
        if self.params.column is None or self.params.column not in sample.column_names:
            return []
        col = sample.column(self.params.column).combine_chunks()
        num, _, _ = rank_values(col)
        if len(num) and np.isnan(num).all() and col.null_count < len(col):
            return [f"{self.params.column!r} holds no numbers or dates in the first {len(col)} records "
                    f"(e.g. {col[0].as_py()!r}), so top_filter would choose no row; pick a column of numbers"]
        return []

    def signature(self, batch: pa.Table) -> pa.Table:
        if self.params.column is None:  # (keep=random: a draw per row, the lowest draws chosen)
            num = draws(to_numpy(batch.column("_id")).astype(np.int64), self.params.seed)
            return pa.table({"value": from_numpy(num), "not_number": pa.array(np.zeros(len(num), bool)),
                             "dated": pa.array(np.zeros(len(num), bool))})
        if self.params.column not in batch.column_names:
            raise KeyError(f"column {self.params.column!r} not in batch (columns: {', '.join(batch.column_names)})")
        col = batch.column(self.params.column)
        num, not_value, dated = rank_values(col)
        return pa.table({"value": from_numpy(num), "not_number": pa.array(not_value | (np.isnan(num) & ~np.asarray(
            col.is_null(), dtype=bool))), "dated": pa.array(np.full(len(num), dated))})

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        p = self.params
        sig = pa.concat_tables([read_part(f, columns=["_id", "_part", "value", "not_number", "dated"])
                                for f in signature_files]) if signature_files else None
        if sig is None or sig.num_rows == 0:
            return _drops(np.zeros(0, np.int64), pa.array([], pa.string()), [])
        value = sig.column("value").to_numpy()
        has = ~np.isnan(value)
        n_valid = int(has.sum())
        k = min(n_valid, p.count if p.count is not None else math.ceil(p.fraction * n_valid - 1e-9))
        valid = np.flatnonzero(has)  # dataset order: the signature files come in canonical order
        key = -value[valid] if p.keep == "highest" else value[valid]  # (random: the lowest draws)
        ranked = valid[np.argsort(key, kind="stable")]  # stable: ties keep dataset order
        chosen = np.zeros(len(value), dtype=bool)
        chosen[ranked[:k]] = True
        dated = sig.column("dated").to_numpy(zero_copy_only=False)
        shown = (lambda i: _date_text(value[i])) if dated.any() else (lambda i: f"{value[i]:g}")
        if p.keep == "random":
            wanted = f"the {p.count} rows drawn" if p.count is not None else f"the {p.fraction:.4g} of rows drawn"
            drop = np.flatnonzero(chosen if p.drop else ~chosen)
            reasons = [f"{'among' if p.drop else 'not among'} {wanted} at random (seed {p.seed})"] * len(drop)
            return _drops(sig.column("_id").to_numpy()[drop], sig.column("_part").take(pa.array(drop)), reasons)
        if dated.any():
            wanted = (f"the {'latest' if p.keep == 'highest' else 'earliest'} "
                      + (f"{p.count}" if p.count is not None else f"{p.fraction:.4g} of rows"))
        else:
            wanted = f"the {p.keep} {p.count}" if p.count is not None else f"the {p.keep} {p.fraction:.4g} of rows"
        cut = f" (cut-off {shown(ranked[k - 1])})" if k else ""
        not_number = sig.column("not_number").to_numpy(zero_copy_only=False)
        kind = "a date" if dated.any() else "a number"
        reasons = []
        # (a row without a value is never among the chosen: kept when they are dropped, dropped when they are kept)
        drop = np.flatnonzero(chosen) if p.drop else np.flatnonzero(~chosen)
        for i in drop:
            if has[i]:
                reasons.append(f"{p.column}={shown(i)} {'in' if p.drop else 'not in'} {wanted}{cut}")
            else:
                reasons.append(f"{p.column} is not {kind}" if not_number[i] else f"{p.column} is missing")
        return _drops(sig.column("_id").to_numpy()[drop], sig.column("_part").take(pa.array(drop)), reasons)


# ISO 8601 dates and times as text: 2025-03-01, 2025-03-01T09:30, 2025-03-01 09:30:00.5, with Z or +02:00
ISO_DATE = r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$"
ISO_ZONED = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})\s*$"


def rank_values(col) -> tuple[np.ndarray, np.ndarray, bool]:
    """(values as float64, NaN where none; mask of values present that cannot be ranked; whether they are dates).
    Numbers as as_numbers reads them; a column of dates (a date or timestamp type, or text in ISO 8601 that holds
    no number) as seconds since 1970, so that "the 10 most recent" ranks by time."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        seconds = pc.cast(pc.cast(col, pa.timestamp("us", tz=getattr(col.type, "tz", None))), pa.int64())
        return seconds.to_numpy(zero_copy_only=False).astype(np.float64) / 1e6, np.zeros(len(col), bool), True
    num, not_number = as_numbers(col)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) or not np.isnan(num).all():
        return num, not_number, False
    col = col.cast(pa.string())
    seconds = np.full(len(col), np.nan)
    for pattern, target in ((ISO_DATE, pa.timestamp("us")), (ISO_ZONED, pa.timestamp("us", tz="UTC"))):
        ok = pc.fill_null(pc.match_substring_regex(col, pattern), False).to_numpy(zero_copy_only=False)
        if ok.any():
            try:
                parsed = pc.cast(pc.utf8_trim_whitespace(col.filter(pa.array(ok))), target)
            except pa.ArrowInvalid:  # (a month 13): those rows stay without a value
                continue
            seconds[ok] = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False) / 1e6
    if np.isnan(seconds).all():
        return num, not_number, False
    return seconds, np.isnan(seconds) & ~col.is_null().to_numpy(zero_copy_only=False), True


def _date_text(seconds: float) -> str:
    """A ranked date as a reason shows it: the day, with the time only where it is not midnight."""
    t = datetime.fromtimestamp(seconds, tz=UTC)
    return t.strftime("%Y-%m-%d") if (t.hour, t.minute, t.second) == (0, 0, 0) else t.strftime("%Y-%m-%d %H:%M:%S")


def _drops(ids: np.ndarray, parts, reasons: list[str]) -> pa.Table:
    return pa.table({"_id": pa.array(ids, pa.int64()), "_part": parts,
                     "duplicate_of": pa.array([None] * len(ids), pa.int64()), "reason": pa.array(reasons, pa.string())})
