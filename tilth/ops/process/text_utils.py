"""Vectorised text helpers shared by process operators (Arrow compute kernels, no Python row loops)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def text_column(batch: pa.Table, field: str) -> pa.ChunkedArray:
    col = batch.column(field)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return pc.fill_null(col, "") if col.null_count else col  # (fill_null's str -> scalar imports pandas)


def with_nulls_of(original: pa.ChunkedArray | pa.Array, edited: pa.ChunkedArray | pa.Array):
    """`edited` (computed from text_column, where null was "") with the original's nulls put back: an editing
    step must not turn a missing value into an empty text."""
    if not original.null_count:
        return edited
    return pc.if_else(pc.is_null(original), pa.scalar(None, edited.type), edited)


# Python's str.split() whitespace: ASCII whitespace, \x1c-\x1f, \x85 and the Unicode separators (Z*).
WORD_RE = r"[^\s\x0b\x1c-\x1f\x85\p{Z}]+"


def word_counts(text: pa.ChunkedArray) -> np.ndarray:
    """Words as Python's str.split() counts them. (Arrow's utf8_split_whitespace yields one empty token
    for an empty string and empty tokens around leading/trailing whitespace, so it over-counts.)"""
    return pc.count_substring_regex(text, WORD_RE).to_numpy(zero_copy_only=False).astype(np.int64)


def char_counts(text: pa.ChunkedArray) -> np.ndarray:
    return pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)


def normalise_for_hash(text: pa.ChunkedArray, mode: str) -> pa.ChunkedArray:
    """`exact`: as is. `whitespace`: trim, collapse whitespace. `lower`: also lower-case.
    `alnum`: also drop punctuation and digits (datatrove's `simplify_text` spirit)."""
    if mode == "exact":
        return text
    out = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    if mode in ("lower", "alnum"):
        out = pc.utf8_lower(out)
    if mode == "alnum":
        out = pc.utf8_trim_whitespace(
            pc.replace_substring_regex(pc.replace_substring_regex(out, r"[\p{P}\p{S}\d]+", ""), r"\s+", " ")
        )
    return out
