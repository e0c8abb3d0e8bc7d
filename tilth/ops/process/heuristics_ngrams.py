"""Word n-gram repetition statistics for whole batches (Gopher's top and duplicate n-gram fractions).

Why hashes: each word gets an integer code (one dictionary encode per batch) and each n-gram a 64-bit
rolling hash of its codes, so grouping n-grams is a numpy sort instead of joining strings per document.
"""

from __future__ import annotations

import bisect

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tilth.ops.process.heuristics_text import parents

_MUL = np.uint64(0x9E3779B97F4A7C15)
_DOC = np.uint64(0xC2B2AE3D27D4EB4F)


class NGramIndex:
    """Word codes, lengths and document of every token in a batch of tokenised documents."""

    def __init__(self, toks: pa.ListArray):
        self.n_docs = len(toks)
        flat = pc.list_flatten(toks)
        self.doc = parents(toks).astype(np.int64)
        self.codes = (pc.dictionary_encode(flat).indices.to_numpy().astype(np.uint64)
                      if len(flat) else np.zeros(0, np.uint64))
        self.lens = pc.utf8_length(flat).to_numpy(zero_copy_only=False).astype(np.int64)
        self._hash = None
        self._n = 0

    def ngrams(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(start positions of n-grams lying inside one document, their hashes); n must not decrease."""
        if self._hash is None or n < self._n:
            self._hash, self._n = self.codes * _MUL + np.uint64(1), 1
        with np.errstate(over="ignore"):
            while self._n < n:
                k = self._n
                h = self._hash[: len(self.codes) - k]
                self._hash = (h ^ (h >> np.uint64(29))) * _MUL + self.codes[k:] + np.uint64(1)
                self._n += 1
        m = len(self._hash)
        if m <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        pos = np.flatnonzero(self.doc[:m] == self.doc[n - 1 : n - 1 + m])
        with np.errstate(over="ignore"):
            key = self._hash[pos] ^ (self.doc[pos].astype(np.uint64) * _DOC)
        return pos, key

    def span_chars(self, pos: np.ndarray, n: int, sep: int) -> np.ndarray:
        """Characters of the n-grams starting at `pos` when joined with `sep` characters between words."""
        csum = np.concatenate([[0], np.cumsum(self.lens)])
        return csum[pos + n] - csum[pos] + sep * (n - 1)


def top_ngram_chars(idx: NGramIndex, n: int) -> np.ndarray:
    """Per document: characters of the most frequent n-gram (joined by spaces; ties go to the one seen
    first) times its count; 0 for documents shorter than n words."""
    out = np.zeros(idx.n_docs, np.int64)
    pos, key = idx.ngrams(n)
    if len(pos) == 0:
        return out
    order = np.argsort(key, kind="stable")
    k = key[order]
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    counts = np.diff(np.concatenate([starts, [len(k)]]))
    first = pos[order[starts]]
    doc = idx.doc[first]
    pick = np.lexsort((first, -counts, doc))
    best = pick[np.concatenate([[True], doc[pick][1:] != doc[pick][:-1]])]
    out[doc[best]] = idx.span_chars(first[best], n, 1) * counts[best]
    return out


def dup_ngram_chars(idx: NGramIndex, n: int) -> np.ndarray:
    """Per document: characters (words joined without spaces) of the n-grams that repeat an earlier one,
    scanning left to right and jumping n words past each repeat, as Gopher's reference does."""
    out = np.zeros(idx.n_docs, np.int64)
    pos, key = idx.ngrams(n)
    if len(pos) == 0:
        return out
    order = np.argsort(key, kind="stable")
    k = key[order]
    new_group = np.concatenate([[True], k[1:] != k[:-1]])
    group = np.cumsum(new_group) - 1
    first_pos = pos[order[new_group]]
    cand = np.zeros(len(pos), bool)
    cand[order[~new_group]] = True  # occurrences after the first of their n-gram
    if not cand.any():
        return out
    gid = np.empty(len(pos), np.int64)
    gid[order] = group
    chars = idx.span_chars(pos, n, 0)
    cpos = np.flatnonzero(cand)
    for d in np.unique(idx.doc[pos[cpos]]):
        sel = cpos[idx.doc[pos[cpos]] == d]
        out[d] = _greedy(pos[sel].tolist(), gid[sel].tolist(), chars[sel].tolist(), first_pos, n)
    return out


def _greedy(cpos: list[int], gids: list[int], chars: list[int], first_pos: np.ndarray, n: int) -> int:
    """Walk the repeat candidates of one document; a repeat counts if an earlier occurrence of the same
    n-gram was visited (not jumped over), and each counted repeat jumps the scan n words ahead."""
    win_start: list[int] = []  # jumped-over windows [p + 1, p + n), in increasing order
    in_set: dict[int, bool] = {}
    skip_until = -1
    total = 0
    for p, g, c in zip(cpos, gids, chars, strict=True):
        if p < skip_until:
            continue
        if g not in in_set:
            f = int(first_pos[g])
            in_set[g] = not _inside(win_start, f, n)
        if in_set[g]:
            total += c
            win_start.append(p + 1)
            skip_until = p + n
        else:
            in_set[g] = True
    return total


def _inside(win_start: list[int], x: int, n: int) -> bool:
    i = bisect.bisect_right(win_start, x) - 1
    return i >= 0 and win_start[i] <= x < win_start[i] + n - 1
