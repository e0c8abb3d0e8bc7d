"""Word n-gram shingles as 64-bit hashes, computed for a whole batch at once with numpy.

Why not Python per document: tokenising and hashing millions of n-grams one string at a time is where
MinHash pipelines spend their time. Here the batch's lower-cased UTF-8 bytes are scanned as one numpy
array: a byte is part of a word if it is an ASCII letter, digit or underscore, or any non-ASCII byte (so
accented and non-Latin words stay whole). Each word is hashed by a polynomial over its bytes finished with
splitmix64; each n-gram hashes its n word hashes, order-sensitively. A document with fewer than n words
gets one shingle of all its words; a document with no word gets none.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tilth.ops.process.arrow_np import value_bytes, value_offsets

_WORD = np.zeros(256, dtype=bool)
_WORD[np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", np.uint8)] = True
_WORD[128:] = True

_P = np.uint64(0x100000001B3)  # FNV prime: odd, so the byte polynomial is invertible mod 2**64
_GRAM = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                  0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x27D4EB2F165667C5, 0x94D049BB133111EB],
                 dtype=np.uint64)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective avalanche mix of uint64 values (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _word_bytes(data: np.ndarray) -> np.ndarray:
    """`_WORD[data]` by comparisons, which vectorise (a 256-entry table lookup is a gather, ~5x slower)."""
    x = data | np.uint8(0x20)  # ASCII letters to lower case
    x -= np.uint8(ord("a"))
    w = x < 26
    np.subtract(data, np.uint8(ord("0")), out=x)
    w |= x < 10
    w |= data >= 128
    w |= data == ord("_")
    return w


def _utf8(text: pa.Array | pa.ChunkedArray, lower: bool) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets) of a string array, offsets rebased to start at 0."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    if text.null_count:
        text = pc.fill_null(text, "")
    if lower:
        text = pc.utf8_lower(text)
    return value_bytes(text)


_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_POW: list[np.ndarray] = [np.ones(1, np.uint64), np.ones(1, np.uint64)]  # P**i and P**-i, grown on demand
_GEO: list[np.ndarray] = [np.zeros(1, np.uint64)]  # sum_{j<i} P**j, as far as the longest word so far


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(P**i, P**-i) mod 2**64 for i < n (at least), cached."""
    if _POW[0].size < n:
        m = max(n, _POW[0].size) * 5 // 4  # (runs are ~0.5 MB: a little headroom, not 2x)
        for k, base in enumerate((_P, _P_INV)):
            p = np.empty(m, np.uint64)
            p[0] = 1
            p[1:] = base
            _POW[k] = np.cumprod(p, out=p)
    return _POW[0], _POW[1]


def _geometric(n: int) -> np.ndarray:
    """sum_{j<i} P**j mod 2**64 for i < n (at least), cached; n <= the size of the powers table."""
    if _GEO[0].size < n:
        pw = _POW[0]
        m = min(max(n, 2 * _GEO[0].size), pw.size)
        g = np.zeros(m, np.uint64)
        np.cumsum(pw[: m - 1], out=g[1:])
        _GEO[0] = g
    return _GEO[0]


def word_hashes(text: pa.Array | pa.ChunkedArray, lower: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash per word, document index per word) for every word of every document, in order.

    A word's hash is splitmix64 of sum_j (byte_j + 1) * P**j over its bytes (j from 0), mixed with its
    length. All words at once: with C the prefix sums of byte_t * P**t over the whole buffer, the word
    [s, e) sums to (C[e] - C[s]) * P**-s + sum_{j<e-s} P**j (P is odd, so invertible mod 2**64; the
    second term, the `+ 1`s, is one table lookup per word): two passes over the bytes instead of a
    gather, a scan and a segmented reduction per byte."""
    data, offsets = _utf8(text, lower)
    m = data.size
    if m == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    isw = _word_bytes(data)
    # words are the runs of word bytes: they start where word-ness switches on and end where it switches
    # off (the flags padded with False on both sides make starts and ends alternate) ...
    flags = np.zeros(m + 2, dtype=bool)
    flags[1:-1] = isw
    change = np.flatnonzero(flags[1:] != flags[:-1])
    starts, ends = change[0::2], change[1::2]
    # ... and a document boundary inside a run of word bytes ends one word and starts the next
    inner = offsets[1:-1]
    inner = inner[(inner > 0) & (inner < m)]
    split = inner[isw[inner - 1] & isw[inner]]
    if split.size:
        split = np.unique(split)
        starts = np.insert(starts, np.searchsorted(starts, split), split)
        ends = np.insert(ends, np.searchsorted(ends, split), split)
    if starts.size == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    pw, inv = _powers(m + 1)
    c = np.empty(m + 1, np.uint64)
    c[0] = 0
    np.multiply(data, pw[:m], out=c[1:])
    np.cumsum(c, out=c)
    # (byte + 1) * P**t = byte * P**t + P**t, and the P**t of a word sum to P**s * geo[length]
    lengths = ends - starts
    geo = _geometric(int(lengths.max()) + 1)
    h = (c[ends] - c[starts]) * inv[starts] + geo[lengths]
    h = splitmix64(h ^ (lengths.astype(np.uint64) << np.uint64(56)))
    # words before each document's start -> document of each word
    before = np.searchsorted(starts, offsets[:-1], side="left")
    docs = np.repeat(np.arange(offsets.size - 1, dtype=np.int64), np.diff(np.r_[before, starts.size]))
    return h, docs


def shingle_hashes(text: pa.Array | pa.ChunkedArray, ngram: int = 5, lower: bool = True,
                   chunk_bytes: int = 1 << 19) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash per word n-gram, document index per shingle), documents in order.

    Documents shorter than `ngram` words contribute one shingle of all their words."""
    hs, ds = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for lo, _hi, h, d in shingle_runs(text, ngram, lower, chunk_bytes):
        hs.append(h)
        ds.append(d + lo)
    return np.concatenate(hs), np.concatenate(ds)


