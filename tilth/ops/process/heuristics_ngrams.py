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


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group id per element, is-first-occurrence mask). Ids follow first appearance (Arrow hash
    encoding, no sort), so a new id is always one more than the largest id seen before it."""
    ids = _factorize(key)
    seen = np.concatenate([[-1], np.maximum.accumulate(ids)[:-1]])
    return ids, ids > seen


def _factorize(key: np.ndarray) -> np.ndarray:
    """Codes numbered by first appearance. pandas' hash factorize is ~10x faster than Arrow's
    dictionary_encode on uint64 (pandas comes with ray[data]); numpy's sort-based unique is the fallback."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency of ray[data]
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        rank = np.empty(len(first), np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        return rank[inv]
    return pd.factorize(key)[0].astype(np.int64)


def top_ngram_chars(idx: NGramIndex, n: int) -> np.ndarray:
    """Per document: characters of the most frequent n-gram (joined by spaces; ties go to the one seen
    first) times its count; 0 for documents shorter than n words."""
    out = np.zeros(idx.n_docs, np.int64)
    pos, key = idx.ngrams(n)
    if len(pos) == 0:
        return out
    ids, first = _groups(key)
    counts = np.bincount(ids)
    first_pos = pos[first]  # indexed by group id
    gdoc = idx.doc[first_pos]  # non-decreasing in group id
    best = np.zeros(idx.n_docs, np.int64)
    np.maximum.at(best, gdoc, counts)
    cand = np.flatnonzero(counts == best[gdoc])
    docs, at = np.unique(gdoc[cand], return_index=True)  # the first such group of each document
    g = cand[at]
    out[docs] = idx.span_chars(first_pos[g], n, 1) * counts[g]
    return out


def dup_ngram_chars(idx: NGramIndex, n: int) -> np.ndarray:
    """Per document: characters (words joined without spaces) of the n-grams that repeat an earlier one,
    scanning left to right and jumping n words past each repeat, as Gopher's reference does."""
    out = np.zeros(idx.n_docs, np.int64)
    pos, key = idx.ngrams(n)
    if len(pos) == 0:
        return out
    gid, first = _groups(key)
    cpos = np.flatnonzero(~first)  # occurrences after the first of their n-gram, in text order
    if len(cpos) == 0:
        return out
    first_pos = pos[first]
    chars = idx.span_chars(pos[cpos], n, 0)
    cdoc = idx.doc[pos[cpos]]
    bounds = np.flatnonzero(np.concatenate([[True], cdoc[1:] != cdoc[:-1], [True]]))
    cp, cg, cc = pos[cpos].tolist(), gid[cpos].tolist(), chars.tolist()
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        out[cdoc[a]] = _greedy(cp[a:b], cg[a:b], cc[a:b], first_pos, n)
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
