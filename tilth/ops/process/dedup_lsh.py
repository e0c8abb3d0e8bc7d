"""MinHash signatures and LSH banding, vectorised over a batch of documents.

Why these choices:
- Permutations are h_i(x) = a_i * x (mod 2**32) with odd a_i over the high 32 bits of splitmix64-mixed
  shingle hashes: a bijection of the 32-bit space per i, computed as one numpy outer product per chunk of
  shingles, with the per-document minimum taken by `np.minimum.reduceat`. 32-bit values halve the
  memory traffic of the (perm, shingle) block, which is what this costs: 3x faster than 64-bit here.
  (The Mersenne-prime form (a*x+b) mod 2**61-1 needs 128-bit products, which numpy lacks; its purpose,
  a random-looking permutation, is already met because x is a well mixed hash. An added b_i would not
  make the permutations more independent, and numpy's broadcast add over the block costs more than the
  multiplication itself. 32 bits are what datasketch keeps of each value too.)
- Bands x rows come from the target Jaccard threshold by weighing the integrated false-positive and
  false-negative probability of the S-curve 1-(1-s^r)^b, as datasketch does.
- A document with no shingle gets no signature (all-max), so empty documents never collide.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from tilth.ops.process.dedup_shingles import _GRAM, splitmix64

EMPTY = np.iinfo(np.uint32).max


def permutations(num_perm: int, seed: int) -> np.ndarray:
    """`num_perm` random odd uint32 multipliers a_i: x -> a_i * x is a bijection mod 2**32."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 2**31, size=num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)).astype(np.uint32)


def minhash(shingles: np.ndarray, doc: np.ndarray, n_docs: int, a: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(n_docs, num_perm) uint32 MinHash signatures: min over each document's shingles x of a_i * (x >> 32)
    (mod 2**32), for 64-bit shingle hashes x; `doc` (sorted) is each shingle's document.

    Chunks of `chunk` shingles go through one reused (perm, shingle) buffer of num_perm x chunk values:
    it is never freshly allocated (new pages cost page faults), and its size does not grow with the
    longest document: a document spanning several chunks gets the minimum of its pieces' minima."""
    k = a.size
    sig = np.full((k, n_docs), EMPTY, dtype=np.uint32)  # (perm, doc): reduceat along the last axis is ~8x faster
    n = shingles.size
    if n == 0:
        return np.ascontiguousarray(sig.T)
    shingles = (shingles >> np.uint64(32)).astype(np.uint32)
    acol = a.astype(np.uint32)[:, None]
    firsts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])  # each document's first shingle
    buf = _buffer(k * min(chunk, n))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        v = buf[: k * (stop - start)].reshape(k, stop - start)
        np.multiply(acol, shingles[None, start:stop], out=v)
        # pieces: from the chunk's start (which may continue the previous chunk's last document) and
        # from each document start after it
        cut = np.r_[start, firsts[np.searchsorted(firsts, start, "right") : np.searchsorted(firsts, stop)]]
        m = np.minimum.reduceat(v, cut - start, axis=1)
        d = doc[cut]
        np.minimum(sig[:, d[0]], m[:, 0], out=m[:, 0])
        sig[:, d] = m
    return np.ascontiguousarray(sig.T)


_BUF = threading.local()


def _buffer(size: int) -> np.ndarray:
    """A per-thread uint32 scratch array of at least `size`, kept between calls: a fresh multi-MB array
    per call would be fresh pages (page faults) every time."""
    buf = getattr(_BUF, "a", None)
    if buf is None or buf.size < size:
        buf = _BUF.a = np.empty(max(size, 1 << 19), dtype=np.uint32)
    return buf


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs, bands) uint64: one hash of each band's `rows` consecutive signature values."""
    n = sig.shape[0]
    v = sig[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    acc = np.zeros((n, bands), dtype=np.uint64)
    for j in range(rows):
        acc = splitmix64(acc ^ v[:, :, j]) * _GRAM[j % len(_GRAM)]
    return splitmix64(acc)


def _false_rates(threshold: float, b: np.ndarray, r: np.ndarray, steps: int = 2001) -> tuple[np.ndarray, np.ndarray]:
    """Integrated false-positive (s < threshold) and false-negative (s >= threshold) probabilities."""
    s_lo = np.linspace(0.0, threshold, steps)
    s_hi = np.linspace(threshold, 1.0, steps)
    p_lo = 1.0 - (1.0 - s_lo[None, :] ** r[:, None]) ** b[:, None]
    p_hi = 1.0 - (1.0 - s_hi[None, :] ** r[:, None]) ** b[:, None]
    return np.trapezoid(p_lo, s_lo, axis=1), np.trapezoid(1.0 - p_hi, s_hi, axis=1)


@functools.lru_cache(maxsize=64)  # ~0.3 s per call: once per process, not once per part
def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimising fp_weight*FP + fn_weight*FN (datasketch's
    `_optimal_param`); ties go to the smaller band count, as in datasketch's loop order."""
    b, r = np.meshgrid(np.arange(1, num_perm + 1), np.arange(1, num_perm + 1), indexing="ij")
    ok = b * r <= num_perm
    b, r = b[ok], r[ok]
    fp, fn = _false_rates(threshold, b.astype(float), r.astype(float))
    i = int(np.argmin(fp * fp_weight + fn * fn_weight))
    return int(b[i]), int(r[i])
