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


def _utf8(text: pa.Array | pa.ChunkedArray, lower: bool) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets) of a string array, offsets rebased to start at 0."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    text = pc.fill_null(text, "")
    if lower:
        text = pc.utf8_lower(text)
    text = text.cast(pa.large_string())
    bufs = text.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    data = data[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def word_hashes(text: pa.Array | pa.ChunkedArray, lower: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash per word, document index per word) for every word of every document, in order."""
    data, offsets = _utf8(text, lower)
    if data.size == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    isw = _WORD[data]
    doc_start = np.zeros(data.size + 1, dtype=bool)
    doc_start[offsets[:-1][offsets[:-1] < data.size]] = True
    prev = np.empty_like(isw)
    prev[0] = False
    prev[1:] = isw[:-1]
    starts_mask = isw & (~prev | doc_start[:-1])
    wb = np.flatnonzero(isw)  # positions of word bytes
    if wb.size == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    is_first = starts_mask[wb]
    word_of = np.cumsum(is_first) - 1  # word index of each word byte
    first_pos = np.flatnonzero(is_first)  # index into wb of each word's first byte
    pos_in_word = np.arange(wb.size) - first_pos[word_of]
    max_len = int(pos_in_word.max()) + 1
    powers = np.ones(max_len, dtype=np.uint64)  # P**0, P**1, ... (mod 2**64)
    powers[1:] = np.cumprod(np.full(max_len - 1, _P, dtype=np.uint64), dtype=np.uint64)
    terms = (data[wb].astype(np.uint64) + np.uint64(1)) * powers[pos_in_word]
    h = np.add.reduceat(terms, first_pos)
    lengths = np.diff(np.append(first_pos, wb.size)).astype(np.uint64)
    h = splitmix64(h ^ (lengths << np.uint64(56)))
    docs = np.searchsorted(offsets, wb[first_pos], side="right") - 1
    return h, docs.astype(np.int64)


def shingle_hashes(text: pa.Array | pa.ChunkedArray, ngram: int = 5, lower: bool = True,
                   chunk_bytes: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash per word n-gram, document index per shingle), documents in order.

    Documents shorter than `ngram` words contribute one shingle of all their words. Works through the
    batch in runs of whole documents of about `chunk_bytes` of text: the temporaries then stay in cache
    and are reused, which is several times faster than one pass over a large batch."""
    if not 1 <= ngram <= len(_GRAM):
        raise ValueError(f"ngram must be in 1..{len(_GRAM)}")
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    text = pc.fill_null(text, "").cast(pa.large_string())
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    cuts = np.unique(np.r_[np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], chunk_bytes)), len(text)])
    hs, ds = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        h, d = _shingles(text.slice(lo, hi - lo), ngram, lower)
        hs.append(h)
        ds.append(d + lo)
    return np.concatenate(hs), np.concatenate(ds)


def _shingles(text: pa.Array, ngram: int, lower: bool) -> tuple[np.ndarray, np.ndarray]:
    wh, wd = word_hashes(text, lower)
    n = wh.size
    if n == 0:
        return wh, wd
    acc = wh * _GRAM[0]
    for j in range(1, min(ngram, n)):  # n - j must stay positive
        nxt = np.zeros(n, dtype=np.uint64)
        same = np.zeros(n, dtype=bool)
        same[: n - j] = wd[j:] == wd[: n - j]
        nxt[: n - j] = wh[j:]
        acc += np.where(same, nxt, np.uint64(0)) * _GRAM[j]
    # an n-gram starting at k is whole if word k+n-1 is in the same document
    whole = np.zeros(n, dtype=bool)
    if n >= ngram:
        whole[: n - ngram + 1] = wd[ngram - 1 :] == wd[: n - ngram + 1]
    counts = np.bincount(wd)
    first = np.zeros(n, dtype=bool)
    first[0] = True
    first[1:] = wd[1:] != wd[:-1]
    short = first & (counts[wd] < ngram)
    keep = whole | short
    return splitmix64(acc[keep]), wd[keep]
