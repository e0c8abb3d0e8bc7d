"""tilth/corpora.py: the exact Jaccard ground truth and the planted near-duplicates the accuracy test uses."""

from __future__ import annotations

import itertools

import numpy as np
from dedup_helpers import corpus
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.integers(0, 12), max_size=8), max_size=20), st.floats(0.3, 1.0))
def test_jaccard_pairs_equal_brute_force(sets, threshold):
    arrays = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    got = {(int(i), int(j)) for i, j, _ in corpus.jaccard_pairs(arrays, threshold)}
    expect = {(i, j) for i, j in itertools.combinations(range(len(sets)), 2)
              if sets[i] | sets[j] and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold}
    assert got == expect


def test_planted_copies_point_at_their_source_and_are_deterministic():
    docs = [{"text": f"word{i} " * 30 + f"tail {i}", "source": "t"} for i in range(20)]
    out, pairs = corpus.plant_near_duplicates(docs, 10, seed=5, edit_fraction=(0.0, 0.0))
    assert len(out) == 30 and len(pairs) == 10
    for copy, src in pairs:
        assert out[copy]["text"] == " ".join(out[src]["text"].split())  # no edits: same words
        assert out[copy]["source"].startswith("planted:") and out[copy]["planted_from"] == src
    assert corpus.plant_near_duplicates(docs, 10, seed=5)[0] == corpus.plant_near_duplicates(docs, 10, seed=5)[0]


def test_sample_documents_is_real_mixed_and_seeded():
    a = corpus.sample_documents(200, seed=3)
    assert a == corpus.sample_documents(200, seed=3)
    assert len({d["source"] for d in a}) >= 3
    assert all(len(d["text"].split()) >= 20 for d in a)
