"""C4's line-level rules (Raffel et al. 2020, c4_utils.clean_page), computed once for a whole batch.

Why shared: the rules both decide documents (lorem ipsum, curly brackets, too few sentences) and remove
lines. Tilth splits these two effects into `c4_filter` (a Filter: keep/drop) and `c4_line_cleaner` (a
Mapper: rewrite text), and both use this one definition so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tilth.ops.process.heuristics_rules import sentence_terminal_class
from tilth.ops.process.heuristics_text import (
    has_non_alnum,
    match_where,
    parents,
    per_doc_sum,
    py_strip,
    split_lines,
    words,
)

CITATION = r"\[\d*\]|\[edit\]|\[citation needed\]"
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


@dataclass
class C4Lines:
    lines: pa.Array  # stripped, citation-free lines of all documents, flattened
    doc: np.ndarray  # document of each line
    kept: np.ndarray  # line survives the line rules
    lorem: np.ndarray  # per document: a surviving line contains "lorem ipsum"
    curly: np.ndarray  # per document: a surviving non-javascript line contains "{"
    sentences: np.ndarray  # per document: sentences in kept lines
    kept_lines: np.ndarray  # per document


def c4_lines(text: pa.Array, p) -> C4Lines:
    n = len(text)
    ls = split_lines(text, "splitlines")
    doc = parents(ls)
    raw = py_strip(pc.list_flatten(ls))
    ws = pc.utf8_split_whitespace(raw)
    n_words = pc.list_value_length(ws).to_numpy(zero_copy_only=False)
    ok = np.ones(len(raw), bool)
    if p.max_word_length is not None:
        wl = pc.utf8_length(pc.list_flatten(ws)).to_numpy(zero_copy_only=False)
        longest = np.zeros(len(raw), np.int64)
        offs = ws.offsets.to_numpy()
        starts, filled = offs[:-1] - offs[0], np.diff(offs) > 0
        if filled.any():  # max per line over its words (segments between non-empty lines' starts)
            longest[filled] = np.maximum.reduceat(wl, starts[filled])
        ok &= longest <= p.max_word_length
    line = pc.replace_substring_regex(raw, CITATION, "") if p.remove_citations else raw
    if p.filter_no_terminal_punct:
        ends = pc.match_substring_regex(line, r"[.?!\"']$").to_numpy(zero_copy_only=False)
        ell = pc.ends_with(line, "...").to_numpy(zero_copy_only=False)
        ok &= ends & ~ell
    if p.min_words_per_line is not None:
        ok &= n_words >= p.min_words_per_line
    has = _LineSearch(line, ls.offsets, doc)
    lorem = ok & has("lorem ipsum", lower=True) if p.filter_lorem_ipsum else np.zeros(len(raw), bool)
    if p.filter_javascript:
        ok &= ~has("javascript", lower=True)
    curly = ok & has("{") if p.filter_curly_bracket else np.zeros(len(raw), bool)
    if p.filter_policy:
        for phrase in POLICY:
            ok &= ~has(phrase, lower=True)
    sent = np.zeros(len(raw), np.int64)
    if ok.any():
        sent[ok] = sentence_counts(line.filter(pa.array(ok)))
    return C4Lines(
        lines=line, doc=doc, kept=ok,
        lorem=per_doc_sum(doc, lorem, n) > 0, curly=per_doc_sum(doc, curly, n) > 0,
        sentences=per_doc_sum(doc, sent, n).astype(np.int64), kept_lines=per_doc_sum(doc, ok, n).astype(np.int64),
    )


def sentence_counts(lines: pa.Array) -> np.ndarray:
    """Sentences per line by spaCy's rule-based sentencizer: a new sentence starts at the first
    non-punctuation token after a sentence-final punctuation token."""
    toks = words(lines)
    flat = pc.list_flatten(toks)
    line = parents(toks)
    if len(flat) == 0:
        return np.zeros(len(lines), np.int64)
    # per-token regexes only where they can match: a terminal is one character, punctuation not alphanumeric
    single = pc.equal(pc.utf8_length(flat), 1)
    term = match_where(single, flat, "^" + sentence_terminal_class() + "$")
    punct = match_where(has_non_alnum(flat), flat, r"^\p{P}+$") | term
    idx = np.arange(len(flat))
    anchor = np.where(~punct, idx, -1)
    prev = np.concatenate([[-1], np.maximum.accumulate(anchor)[:-1]])
    starts = toks.offsets.to_numpy()[:-1]
    line_start = starts[line]
    cs0 = np.concatenate([[0], np.cumsum(term)])
    from_ = np.where(prev >= line_start, prev + 1, line_start)
    boundary = ~punct & (cs0[idx] - cs0[from_] > 0)
    has_tokens = pc.list_value_length(toks).to_numpy(zero_copy_only=False) > 0
    return has_tokens.astype(np.int64) + np.bincount(line, weights=boundary, minlength=len(lines)).astype(np.int64)


class _LineSearch:
    """Which lines contain a phrase (optionally after lower-casing). A search per line pays Arrow's
    per-string cost a million times; the lines of a document joined by newlines are searched first, and
    only the lines of documents that contain the phrase are searched one by one (exact: a line that
    contains the phrase is in a document whose joined lines do; lower-casing is per character)."""

    def __init__(self, lines: pa.Array, offsets: pa.Array, doc: np.ndarray):
        self.lines, self.doc = lines, doc
        self.joined = pc.binary_join(pa.ListArray.from_arrays(offsets, lines), "\n")
        self._low: pa.Array | None = None

    def __call__(self, needle: str, lower: bool = False) -> np.ndarray:
        if lower and self._low is None:
            self._low = pc.utf8_lower(self.joined)
        docs = pc.match_substring(self._low if lower else self.joined, needle).to_numpy(zero_copy_only=False)
        out = np.zeros(len(self.lines), bool)
        cand = docs[self.doc]
        if cand.any():
            sub = self.lines.filter(pa.array(cand))
            out[cand] = pc.match_substring(pc.utf8_lower(sub) if lower else sub, needle).to_numpy(zero_copy_only=False)
        return out

