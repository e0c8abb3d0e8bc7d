"""Connected components over an edge list, vectorised with numpy (hook roots to the smaller root, then
pointer-jump), so transitive duplicates collapse to one component labelled by its smallest node.

Why not a Python union-find: the candidate pair table can hold millions of edges; a per-edge Python loop
would dominate the global dedup pass. Memory is O(nodes in edges + edges), not O(corpus).
"""

from __future__ import annotations

import numpy as np


def components(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given edges (u[i], v[i]) between non-negative integer nodes, return (nodes, root): every node that
    appears in an edge, sorted, and the smallest node of its connected component."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if u.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    eu, ev = inv[: u.size], inv[u.size :]
    parent = np.arange(nodes.size, dtype=np.int64)  # dense ids keep the order of nodes, so min id = min node
    while True:
        pu, pv = parent[eu], parent[ev]
        differ = pu != pv
        if not differ.any():
            break
        lo = np.minimum(pu[differ], pv[differ])
        hi = np.maximum(pu[differ], pv[differ])
        np.minimum.at(parent, hi, lo)  # hook the larger root under the smaller
        while True:  # pointer jumping until every node points at a root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return nodes, nodes[parent]
