"""Gopher repetition rules (Rae et al. 2021, table A1): duplicate lines/paragraphs and n-gram repetition."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Filter
from tilth.ops.process.heuristics_ngrams import NGramIndex, dup_ngram_chars, top_ngram_chars
from tilth.ops.process.heuristics_rules import as_scores, first_failure, gt, ratio
from tilth.ops.process.heuristics_text import duplicates, split_lines, text_column, words
from tilth.ops.process.text_utils import char_counts
from tilth.ops.registry import register
from tilth.ops.where import Scope

TOP = {2: 0.20, 3: 0.18, 4: 0.16}
DUP = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}


class GopherRepetitionParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    dup_line_frac: float | None = Field(0.3, description="Keep if duplicate lines / lines <= this.")
    dup_para_frac: float | None = Field(0.3, description="Keep if duplicate paragraphs / paragraphs <= this.")
    dup_line_char_frac: float | None = Field(0.2, description="Keep if chars in duplicate lines / chars <= this.")
    dup_para_char_frac: float | None = Field(
        0.2, description="Keep if chars in duplicate paragraphs / chars <= this."
    )
    top_n_grams: dict[int, float] = Field(
        TOP, description="n -> limit: keep if chars of the most frequent n-gram x its count / chars <= limit."
    )
    dup_n_grams: dict[int, float] = Field(
        DUP, description="n -> limit: keep if chars in repeated n-grams / chars <= limit."
    )


@register
class GopherRepetitionFilter(Filter):
    name = "gopher_repetition"
    category = "process"
    description = """Gopher repetition heuristics: fractions of duplicate lines and paragraphs (by count
    and by characters), of the most frequent 2-4-gram and of repeated 5-10-grams, with the published
    limits. Paragraphs split at blank lines, lines at newlines, words as in gopher_quality."""
    examples = (
        "remove repetitive documents",
        "drop texts that repeat the same lines or paragraphs",
        "filter out documents that keep repeating themselves",
        "remove spammy text with repeated n-grams",
        "drop pages full of copy-pasted repeated content",
        "remove documents with many duplicated lines",
        "drop posts that just repeat the same words again and again",
        "apply Gopher's repetition rules",
        "drop generated text stuck in a repetition loop",
        "remove documents containing duplicated paragraphs",
        "filter out pages where one phrase occurs over and over",
        "too much internal repetition within a single document",
        "get rid of texts where one sentence is repeated many times inside",
        "degenerate outputs that loop the same phrase should go",
        "repeated 5-gram to 10-gram fraction filter",
        "repetiton filter for the web text",
        "drop documents that repeat lines within themselves",
        "filter out texts with repeated lines and paragraphs",
        "remove texts whose n-grams repeat too often",
    )
    inputs = ("{text_field}",)
    outputs = ("rep_dup_para_frac", "rep_dup_para_char_frac", "rep_dup_line_frac", "rep_dup_line_char_frac",
               "rep_top_{n}gram_frac", "rep_dup_{n}gram_frac", "rep_chars")
    thresholds = (
        ("rep_dup_para_frac", "dup_para_frac", "<="),
        ("rep_dup_para_char_frac", "dup_para_char_frac", "<="),
        ("rep_dup_line_frac", "dup_line_frac", "<="),
        ("rep_dup_line_char_frac", "dup_line_char_frac", "<="),
    )
    Params = GopherRepetitionParams
    measured_by = "sample_metrics"  # dup_line_frac

    def output_columns(self) -> list[str]:
        """One top/dup column per configured n (the class-level `outputs` shows the pattern)."""
        p = self.params
        return (["rep_dup_para_frac", "rep_dup_para_char_frac", "rep_dup_line_frac", "rep_dup_line_char_frac"]
                + [f"rep_top_{n}gram_frac" for n in sorted(p.top_n_grams)]
                + [f"rep_dup_{n}gram_frac" for n in sorted(p.dup_n_grams)] + ["rep_chars"])

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        p = self.params
        text = text_column(batch, p.text_field)
        chars = char_counts(text)
        out: dict[str, np.ndarray] = {}
        paras = split_lines(text, "paragraphs")
        d, c = duplicates(paras)
        out["rep_dup_para_frac"] = ratio(d, _lengths(paras))
        out["rep_dup_para_char_frac"] = ratio(c, chars)
        lines = split_lines(text, "newlines")
        d, c = duplicates(lines)
        out["rep_dup_line_frac"] = ratio(d, _lengths(lines))
        out["rep_dup_line_char_frac"] = ratio(c, chars)
        idx = NGramIndex(words(text))
        for n in sorted(p.top_n_grams):
            out[f"rep_top_{n}gram_frac"] = ratio(top_ngram_chars(idx, n), chars)
        for n in sorted(p.dup_n_grams):
            out[f"rep_dup_{n}gram_frac"] = ratio(dup_ngram_chars(idx, n), chars)
        out["rep_chars"] = chars
        return as_scores(out)

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        s = {c: scores.column(c).to_numpy(zero_copy_only=False) for c in scores.column_names}
        rules = [
            ("gopher_repetition: empty", s["rep_chars"] == 0),
            ("gopher_repetition: dup_para_frac > max", gt(s["rep_dup_para_frac"], p.dup_para_frac)),
            ("gopher_repetition: dup_para_char_frac > max", gt(s["rep_dup_para_char_frac"], p.dup_para_char_frac)),
            ("gopher_repetition: dup_line_frac > max", gt(s["rep_dup_line_frac"], p.dup_line_frac)),
            ("gopher_repetition: dup_line_char_frac > max", gt(s["rep_dup_line_char_frac"], p.dup_line_char_frac)),
        ]
        rules += [(f"gopher_repetition: top_{n}gram_frac > max", gt(s[f"rep_top_{n}gram_frac"], lim))
                  for n, lim in sorted(p.top_n_grams.items())]
        rules += [(f"gopher_repetition: dup_{n}gram_frac > max", gt(s[f"rep_dup_{n}gram_frac"], lim))
                  for n, lim in sorted(p.dup_n_grams.items())]
        return first_failure(rules, scores.num_rows)


def _lengths(lists: pa.ListArray) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.list_value_length(lists).to_numpy(zero_copy_only=False)
