"""Features of a text for the quality classifier, in one sparse matrix:

- `embed`: the all-MiniLM-L6-v2 sentence embedding (384 floats; what the text is about and how it reads);
- `ngrams`: hashed word unigrams and bigrams (log counts, unit length; the vocabulary of boilerplate);
- `stats`: a few shape statistics (log lengths, mean word length, alphabetic / digit / symbol / uppercase
  shares, line and bullet structure) that heuristic filters look at and embeddings miss.

Embeddings dominate the cost (tens of ms per text on one core), so training caches them in the workspace
per `_id` and text hash (`classifiers/_cache/minilm/`); scoring a corpus computes them once per row anyway.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp

KINDS = ("embed", "ngrams", "stats")
DIM_EMBED = 384
STATS = ("log_chars", "log_words", "mean_word_len", "alpha_share", "digit_share", "symbol_share", "upper_share",
         "log_lines", "bullet_line_share", "short_line_share", "unique_word_share")
_WORD = re.compile(r"\w+")


def parse_kinds(features: str) -> tuple[str, ...]:
    """'embed+stats' -> ('embed', 'stats'), refusing unknown names."""
    kinds = tuple(k.strip() for k in features.split("+") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ValueError(f"features: use {', '.join(KINDS)} joined by '+', e.g. embed+stats (got {features!r})")
    return kinds


def ngrams(texts: list[str], dim: int) -> sp.csr_matrix:
    """Hashed word unigrams + bigrams: log(1 + count), rows scaled to unit length."""
    rows, cols = [], []
    for i, t in enumerate(texts):
        words = _WORD.findall(t.lower())
        grams = words + [a + " " + b for a, b in zip(words, words[1:], strict=False)]
        cols.extend(zlib.crc32(g.encode()) % dim for g in grams)
        rows.extend([i] * len(grams))
    m = sp.csr_matrix((np.ones(len(cols), np.float32), (np.array(rows, np.int64), np.array(cols, np.int64))),
                      shape=(len(texts), dim))
    m.sum_duplicates()
    m.data = np.log1p(m.data)
    norm = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.diags(1 / np.maximum(norm, 1e-9)).dot(m).tocsr().astype(np.float32)


def stats(texts: list[str]) -> np.ndarray:
    """Shape statistics per text (see STATS), float32."""
    out = np.zeros((len(texts), len(STATS)), np.float32)
    for i, t in enumerate(texts):
        n = max(len(t), 1)
        words = t.split()
        nw = max(len(words), 1)
        lines = [ln for ln in t.splitlines() if ln.strip()] or [""]
        alpha = sum(c.isalpha() for c in t)
        digit = sum(c.isdigit() for c in t)
        space = sum(c.isspace() for c in t)
        upper = sum(c.isupper() for c in t)
        out[i] = (np.log1p(len(t)), np.log1p(len(words)), sum(map(len, words)) / nw, alpha / n, digit / n,
                  (n - alpha - digit - space) / n, upper / max(alpha, 1), np.log1p(len(lines)),
                  sum(ln.lstrip()[:1] in "-*•#>|" for ln in lines) / len(lines),
                  sum(len(ln.split()) < 4 for ln in lines) / len(lines), len({w.lower() for w in words}) / nw)
    return out


def text_hashes(texts: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little", signed=True)
                     for t in texts], dtype=np.int64)


class EmbedCache:
    """MiniLM embeddings kept per (`_id`, text hash) in Parquet parts under `root`: retraining with other
    labels or another head reads them back instead of running the model again."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def get(self, ids: np.ndarray, hashes: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        import pyarrow.dataset as ds

        if not self.root.exists() or not any(self.root.glob("*.parquet")):
            return {}
        t = ds.dataset(str(self.root), format="parquet").to_table(filter=ds.field("_id").isin(ids.tolist()))
        if not t.num_rows:
            return {}
        emb = t.column("emb").combine_chunks().flatten().to_numpy().reshape(-1, DIM_EMBED)
        return {(i, h): emb[k] for k, (i, h) in enumerate(zip(t.column("_id").to_pylist(), t.column("h").to_pylist(),
                                                             strict=True))}

    def put(self, ids: np.ndarray, hashes: np.ndarray, emb: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not len(ids):
            return
        self.root.mkdir(parents=True, exist_ok=True)
        flat = pa.FixedSizeListArray.from_arrays(pa.array(emb.astype(np.float32).ravel()), DIM_EMBED)
        tmp = self.root / f".{uuid.uuid4().hex}.tmp"
        pq.write_table(pa.table({"_id": ids, "h": hashes, "emb": flat}), tmp)
        tmp.rename(self.root / f"part-{uuid.uuid4().hex}.parquet")


def embed(texts: list[str], max_chars: int, batch_size: int = 32) -> np.ndarray:
    """MiniLM embeddings of the first `max_chars` characters; texts are encoded in order of length, so a
    batch pads to a similar length (padding is most of the cost of a mixed batch)."""
    from tilth.agent.embed import encode

    cut = [t[:max_chars] for t in texts]
    order = np.argsort([len(t) for t in cut], kind="stable")
    out = np.empty((len(cut), DIM_EMBED), np.float32)
    if len(cut):
        out[order] = encode([cut[k] for k in order], batch_size=batch_size)
    return out


def embed_cached(texts: list[str], ids: np.ndarray, cache: EmbedCache | None, max_chars: int) -> tuple[np.ndarray, int]:
    """Embeddings of `texts`, from the cache where it has them; (embeddings, rows computed)."""
    cut = [t[:max_chars] for t in texts]
    hashes = text_hashes(cut)
    found = cache.get(ids, hashes) if cache else {}
    out = np.zeros((len(texts), DIM_EMBED), np.float32)
    todo = []
    for k, key in enumerate(zip(ids.tolist(), hashes.tolist(), strict=True)):
        if key in found:
            out[k] = found[key]
        else:
            todo.append(k)
    if todo:
        new = embed([cut[k] for k in todo], max_chars)
        out[todo] = new
        if cache:
            cache.put(ids[todo], hashes[todo], new)
    return out, len(todo)


def featurize(texts: list[str], kinds: tuple[str, ...], ngram_dim: int, max_chars: int,
              embeddings: np.ndarray | None = None, stats_scale: tuple[np.ndarray, np.ndarray] | None = None
              ) -> sp.csr_matrix:
    """The feature matrix of `texts` (columns: embed, then ngrams, then stats, for the kinds given); the
    stats are standardised with `stats_scale` (mean, std of the training rows) when given."""
    blocks = []
    if "embed" in kinds:
        blocks.append(sp.csr_matrix(embeddings if embeddings is not None else embed(texts, max_chars)))
    if "ngrams" in kinds:
        blocks.append(ngrams(texts, ngram_dim))
    if "stats" in kinds:
        s = stats(texts)
        blocks.append(sp.csr_matrix(s if stats_scale is None else (s - stats_scale[0]) / stats_scale[1]))
    return sp.hstack(blocks, format="csr", dtype=np.float32)
