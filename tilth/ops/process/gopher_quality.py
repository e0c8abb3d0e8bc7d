"""Gopher quality rules (Rae et al. 2021, appendix A1) over whole batches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Filter
from tilth.ops.process.heuristics_rules import as_scores, first_failure, gt, lt, ratio
from tilth.ops.process.heuristics_text import (
    PUNCT_TOKEN,
    parents,
    per_doc_sum,
    split_lines,
    text_column,
    words,
)
from tilth.ops.registry import register
from tilth.ops.where import Scope

GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


class GopherQualityParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    min_doc_words: int | None = Field(50, ge=0, description="Keep if non-punctuation words >= this (None: off).")
    max_doc_words: int | None = Field(100_000, ge=0, description="Keep if non-punctuation words <= this.")
    min_avg_word_length: float | None = Field(3, description="Keep if mean word length (chars) >= this.")
    max_avg_word_length: float | None = Field(10, description="Keep if mean word length (chars) <= this.")
    max_symbol_word_ratio: float | None = Field(
        0.1, description="Keep if count('#') / words <= this and (count('...') + count('…')) / words <= this."
    )
    max_bullet_lines_ratio: float | None = Field(
        0.9, description="Keep if the fraction of lines starting with '•' or '-' <= this."
    )
    max_ellipsis_lines_ratio: float | None = Field(
        0.3, description="Keep if the fraction of lines ending with '...' or '…' <= this."
    )
    min_alpha_words_ratio: float | None = Field(
        0.8,
        description="Keep if the fraction of words with at least one letter >= this "
        "(datatrove calls it max_non_alpha_words_ratio, though it is a minimum).",
    )
    min_stop_words: int | None = Field(2, description="Keep if distinct stop words present >= this.")
    stop_words: tuple[str, ...] = Field(GOPHER_STOP_WORDS, description="Stop words (case-sensitive match).")


@register
class GopherQualityFilter(Filter):
    name = "gopher_quality"
    category = "process"
    description = """Gopher quality heuristics: word count, mean word length, '#' and ellipsis to word
    ratios, bullet and ellipsis line fractions, alphabetic word fraction, stop words. Words are
    spaCy-English-like tokens (punctuation separate), as in datatrove's GopherQualityFilter."""
    examples = (
        "remove low-quality documents",
        "filter out junk, spam and gibberish text",
        "keep only well-formed natural prose",
        "apply Gopher quality heuristics",
        "drop garbage pages with few real words",
        "clean the corpus of noisy low-effort text",
        "quality filtering with heuristic rules",
        "run the MassiveText / Gopher quality filter",
        "drop pages with too many hashtags or ellipses",
        "remove documents that are mostly bullet points",
        "throw out text where few words contain letters",
        "rule-based quality filtering of web pages, like DeepMind's Gopher",
        "get rid of low quality docs before pretraining",
        "the crawl is full of junk pages that are not real text",
        "drop pages where many lines trail off with '...'",
        "gopher qualty filter",
        "remove low-quality web pages",
        "filter out low quality text with heuristics",
        "drop the rows that are nothing but nav menu items like 'Home | About | Login'",
    )
    inputs = ("{text_field}",)
    outputs = (
        "gopher_words", "gopher_nonsymbol_words", "gopher_mean_word_length", "gopher_hash_ratio",
        "gopher_ellipsis_ratio", "gopher_bullet_lines_ratio", "gopher_ellipsis_lines_ratio",
        "gopher_alpha_words_ratio", "gopher_stop_words",
    )
    thresholds = (
        ("gopher_nonsymbol_words", "min_doc_words", ">="),
        ("gopher_nonsymbol_words", "max_doc_words", "<="),
        ("gopher_mean_word_length", "min_avg_word_length", ">="),
        ("gopher_mean_word_length", "max_avg_word_length", "<="),
        ("gopher_hash_ratio", "max_symbol_word_ratio", "<="),
        ("gopher_ellipsis_ratio", "max_symbol_word_ratio", "<="),
        ("gopher_bullet_lines_ratio", "max_bullet_lines_ratio", "<="),
        ("gopher_ellipsis_lines_ratio", "max_ellipsis_lines_ratio", "<="),
        ("gopher_alpha_words_ratio", "min_alpha_words_ratio", ">="),
        ("gopher_stop_words", "min_stop_words", ">="),
    )
    Params = GopherQualityParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        text = text_column(batch, self.params.text_field)
        n = len(text)
        toks = words(text)
        flat = pc.list_flatten(toks)
        parent = parents(toks)
        n_words = pc.list_value_length(toks).to_numpy(zero_copy_only=False).astype(np.int64)
        nonsym = ~pc.match_substring_regex(flat, PUNCT_TOKEN).to_numpy(zero_copy_only=False).astype(bool)
        lens = pc.utf8_length(flat).to_numpy(zero_copy_only=False)
        n_nonsym = per_doc_sum(parent, nonsym, n).astype(np.int64)
        alpha = pc.match_substring_regex(flat, r"\pL").to_numpy(zero_copy_only=False)
        hashes = pc.count_substring(text, "#").to_numpy(zero_copy_only=False)
        ellipses = (pc.count_substring(text, "...").to_numpy(zero_copy_only=False)
                    + pc.count_substring(text, "…").to_numpy(zero_copy_only=False))
        lines = split_lines(text, "splitlines")
        flat_lines = pc.list_flatten(lines)
        lparent = parents(lines)
        n_lines = pc.list_value_length(lines).to_numpy(zero_copy_only=False)
        bullet = pc.match_substring_regex(flat_lines, r"^[\s\x1c-\x1f]*[•\-]").to_numpy(zero_copy_only=False)
        ell_end = pc.match_substring_regex(flat_lines, r"(?:\.\.\.|…)[\s\x1c-\x1f]*$").to_numpy(zero_copy_only=False)
        stop_idx = pc.index_in(flat, value_set=pa.array(list(self.params.stop_words), pa.string()))
        stop_idx = pc.fill_null(stop_idx, -1).to_numpy(zero_copy_only=False)
        hit = stop_idx >= 0
        distinct = np.unique(parent[hit].astype(np.int64) * 1024 + stop_idx[hit])
        return as_scores({
            "gopher_words": n_words,
            "gopher_nonsymbol_words": n_nonsym,
            "gopher_mean_word_length": ratio(per_doc_sum(parent, lens * nonsym, n), n_nonsym),
            "gopher_hash_ratio": ratio(hashes, n_words),
            "gopher_ellipsis_ratio": ratio(ellipses, n_words),
            "gopher_bullet_lines_ratio": ratio(per_doc_sum(lparent, bullet, n), n_lines),
            "gopher_ellipsis_lines_ratio": ratio(per_doc_sum(lparent, ell_end, n), n_lines),
            "gopher_alpha_words_ratio": ratio(per_doc_sum(parent, alpha, n), n_words),
            "gopher_stop_words": np.bincount(distinct // 1024, minlength=n).astype(np.int64),
        })

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        s = {c: scores.column(c).to_numpy(zero_copy_only=False) for c in scores.column_names}
        words_ = s["gopher_nonsymbol_words"]
        return first_failure(
            [
                ("gopher_quality: words < min_doc_words", lt(words_, p.min_doc_words)),
                ("gopher_quality: words > max_doc_words", gt(words_, p.max_doc_words)),
                ("gopher_quality: mean_word_length < min", lt(s["gopher_mean_word_length"], p.min_avg_word_length)),
                ("gopher_quality: mean_word_length > max", gt(s["gopher_mean_word_length"], p.max_avg_word_length)),
                ("gopher_quality: hash_ratio > max", gt(s["gopher_hash_ratio"], p.max_symbol_word_ratio)),
                ("gopher_quality: ellipsis_ratio > max", gt(s["gopher_ellipsis_ratio"], p.max_symbol_word_ratio)),
                ("gopher_quality: bullet_lines_ratio > max",
                 gt(s["gopher_bullet_lines_ratio"], p.max_bullet_lines_ratio)),
                ("gopher_quality: ellipsis_lines_ratio > max",
                 gt(s["gopher_ellipsis_lines_ratio"], p.max_ellipsis_lines_ratio)),
                ("gopher_quality: alpha_words_ratio < min",
                 lt(s["gopher_alpha_words_ratio"], p.min_alpha_words_ratio)),
                ("gopher_quality: stop_words < min", lt(s["gopher_stop_words"], p.min_stop_words)),
            ],
            len(words_),
        )
