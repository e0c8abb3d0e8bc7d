"""Hybrid retrieval (BM25 + MiniLM cosine) over short documents: skill descriptions and doc sections.

Scores from the two retrievers live on different scales, so each is min-max normalised over the corpus
and mixed with weight `alpha` on the embedding side. BM25 catches exact operator vocabulary ("minhash",
"PII"); embeddings catch paraphrases ("near-identical samples", "personal data").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the and or of to in on for with by is are be it its this that as at from into only each every "
    "my our your me i we do does how can should would will please want need some any all".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case alphanumeric tokens, stop words dropped, `snake_case` names split as well as kept."""
    out = []
    for t in _TOKEN.findall(text.lower().replace("_", " _ ")):
        if t not in _STOP:
            out.append(_stem(t))
    for t in re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", text.lower()):
        out.append(t)
    return out


def _stem(t: str) -> str:
    """A tiny suffix stripper: enough for duplicates/duplicate, filtering/filter, statistics/statistic."""
    for suf in ("ations", "ation", "ities", "ity", "ates", "ated", "ate", "ing", "ies", "es", "s", "ed"):
        if len(t) > len(suf) + 3 and t.endswith(suf):
            return t[: -len(suf)] + ("y" if suf == "ies" else "")
    if len(t) > 7 and t.endswith("ally"):  # semantically -> semantic
        return t[:-4]
    return t


class BM25:
    def __init__(self, docs: list[str], k1: float = 1.2, b: float = 0.75,
                 tokenizer: Callable[[str], list[str]] = tokenize):
        self.tokenize = tokenizer
        self.toks = [tokenizer(d) for d in docs]
        self.k1, self.b = k1, b
        self.avg = sum(len(t) for t in self.toks) / max(len(self.toks), 1)
        df = Counter(t for toks in self.toks for t in set(toks))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.tf = [Counter(t) for t in self.toks]

    def scores(self, query: str) -> np.ndarray:
        q = self.tokenize(query)
        out = np.zeros(len(self.tf))
        for i, tf in enumerate(self.tf):
            dl = len(self.toks[i])
            s = 0.0
            for t in q:
                f = tf.get(t)
                if f:
                    s += self.idf[t] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * dl / max(self.avg, 1)))
            out[i] = s
        return out


def _minmax(x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


class HybridIndex:
    """Search a fixed list of documents; `search` returns (index, score) pairs, best first.

    Options for callers with other needs (the defaults are what the skill catalogue uses): `tokenizer`
    replaces BM25's tokenizer; `embeddings` are the documents' embeddings computed by the caller (one row
    per document, e.g. from a disk cache, or of shorter texts), used instead of encoding `docs`.
    """

    def __init__(self, docs: list[str], use_embeddings: bool = True, alpha: float = 0.5,
                 tokenizer: Callable[[str], list[str]] = tokenize, embeddings: np.ndarray | None = None):
        self.docs = docs
        self.bm25 = BM25(docs, tokenizer=tokenizer)
        self.alpha = alpha if use_embeddings else 0.0
        self._emb = None
        if use_embeddings and embeddings is not None:
            self._emb = embeddings
        elif use_embeddings and docs:  # (the same cards every run: encoded once, then read from disk)
            from tilth.agent.embed import encode_cached

            self._emb = encode_cached(docs)

    def best_similarity(self, query: str) -> float | None:
        """The highest cosine between the query and any document (absolute, unlike `scores`); None without
        embeddings."""
        if self._emb is None:
            return None
        from tilth.agent.embed import encode

        return float((self._emb @ encode([query])[0]).max())

    def scores(self, query: str) -> np.ndarray:
        s = (1 - self.alpha) * _minmax(self.bm25.scores(query))
        if self._emb is not None and self.alpha > 0:
            from tilth.agent.embed import encode

            s = s + self.alpha * _minmax(self._emb @ encode([query])[0])
        return s

    def search(self, query: str, k: int = 8) -> list[tuple[int, float]]:
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")[:k]
        return [(int(i), float(s[i])) for i in order]
