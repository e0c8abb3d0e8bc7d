"""Single-statistic word filters: word count, mean word length, symbol ratio, stop words, flagged words.

Why separate small filters: recipes often need just one of these statistics with their own threshold
(data-juicer style), without the full Gopher rule set. Words here are lower-cased whitespace tokens with
leading/trailing punctuation trimmed (a token that is only punctuation is not a word).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Filter
from tilth.ops.process.heuristics_rules import as_scores, data_lines, first_failure, gt, lt, ratio
from tilth.ops.process.heuristics_text import parents, per_doc_sum, text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope


def plain_words(text: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """(flat lower-cased words with edge punctuation trimmed, document of each word)."""
    toks = pc.utf8_split_whitespace(pc.utf8_lower(text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text))
    flat = pc.replace_substring_regex(pc.list_flatten(toks), r"^[\p{P}\p{S}]+|[\p{P}\p{S}]+$", "")
    doc = parents(toks)
    keep = pc.greater(pc.utf8_length(flat), 0)
    return flat.filter(keep), doc[keep.to_numpy(zero_copy_only=False)]


class _Bounds(Scope):
    text_field: str = Field("text", description="Column holding the text.")


class WordCountParams(_Bounds):
    min_words: int | None = Field(50, ge=0, description="Keep if words >= this (None: no lower bound).")
    max_words: int | None = Field(100_000, ge=0, description="Keep if words <= this (None: no upper bound).")


@register
class WordCountFilter(Filter):
    name = "word_count_filter"
    category = "process"
    description = """Keep documents whose word count (whitespace tokens that are not only punctuation)
    lies in [min_words, max_words]; Gopher's 50..100,000 by default."""
    examples = (
        "keep documents with enough words",
        "drop documents with too few words",
        "filter by word count",
        "remove documents with an extreme number of words",
        "apply Gopher's word-count limits of 50 to 100,000",
        "count the words in each document and drop the outliers",
        "the number of words must lie between a minimum and a maximum",
        "drop pages whose word count is too low to be an article",
        "remove documents with fewer than 50 real words, not counting punctuation",
        "discard posts that are only a handful of words long",
        "drop enormous documents with more than 100,000 words",
        "word count bounds on the text column",
        "filter out docs by how many words they contain",
        "apply a wordcount filter",
        "drop documents whose word count is out of range",
        "keep pages with a reasonable number of words",
        "require at least 50 words per document",
        "keep documents within a word count range",
    )
    inputs = ("{text_field}",)
    outputs = ("word_count",)
    thresholds = (("word_count", "min_words", ">="), ("word_count", "max_words", "<="))
    measured_by = "sample_metrics"  # n_words
    Params = WordCountParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        text = text_column(batch, self.params.text_field)
        _, doc = plain_words(text)
        return {"word_count": np.bincount(doc, minlength=len(text)).astype(np.int64)}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        n = scores.column("word_count").to_numpy()
        p = self.params
        return first_failure([("word_count < min_words", lt(n, p.min_words)),
                              ("word_count > max_words", gt(n, p.max_words))], len(n))


class MeanWordLengthParams(_Bounds):
    min_length: float | None = Field(3, description="Keep if mean word length (chars) >= this.")
    max_length: float | None = Field(10, description="Keep if mean word length (chars) <= this.")


@register
class MeanWordLengthFilter(Filter):
    name = "mean_word_length_filter"
    category = "process"
    description = """Keep documents whose mean word length in characters lies in [min_length,
    max_length] (Gopher: 3..10). Documents without words score NaN and are dropped."""
    examples = (
        "drop documents whose average word length is abnormal",
        "remove text with absurdly long or short words on average",
        "filter by mean word length",
        "average word length should be between 3 and 10 characters",
        "drop texts made of very long tokens like URLs, hashes or base64",
        "remove documents whose words are mostly one or two letters",
        "filter on the number of characters per word",
        "keep documents with a normal average word size",
        "texts full of giant run-together strings should go",
        "Gopher's mean word length rule",
        "spaced-out letters like 'h e l l o' give tiny average word lengths",
        "reject rows where the typical word is absurdly long",
        "avg word len filter",
        "minified code and hex dumps have huge mean word lengths",
        "drop docs with an abnormal mean word length",
        "average word length filter",
        "mean word length too high or too low",
        "drop documents by average characters per word",
    )
    inputs = ("{text_field}",)
    outputs = ("mean_word_length",)
    thresholds = (("mean_word_length", "min_length", ">="), ("mean_word_length", "max_length", "<="))
    measured_by = "sample_metrics"  # mean_word_len
    Params = MeanWordLengthParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        text = text_column(batch, self.params.text_field)
        flat, doc = plain_words(text)
        lens = pc.utf8_length(flat).to_numpy(zero_copy_only=False)
        n = len(text)
        return as_scores({"mean_word_length": ratio(per_doc_sum(doc, lens, n), np.bincount(doc, minlength=n))})

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        m = scores.column("mean_word_length").to_numpy(zero_copy_only=False)
        p = self.params
        return first_failure([("mean_word_length: no words", np.isnan(m)),
                              ("mean_word_length < min", lt(m, p.min_length)),
                              ("mean_word_length > max", gt(m, p.max_length))], len(m))


class SymbolRatioParams(_Bounds):
    max_ratio: float = Field(0.25, ge=0, le=1, description="Keep if symbol characters / characters <= this.")


