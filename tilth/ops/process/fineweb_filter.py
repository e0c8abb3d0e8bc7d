"""FineWeb's additional quality rules (Penedo et al. 2024): line punctuation, short lines, duplicated
line characters and newline-to-word ratio."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Filter
from tilth.ops.process.heuristics_rules import (
    as_scores,
    first_failure,
    gt,
    lt,
    ratio,
    sentence_terminal_class,
)
from tilth.ops.process.heuristics_text import (
    duplicates,
    parents,
    per_doc_sum,
    py_strip,
    split_lines,
    text_column,
    word_token_counts,
)
from tilth.ops.registry import register
from tilth.ops.where import Scope


class FineWebParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    line_punct_thr: float | None = Field(
        0.12, description="Keep if the fraction of non-empty lines ending in sentence-final punctuation >= this."
    )
    line_punct_exclude_zero: bool = Field(False, description="Do not apply line_punct_thr when no line ends so.")
    short_line_length: int = Field(30, description="A line of at most this many characters is short.")
    short_line_thr: float | None = Field(0.67, description="Keep if the fraction of short lines <= this.")
    char_duplicates_ratio: float | None = Field(
        0.01, description="Keep if chars in duplicate lines / chars (newlines excluded) <= this."
    )
    new_line_ratio: float | None = Field(0.3, description="Keep if newlines / words <= this.")


@register
class FineWebFilter(Filter):
    name = "fineweb_filter"
    category = "process"
    description = """FineWeb quality rules on non-empty lines: fraction ending in sentence-final
    punctuation (Unicode Sentence_Terminal), fraction of short lines, characters in duplicated lines,
    newlines per word (words as in gopher_quality), with FineWeb's thresholds."""
    examples = (
        "apply FineWeb's quality rules",
        "drop pages made of short lines like menus and lists",
        "remove documents where most lines lack final punctuation",
        "filter web text that has too many duplicated lines or line breaks",
        "run FineWeb's heuristic filters on the crawl",
        "drop pages where most lines are very short",
        "remove documents with many newlines relative to their words",
        "filter out pages that look like link lists rather than prose",
        "drop documents whose lines rarely end in a full stop",
        "the crawl is full of navigation lists and menus; drop those pages",
        "get rid of list-like pages made of short lines",
        "FineWeb-style filtering of web data",
        "run the fineweb filter",
        "remove pages that are mostly line breaks",
        "use the FineWeb heuristic filters",
        "drop documents that fail FineWeb's line rules",
        "drop pages where few lines end with punctuation",
        "remove pages with too many short lines",
    )
    inputs = ("{text_field}",)
    outputs = ("fw_line_punct_ratio", "fw_short_line_ratio", "fw_char_dup_ratio", "fw_newline_ratio", "fw_lines")
    thresholds = (
        ("fw_line_punct_ratio", "line_punct_thr", ">="),
        ("fw_short_line_ratio", "short_line_thr", "<="),
        ("fw_char_dup_ratio", "char_duplicates_ratio", "<="),
        ("fw_newline_ratio", "new_line_ratio", "<="),
    )
    Params = FineWebParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        p = self.params
        text = text_column(batch, p.text_field)
        n = len(text)
        lines = split_lines(text, "newline")
        flat = pc.list_flatten(lines)
        doc = parents(lines)
        nonempty = pc.greater(pc.utf8_length(py_strip(flat)), 0).to_numpy(zero_copy_only=False)
        flat, doc = flat.filter(pa.array(nonempty)), doc[nonempty]
        n_lines = np.bincount(doc, minlength=n)
        offsets = np.concatenate([[0], np.cumsum(n_lines)]).astype(np.int32)
        kept = pa.ListArray.from_arrays(pa.array(offsets), flat)
        punct = pc.match_substring_regex(flat, sentence_terminal_class() + "$").to_numpy(zero_copy_only=False)
        short = (pc.utf8_length(flat).to_numpy(zero_copy_only=False) <= p.short_line_length)
        _, dup_chars = duplicates(kept)
        newlines = pc.count_substring(text, "\n").to_numpy(zero_copy_only=False)
        chars_no_nl = pc.utf8_length(text).to_numpy(zero_copy_only=False) - newlines
        n_words = word_token_counts(text)  # only the count of gopher_quality's words is needed
        return as_scores({
            "fw_line_punct_ratio": ratio(per_doc_sum(doc, punct, n), n_lines),
            "fw_short_line_ratio": ratio(per_doc_sum(doc, short, n), n_lines),
            "fw_char_dup_ratio": ratio(dup_chars, chars_no_nl),
            "fw_newline_ratio": ratio(newlines, n_words),
            "fw_lines": n_lines.astype(np.int64),
        })

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        s = {c: scores.column(c).to_numpy(zero_copy_only=False) for c in scores.column_names}
        punct = s["fw_line_punct_ratio"]
        low_punct = lt(punct, p.line_punct_thr)
        if low_punct is not None and p.line_punct_exclude_zero:
            low_punct &= punct != 0
        return first_failure(
            [
                ("fineweb: empty", s["fw_lines"] == 0),
                ("fineweb: line_punct_ratio < min", low_punct),
                ("fineweb: short_line_ratio > max", gt(s["fw_short_line_ratio"], p.short_line_thr)),
                ("fineweb: char_dup_ratio > max", gt(s["fw_char_dup_ratio"], p.char_duplicates_ratio)),
                ("fineweb: newline_ratio > max", gt(s["fw_newline_ratio"], p.new_line_ratio)),
            ],
            scores.num_rows,
        )
