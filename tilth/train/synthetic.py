"""A heterogeneous synthetic benchmark whose per-token loss floors are known exactly.

Domains (byte tokens): `noise` — i.i.d. uniform over 16 letters (floor ln 16, nothing to learn);
`periodic` — a fixed 10-symbol cycle with random phase (floor 0 once the phase is seen); `markov` — an
order-2 Markov chain over 8 letters with Dirichlet(0.3) transitions (floor = its exact entropy rate);
`arithmetic` — "a+b=cd;" sums of random digits (2 random digits in 7 tokens: floor (2/7) ln 10). Floors are per-token entropy rates given unbounded context; evaluation skips the first
`EVAL_SKIP` positions of each window so the context needed to know the phase is present.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

EVAL_SKIP = 12
NOISE_ALPHABET = "ABCDEFGHIJKLMNOP"
PERIOD = "0123456789"
MARKOV_ALPHABET = "qrstuvwx"


def markov_table(seed: int = 1234, k: int = len(MARKOV_ALPHABET), concentration: float = 0.3) -> np.ndarray:
    """Transition probabilities P[a, b, c] = P(next = c | previous two = a, b)."""
    return np.random.default_rng(seed).dirichlet(np.full(k, concentration), size=(k, k))


def markov_entropy_rate(P: np.ndarray, iters: int = 5000) -> float:
    """Exact entropy rate (nats) of an order-2 chain: Σ_{ab} π(a,b) H(P[a,b,:]) with π stationary on pairs."""
    k = P.shape[0]
    pi = np.full((k, k), 1.0 / k**2)
    for _ in range(iters):
        nxt = np.einsum("ab,abc->bc", pi, P)
        if np.abs(nxt - pi).max() < 1e-15:
            break
        pi = nxt
    h = -np.sum(np.where(P > 0, P * np.log(np.where(P > 0, P, 1)), 0), axis=2)
    return float(np.sum(pi * h))


def sample_markov(P: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    k = P.shape[0]
    cdf = np.cumsum(P, axis=2)
    out = np.empty(n, dtype=np.int64)
    out[:2] = rng.integers(k, size=2)
    u = rng.random(n)
    for i in range(2, n):
        out[i] = min(int(np.searchsorted(cdf[out[i - 2], out[i - 1]], u[i])), k - 1)
    return out


def floors(seed: int = 1234) -> dict[str, float]:
    return {"arithmetic": 2 / 7 * math.log(10), "markov": markov_entropy_rate(markov_table(seed)),
            "noise": math.log(len(NOISE_ALPHABET)), "periodic": 0.0}


DOMAINS = ("arithmetic", "markov", "noise", "periodic")


def documents(docs_per_domain: int = 64, doc_chars: int = 2000, seed: int = 0,
              markov_seed: int = 1234, domain_docs: dict[str, int] | None = None) -> pa.Table:
    """The benchmark corpus as a table (text, domain): `docs_per_domain` documents in each domain, or
    `domain_docs[d]` in domain d (skewed sizes; a domain left out of it gets none)."""
    counts = {d: docs_per_domain for d in DOMAINS} if domain_docs is None else dict(domain_docs)
    unknown = set(counts) - set(DOMAINS)
    if unknown:
        raise ValueError(f"unknown domains {sorted(unknown)}; known: {DOMAINS}")
    rng = np.random.default_rng(seed)
    P = markov_table(markov_seed)
    noise = np.array(list(NOISE_ALPHABET))
    letters = np.array(list(MARKOV_ALPHABET))
    rows = []
    for i in range(max(counts.values(), default=0)):
        if i < counts.get("noise", 0):
            rows.append(("".join(noise[rng.integers(len(noise), size=doc_chars)]), "noise"))
        if i < counts.get("periodic", 0):
            phase = int(rng.integers(len(PERIOD)))
            rows.append(((PERIOD * (doc_chars // len(PERIOD) + 2))[phase: phase + doc_chars], "periodic"))
        if i < counts.get("markov", 0):
            rows.append(("".join(letters[sample_markov(P, doc_chars, rng)]), "markov"))
        if i < counts.get("arithmetic", 0):
            a, b = rng.integers(10, size=(2, doc_chars // 7 + 1))
            rows.append(("".join(f"{x}+{y}={x + y:02d};" for x, y in zip(a, b, strict=True))[:doc_chars],
                         "arithmetic"))
    return pa.table({"text": [r[0] for r in rows], "domain": [r[1] for r in rows]})


def write_dataset(ws, name: str = "synthetic_mix", **kw) -> str:
    """Register the corpus as a workspace dataset (a new version each call)."""
    ws.write_table(name, documents(**kw))
    return name