@register
class SymbolRatioFilter(Filter):
    name = "symbol_ratio_filter"
    category = "process"
    description = """Keep documents whose share of punctuation and symbol characters (Unicode P* and S*)
    among all non-whitespace characters is at most max_ratio (data-juicer's special-character rule)."""
    examples = (
        "remove documents with too many symbols",
        "drop text that is mostly punctuation or special characters",
        "filter rows with a high share of non-letter symbols",
        "get rid of emoji and symbol spam",
        "drop rows where special characters dominate",
        "remove text with too high a punctuation ratio",
        "documents full of ####, *** and ||| should go",
        "keep documents whose special-character share is low",
        "data-juicer's special characters filter",
        "get rid of rows that are mostly emojis",
        "ASCII art and symbol-heavy markup dumps should be dropped",
        "too many non-alphanumeric characters in some posts",
        "special char ratio filter",
        "filter out text with too many symbols",
        "drop docs with a high symbol-to-character ratio",
        "remove symbol-heavy documents",
    )
    inputs = ("{text_field}",)
    outputs = ("symbol_ratio",)
    thresholds = (("symbol_ratio", "max_ratio", "<="),)
    Params = SymbolRatioParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        text = text_column(batch, self.params.text_field)
        sym = pc.count_substring_regex(text, r"[\p{P}\p{S}]").to_numpy(zero_copy_only=False)
        visible = pc.count_substring_regex(text, r"\S").to_numpy(zero_copy_only=False)
        return as_scores({"symbol_ratio": ratio(sym, visible)})

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        r = scores.column("symbol_ratio").to_numpy(zero_copy_only=False)
        return first_failure([("symbol_ratio > max", gt(r, self.params.max_ratio))], len(r))


class WordListParams(_Bounds):
    words_file: str | None = Field(None, description="Word list file (one word a line); None: the built-in list.")


def _load(words_file: str | None, builtin: str) -> pa.Array:
    lines = data_lines(builtin) if words_file is None else [
        w.strip().lower() for w in Path(words_file).read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#")]
    return pa.array(sorted(set(lines)), pa.string())


def _share_in(batch: pa.Table, field: str, words: pa.Array) -> np.ndarray:
    text = text_column(batch, field)
    flat, doc = plain_words(text)
    hit = pc.is_in(flat, value_set=words).to_numpy(zero_copy_only=False)
    n = len(text)
    return ratio(per_doc_sum(doc, hit, n), np.bincount(doc, minlength=n))


class StopWordsParams(WordListParams):
    min_ratio: float = Field(0.3, ge=0, le=1, description="Keep if stop words / words >= this.")


@register
class StopWordsFilter(Filter):
    name = "stop_words_filter"
    category = "process"
    description = """Keep documents in which stop words (English function words by default) make up at
    least min_ratio of the words: running prose has many, lists, code and keyword spam have few."""
    examples = (
        "drop texts with too few common function words",
        "remove keyword lists and tag soup that are not real sentences",
        "filter out non-prose like lists of keywords",
        "keep texts with a normal share of function words",
        "drop documents with a low ratio of stop words",
        "remove SEO keyword-stuffed pages",
        "stop word ratio filter",
        "drop rows that are just lists of product tags",
        "remove texts that lack words like 'the', 'of' and 'and'",
        "keep texts that read like sentences, not word lists",
        "filter out code and tables that are not natural language",
        "get rid of keyword-stuffed SEO text",
        "stopword ratio filter pls",
        "filter by the fraction of stop words",
        "drop texts with few stop words",
    )
    inputs = ("{text_field}",)
    outputs = ("stop_word_ratio",)
    thresholds = (("stop_word_ratio", "min_ratio", ">="),)
    Params = StopWordsParams

    def setup(self) -> None:
        self._words = _load(self.params.words_file, "stopwords_en.txt")

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        self.ensure_ready()
        return as_scores({"stop_word_ratio": _share_in(batch, self.params.text_field, self._words)})

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        r = scores.column("stop_word_ratio").to_numpy(zero_copy_only=False)
        return first_failure([("stop_word_ratio < min", lt(np.nan_to_num(r, nan=0.0), self.params.min_ratio))],
                             len(r))


class FlaggedWordsParams(WordListParams):
    max_ratio: float = Field(0.045, ge=0, le=1, description="Keep if flagged words / words <= this.")


@register
class FlaggedWordsFilter(Filter):
    name = "flagged_words_filter"
    category = "process"
    description = """Keep documents in which flagged (obscene or sexually explicit) words make up at
    most max_ratio of the words (BigScience/data-juicer default 0.045). The built-in English list is
    short; pass words_file for a fuller one."""
    examples = (
        "remove obscene or sexually explicit documents",
        "filter out profanity and adult content",
        "drop texts with too many swear words",
        "remove NSFW documents by a bad-words list",
        "keep the text family friendly by dropping obscene documents",
        "drop porn and explicit sexual content",
        "filter out documents with offensive, vulgar language",
        "our chatbot picked up curse words; clean them out of the data",
        "remove adult content using a flagged-words list",
        "drop posts with a high ratio of profanity",
        "bad words filter",
        "filter explicit content out of the crawl",
        "BigScience flagged words ratio filter",
        "get rid of pornographic pages",
        "remove texts containing swear words",
        "filter out documents with obscene words",
        "filter documents containing flagged obscene words",
    )
    inputs = ("{text_field}",)
    outputs = ("flagged_word_ratio",)
    thresholds = (("flagged_word_ratio", "max_ratio", "<="),)
    Params = FlaggedWordsParams

    def setup(self) -> None:
        self._words = _load(self.params.words_file, "flagged_words_en.txt")

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        self.ensure_ready()
        return as_scores({"flagged_word_ratio": _share_in(batch, self.params.text_field, self._words)})

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        r = scores.column("flagged_word_ratio").to_numpy(zero_copy_only=False)
        return first_failure([("flagged_word_ratio > max", gt(r, self.params.max_ratio))], len(r))
