"""The numeric core of semantic dedup: seeded k-means for blocking, and near pairs inside each block.

Why blocking: all-pairs cosine is quadratic in the corpus. k-means on a bounded sample gives centroids;
each vector goes to its `probes` nearest centroids, and only vectors sharing a block are compared, as
blocked matrix products. Memory is bounded by the largest block, not the corpus. With probes equal to the
number of clusters the search is exhaustive (used by the tests as the reference).
"""

from __future__ import annotations

import numpy as np


def kmeans(x: np.ndarray, k: int, seed: int, iters: int = 10) -> np.ndarray:
    """(k, d) unit centroids of unit vectors x by spherical k-means from a seeded random start."""
    rng = np.random.default_rng(seed)
    k = max(1, min(k, len(x)))
    c = x[rng.choice(len(x), size=k, replace=False)].astype(np.float32)
    for _ in range(iters):
        assign = np.argmax(x @ c.T, axis=1)
        sums = np.zeros_like(c)
        np.add.at(sums, assign, x)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        c = np.where(empty[:, None], c, sums / np.where(norms == 0, 1, norms))
    return c


def nearest(x: np.ndarray, centroids: np.ndarray, probes: int) -> np.ndarray:
    """(n, probes) indices of each vector's nearest centroids."""
    probes = min(probes, len(centroids))
    sim = x @ centroids.T
    return np.argsort(-sim, axis=1, kind="stable")[:, :probes]


def close_pairs(ids: np.ndarray, x: np.ndarray, threshold: float, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) with u < v among `ids` whose unit vectors have cosine >= threshold, in blocks of rows."""
    us, vs = [], []
    for lo in range(0, len(x), block):
        sim = x[lo : lo + block] @ x.T
        r, c = np.nonzero(sim >= threshold)
        a, b = ids[lo + r], ids[c]
        keep = a < b
        us.append(a[keep])
        vs.append(b[keep])
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(us), np.concatenate(vs)
