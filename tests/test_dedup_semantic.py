"""semantic_dedup: the real MiniLM model on a few sentences (threshold direction, first row kept), and the
blocking/pair search checked against exhaustive search on random unit vectors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from dedup_helpers import dropped
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.ops.process.dedup_semantic import close_pairs, kmeans, nearest
from tilth.ops.process.dedup_unionfind import components
from tilth.ops.process.semantic_dedup import SemanticDedup

TEXTS = ["The cat sat on the mat.", "Stock markets fell sharply on Monday.", "the cat sat on the mat",
         "A cat was sitting on the mat.", "Shares tumbled steeply on Monday.", "The cat sat on the mat."]


@pytest.fixture(scope="module")
def embed():
    op = SemanticDedup()
    return op.embed


def test_embeddings_are_unit_and_paraphrases_are_close(embed):
    v = embed(TEXTS)
    assert v.shape == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sim = v @ v.T
    assert sim[0, 5] > 0.999 and sim[0, 2] > sim[0, 3] > 0.9 > sim[1, 4] > 0.5 > sim[0, 1]


def test_threshold_decides_which_rows_go(embed, monkeypatch):
    vecs = embed(TEXTS)

    def run(threshold):
        op = SemanticDedup(threshold=threshold, cluster_size=16)
        monkeypatch.setattr(op, "embed", lambda texts: vecs[[TEXTS.index(t) for t in texts]])
        return dropped(op, TEXTS, part_size=2)

    assert run(0.999) == {5: 0}  # identical only
    assert run(0.98) == {2: 0, 5: 0}  # + case and punctuation
    assert run(0.9) == {2: 0, 3: 0, 5: 0}  # + the paraphrase
    assert run(0.5) == {2: 0, 3: 0, 4: 1, 5: 0}  # + the loose paraphrase of row 1


def _unit(rng, n, d):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 80), st.integers(0, 2**31), st.floats(0.3, 0.95))
def test_exhaustive_probes_find_exactly_the_brute_force_pairs(n, seed, threshold):
    rng = np.random.default_rng(seed)
    x = _unit(rng, n, 4)
    x[n // 2 :] = x[: n - n // 2] + 0.05 * _unit(rng, n - n // 2, 4)  # planted close pairs
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = kmeans(x, 5, seed)
    near = nearest(x, c, len(c))  # every block: exhaustive
    ids = np.arange(n)
    got = set()
    for b in range(len(c)):
        members = np.sort(ids[(near == b).any(axis=1)])
        u, v = close_pairs(members, x[members], threshold)
        got |= set(zip(u.tolist(), v.tolist(), strict=True))
    sim = x @ x.T
    expect = {(i, j) for i in range(n) for j in range(i + 1, n) if sim[i, j] >= threshold}
    assert got == expect


def test_blocked_dedup_leaves_no_close_pair_among_survivors(monkeypatch):
    rng = np.random.default_rng(3)
    base = _unit(rng, 300, 384)
    x = np.concatenate([base, base[:100] + 0.02 * _unit(rng, 100, 384)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    texts = [str(i) for i in range(len(x))]
    op = SemanticDedup(threshold=0.95, cluster_size=16, probes=64)
    monkeypatch.setattr(op, "embed", lambda t: x[[int(s) for s in t]])
    gone = dropped(op, texts, part_size=128)
    assert set(gone) == set(range(300, 400)) and all(gone[i] == i - 300 for i in gone)
    kept = np.array(sorted(set(range(len(x))) - set(gone)))
    sim = x[kept] @ x[kept].T
    np.fill_diagonal(sim, 0)
    assert sim.max() < 0.95
    nodes, roots = components(np.array([0]), np.array([1]))
    assert roots.tolist() == [0, 0]


def test_signature_is_one_unit_vector_per_row(monkeypatch):
    op = SemanticDedup()
    monkeypatch.setattr(op, "embed", lambda t: np.eye(384, dtype=np.float32)[: len(t)])
    sig = op.signature(pa.table({"text": ["a", None, "c"]}))
    assert sig.column_names == ["emb"] and sig.num_rows == 3
