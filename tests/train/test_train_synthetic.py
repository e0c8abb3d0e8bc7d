"""The synthetic benchmark's floors are exact entropy rates of what it generates."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from tilth.train import synthetic


def test_entropy_rate_of_uniform_chain_is_log_k():
    P = np.full((3, 3, 3), 1 / 3)
    assert synthetic.markov_entropy_rate(P) == pytest.approx(math.log(3), abs=1e-12)


def test_entropy_rate_of_deterministic_chain_is_zero():
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    assert synthetic.markov_entropy_rate(P) == 0.0


def test_markov_floor_matches_empirical_conditional_entropy():
    P = synthetic.markov_table()
    s = synthetic.sample_markov(P, 100_000, np.random.default_rng(0))
    tri = Counter(zip(s[:-2], s[1:-1], s[2:], strict=True))
    pair = Counter(zip(s[:-2], s[1:-1], strict=True))
    n = len(s) - 2
    empirical = -sum(c / n * math.log(c / pair[a, b]) for (a, b, _), c in tri.items())
    assert empirical == pytest.approx(synthetic.floors()["markov"], abs=0.02)


def test_documents_have_the_promised_structure():
    t = synthetic.documents(docs_per_domain=2, doc_chars=100, seed=1).to_pylist()
    by = {}
    for r in t:
        by.setdefault(r["domain"], []).append(r["text"])
    assert sorted(by) == ["arithmetic", "markov", "noise", "periodic"]
    assert all(len(x) == 100 for v in by.values() for x in v)
    for expr in by["arithmetic"][0].split(";")[:-1]:
        lhs, rhs = expr.split("=")
        a, b = lhs.split("+")
        assert int(a) + int(b) == int(rhs) and len(expr) == 6
    p = by["periodic"][0]
    assert all(p[i] == p[i + 10] for i in range(90))
    assert set("".join(by["noise"])) <= set(synthetic.NOISE_ALPHABET)
    assert synthetic.floors()["arithmetic"] == pytest.approx(2 * math.log(10) / 7)


def test_skewed_sizes_give_each_domain_its_own_number_of_documents():
    t = synthetic.documents(doc_chars=70, domain_docs={"markov": 5, "noise": 2, "periodic": 1}).to_pylist()
    counts = {d: sum(r["domain"] == d for r in t) for d in synthetic.DOMAINS}
    assert counts == {"arithmetic": 0, "markov": 5, "noise": 2, "periodic": 1}
    assert all(len(r["text"]) == 70 for r in t)
    with pytest.raises(ValueError, match="unknown domains"):
        synthetic.documents(domain_docs={"web": 3})
