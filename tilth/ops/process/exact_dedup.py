"""Exact deduplication on a 128-bit hash of normalised text; the first occurrence is kept."""

from __future__ import annotations

from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa
import xxhash
from pydantic import Field

from tilth.ops.base import Deduplicator, Params
from tilth.ops.process.text_utils import normalise_for_hash, text_column
from tilth.ops.registry import register


class ExactDedupParams(Params):
    text_field: str = Field("text", description="Column whose (normalised) value defines a duplicate.")
    normalise: Literal["exact", "whitespace", "lower", "alnum"] = Field(
        "whitespace",
        description="exact: byte-identical; whitespace: ignore leading/trailing/repeated whitespace; "
        "lower: also ignore case; alnum: also ignore punctuation, symbols and digits.",
    )


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
    )
    inputs = ("{text_field}",)
    outputs = ()
    Params = ExactDedupParams

    def signature(self, batch: pa.Table) -> pa.Table:
        text = normalise_for_hash(text_column(batch, self.params.text_field), self.params.normalise)
        digests = b"".join(xxhash.xxh3_128_digest(s.encode()) for s in text.to_pylist())
        h = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2)
        return pa.table({"h1": h[:, 0], "h2": h[:, 1]})

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        con = duckdb.connect()
        try:
            return con.sql(
                """
                SELECT _id, _part, duplicate_of, 'exact duplicate' AS reason FROM (
                    SELECT _id, _part, first_value(_id) OVER (PARTITION BY h1, h2 ORDER BY _part, _row) AS duplicate_of
                    FROM read_parquet(?)
                ) WHERE _id <> duplicate_of
                """,
                params=[signature_files],
            ).to_arrow_table()
        finally:
            con.close()
