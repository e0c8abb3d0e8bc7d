"""Per-sample text metrics as columns, so later steps, SQL and the run report can use them.

All metrics are computed with Arrow compute kernels over the whole batch: words are split and flattened
once, and per-row distinct counts come from one group-by on (row, token), never a Python loop per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Mapper, Params, put_column
from tilth.ops.process.text_utils import char_counts, text_column
from tilth.ops.registry import register


class SampleMetricsParams(Params):
    text_field: str = Field("text", description="Column holding the text to measure.")
    prefix: str = Field("", description="Prefix for the metric columns, e.g. 'out_' to measure a response field.")
    lowercase: bool = Field(True, description="Lower-case words before counting distinct words and bigrams.")


@register
class SampleMetrics(Mapper):
    name = "sample_metrics"
    category = "evaluate"
    description = """Add per-row text metrics: `n_chars`, `n_words`, `n_lines`, `mean_word_len` (characters
    per word), `ttr` (lexical diversity: distinct words / words), `distinct_2` (distinct word bigrams /
    bigrams) and `dup_line_frac` (share of non-empty lines that repeat another line of the same row, a
    repetition flag). Ratios are 0 for rows too short to have them. Rows are not changed otherwise."""
    examples = (
        "compute per-row text metrics",
        "add metrics like lexical diversity to each sample",
        "how varied is the vocabulary of each row?",
        "row-level text metrics",
        "measure every document without removing any",
        "annotate rows with readability and diversity scores",
        "add word, line and character counts to every row",
        "compute the type-token ratio of each document",
        "measure the lexical diversity of every response",
        "attach distinct-2 and duplicate-line fraction columns",
        "per-sample statistics as new columns",
        "add each row's mean word length and word count as columns",
        "how repetitive is each sample? add a column",
        "compute n_chars and n_words for each row",
        "add ttr and distinct bigram ratio per example",
        "row-level text stats",
        "add per-row metric columns",
        "compute lexical diversity per row",
        "add type-token ratio and word count columns",
        "compute text metrics for each row without filtering",
    )
    stage = 85
    inputs = ("{text_field}",)
    outputs = ("{prefix}n_chars", "{prefix}n_words", "{prefix}n_lines", "{prefix}mean_word_len", "{prefix}ttr",
               "{prefix}distinct_2", "{prefix}dup_line_frac")
    Params = SampleMetricsParams

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        text = text_column(batch, p.text_field)
        metrics = text_metrics(text, p.lowercase)
        for name, values in metrics.items():
            batch = put_column(batch, f"{p.prefix}{name}", pa.array(values))
        return batch


def text_metrics(text: pa.ChunkedArray | pa.Array, lowercase: bool = True) -> dict[str, np.ndarray]:
    """Every metric of SampleMetrics for an array of (non-null) strings."""
    n = len(text)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    norm = pc.utf8_lower(text) if lowercase else text
    words = pc.utf8_split_whitespace(norm)
    flat = pc.list_flatten(words)
    rows = pc.list_parent_indices(words).to_numpy(zero_copy_only=False).astype(np.int64)
    # splitting "" or " a " yields empty tokens: they are not words
    real = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    flat, rows = flat.filter(pa.array(real)), rows[real]
    n_words = np.bincount(rows, minlength=n).astype(np.int64)
    word_chars = np.bincount(rows, weights=pc.utf8_length(flat).to_numpy(zero_copy_only=False), minlength=n)

    # bigrams: consecutive flattened words that belong to the same row
    same = rows[:-1] == rows[1:] if len(rows) > 1 else np.zeros(0, bool)
    left = flat.slice(0, max(len(flat) - 1, 0)).filter(pa.array(same))
    right = flat.slice(1).filter(pa.array(same))
    bigrams = pc.binary_join_element_wise(left, right, " ")
    n_bigrams = np.bincount(rows[:-1][same], minlength=n) if len(same) else np.zeros(n, np.int64)

    lines = pc.utf8_trim_whitespace(pc.list_flatten(pc.split_pattern(text, "\n")))
    line_rows = pc.list_parent_indices(pc.split_pattern(text, "\n")).to_numpy(zero_copy_only=False)
    nonempty = pc.not_equal(pc.utf8_length(lines), 0).to_numpy(zero_copy_only=False)
    lines, line_rows = lines.filter(pa.array(nonempty)), line_rows[nonempty]
    n_lines = np.bincount(line_rows, minlength=n)

    return {
        "n_chars": char_counts(text),
        "n_words": n_words,
        "n_lines": n_lines.astype(np.int64),
        "mean_word_len": _ratio(word_chars, n_words),
        "ttr": _ratio(_distinct_per_row(rows, flat, n), n_words),
        "distinct_2": _ratio(_distinct_per_row(rows[:-1][same], bigrams, n), n_bigrams),
        "dup_line_frac": _ratio(_repeated_per_row(line_rows, lines, n), n_lines),
    }


def _distinct_per_row(rows: np.ndarray, tokens: pa.Array, n: int) -> np.ndarray:
    """Number of distinct tokens in each of n rows (one Arrow group-by over (row, token))."""
    out = np.zeros(n, np.int64)
    if len(tokens):
        g = pa.table({"row": rows, "tok": tokens}).group_by("row").aggregate([("tok", "count_distinct")])
        out[g.column("row").to_numpy()] = g.column("tok_count_distinct").to_numpy()
    return out


def _repeated_per_row(rows: np.ndarray, tokens: pa.Array, n: int) -> np.ndarray:
    """Number of tokens in each row that occur more than once in that row."""
    out = np.zeros(n, np.int64)
    if len(tokens):
        g = pa.table({"row": rows, "tok": tokens}).group_by(["row", "tok"]).aggregate([("tok", "count")])
        cnt = g.column("tok_count").to_numpy()
        rep = cnt > 1
        np.add.at(out, g.column("row").to_numpy()[rep], cnt[rep])
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, np.float64)
    den = np.asarray(den, np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