def shingle_runs(text: pa.Array | pa.ChunkedArray, ngram: int = 5, lower: bool = True,
                 chunk_bytes: int = 1 << 19):
    """Yield (lo, hi, shingle hashes, document index - lo) for runs [lo, hi) of whole documents of about
    `chunk_bytes` of text. Working run by run keeps the temporaries in cache, which is several times
    faster than one pass over a large batch, and lets the caller consume each run at once. (At 0.5 MB
    rather than 1 MB a run's temporaries are also small enough for malloc to recycle them instead of
    mapping fresh pages for each run: half the page faults and a third of the system time.)"""
    if not 1 <= ngram <= len(_GRAM):
        raise ValueError(f"ngram must be in 1..{len(_GRAM)}")
    base = 0
    for chunk in _coalesce(text.chunks if isinstance(text, pa.ChunkedArray) else [text], chunk_bytes):
        offsets = value_offsets(chunk)  # (nulls are filled per run, by word_hashes)
        cuts = np.unique(np.r_[np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], chunk_bytes)), len(chunk)])
        for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            h, d = _shingles(chunk.slice(lo, hi - lo), ngram, lower)
            yield base + lo, base + hi, h, d
        base += len(chunk)


def _coalesce(chunks: list[pa.Array], chunk_bytes: int):
    """The chunks of a column, consecutive small ones concatenated to about `chunk_bytes / 2` or more:
    runs are cut inside each yielded array, so the column is never copied as a whole (a JSON or Parquet
    reader's chunks are already runs of about the right size). A large chunk is yielded on its own, so a
    concatenation never holds more than ~chunk_bytes of text (no int32 string-offset overflow)."""
    group, size = [], 0
    for c in chunks:
        if len(c) == 0:
            continue
        offs = value_offsets(c)
        n_bytes = int(offs[-1] - offs[0])
        if n_bytes >= chunk_bytes // 2 and group:
            yield group[0] if len(group) == 1 else pa.concat_arrays(group)
            group, size = [], 0
        group.append(c)
        size += n_bytes
        if size >= chunk_bytes // 2:
            yield group[0] if len(group) == 1 else pa.concat_arrays(group)
            group, size = [], 0
    if group:
        yield group[0] if len(group) == 1 else pa.concat_arrays(group)


def _shingles(text: pa.Array, ngram: int, lower: bool) -> tuple[np.ndarray, np.ndarray]:
    wh, wd = word_hashes(text, lower)
    n = wh.size
    if n == 0:
        return wh, wd
    # acc[k] = sum_j G_j * word[k + j], summed across document ends too; only n-grams that lie inside
    # one document are kept below, and the one shingle of each short document is recomputed alone
    acc = wh * _GRAM[0]
    for j in range(1, min(ngram, n)):
        acc[: n - j] += wh[j:] * _GRAM[j]
    keep = np.zeros(n, dtype=bool)  # an n-gram starting at k is whole if word k+n-1 is in the same doc
    if n >= ngram:
        np.equal(wd[ngram - 1 :], wd[: n - ngram + 1], out=keep[: n - ngram + 1])
    first = np.flatnonzero(np.r_[True, wd[1:] != wd[:-1]])  # each document's first word
    count = np.diff(np.r_[first, n])
    short = first[count < ngram]
    if short.size:
        sc = count[count < ngram]
        sacc = wh[short] * _GRAM[0]
        for j in range(1, ngram - 1):
            sacc += np.where(sc > j, wh[np.minimum(short + j, n - 1)], np.uint64(0)) * _GRAM[j]
        acc[short] = sacc
        keep[short] = True
    return splitmix64(acc[keep]), wd[keep]
