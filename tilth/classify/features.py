"""Features of a text for the quality classifier, in one sparse matrix:

- `embed`: the all-MiniLM-L6-v2 sentence embedding (384 floats; what the text is about and how it reads);
- `ngrams`: hashed word unigrams and bigrams (log counts, unit length; the vocabulary of boilerplate);
- `stats`: a few shape statistics (log lengths, mean word length, alphabetic / digit / symbol / uppercase
  shares, line and bullet structure) that heuristic filters look at and embeddings miss.

Embeddings dominate the cost (tens of ms per text on one core), so training caches them in the workspace
per `_id` and text hash (`classifiers/_cache/minilm/`); scoring a corpus computes them once per row anyway.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from pathlib import Path

import numpy as np
import scipy.sparse as sp

KINDS = ("embed", "ngrams", "stats")
DIM_EMBED = 384
CHUNK = 1024  # texts featurised at once
STATS = ("log_chars", "log_words", "mean_word_len", "alpha_share", "digit_share", "symbol_share", "upper_share",
         "log_lines", "bullet_line_share", "short_line_share")


def parse_kinds(features: str) -> tuple[str, ...]:
    """'embed+stats' -> ('embed', 'stats'), refusing unknown names."""
    kinds = tuple(k.strip() for k in features.split("+") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ValueError(f"features: use {', '.join(KINDS)} joined by '+', e.g. embed+stats (got {features!r})")
    return kinds


def ngrams(texts: list[str], dim: int) -> sp.csr_matrix:
    """Hashed word unigrams + bigrams: log(1 + count), rows scaled to unit length. Tokenised by Arrow and
    hashed by pandas (stable across processes), so no Python loop runs per token."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pandas.util import hash_array

    arr = pa.array(texts, pa.string())
    lists = pc.split_pattern_regex(pc.utf8_lower(arr), r"\W+")
    tok = pc.list_flatten(lists)
    doc = pc.list_parent_indices(lists).to_numpy()
    real = pc.greater(pc.utf8_length(tok), 0).to_numpy(zero_copy_only=False)
    tok, doc = tok.filter(pa.array(real)), doc[real]
    same = doc[1:] == doc[:-1]  # a bigram never spans two documents
    big = pc.binary_join_element_wise(tok.slice(0, len(tok) - 1), tok.slice(1), " ").filter(pa.array(same)) \
        if len(tok) > 1 else pa.array([], pa.string())
    grams = np.concatenate([tok.to_numpy(zero_copy_only=False), big.to_numpy(zero_copy_only=False)])
    rows = np.concatenate([doc, doc[:-1][same]]).astype(np.int64)
    cols = (hash_array(grams, categorize=False) % np.uint64(dim)).astype(np.int64) if len(grams) else rows
    m = sp.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(texts), dim))
    m.sum_duplicates()
    m.data = np.log1p(m.data)
    norm = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.diags(1 / np.maximum(norm, 1e-9)).dot(m).tocsr().astype(np.float32)


@functools.lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """Bit flags per BMP code point: 1 alpha, 2 digit, 4 space, 8 upper, 16 newline, 32 bullet."""
    t = np.zeros(0x10000, np.uint8)
    for cp in range(0x10000):
        c = chr(cp)
        t[cp] = c.isalpha() | c.isdigit() << 1 | c.isspace() << 2 | c.isupper() << 3
    t[ord("\n")] |= 16
    for c in "-*•#>|":
        t[ord(c)] |= 32
    return t


def stats(texts: list[str]) -> np.ndarray:
    """Shape statistics per text (see STATS), float32, from one array of the batch's code points: each is
    classified by table lookup and counted per document and per line with bincount (no loop per character)."""
    n_docs = len(texts)
    if not n_docs:
        return np.zeros((0, len(STATS)), np.float32)
    lengths = np.fromiter(map(len, texts), np.int64, n_docs)
    cps = np.frombuffer("\n".join(texts).encode("utf-32-le"), np.uint32)
    flags = _classes()[np.minimum(cps, 0xFFFF)]
    flags[cps > 0xFFFF] = 0  # outside the BMP: counted as symbols
    doc = np.repeat(np.arange(n_docs, dtype=np.int32), lengths + 1)[: len(cps)]  # each text's characters and its separator

    def per_doc(mask: np.ndarray, weights=None) -> np.ndarray:
        return np.bincount(doc[mask], weights, minlength=n_docs).astype(np.float64)

    space = (flags & 4) > 0
    nonspace = ~space
    starts = nonspace & np.r_[True, space[:-1]]  # a word starts after whitespace (or at the start)
    chars = lengths.astype(np.float64)
    words = per_doc(starts)
    line = np.cumsum((flags & 16) > 0, dtype=np.int32)  # line number of every character, over the whole batch
    at = np.flatnonzero(nonspace)
    ls = line[at]  # non-decreasing: a line's first character is where the line number changes
    first = np.flatnonzero(np.r_[True, ls[1:] != ls[:-1]]) if len(ls) else np.zeros(0, np.int64)
    seg, first_pos = ls[first], at[first]
    line_doc = doc[first_pos]
    words_in_line = np.bincount(line[starts], minlength=line[-1] + 1)[seg]
    lines = np.maximum(np.bincount(line_doc, minlength=n_docs), 1).astype(np.float64)
    bullets = np.bincount(line_doc[(flags[first_pos] & 32) > 0], minlength=n_docs)
    short = np.bincount(line_doc[words_in_line < 4], minlength=n_docs)
    alpha, digit, upper = per_doc((flags & 1) > 0), per_doc((flags & 2) > 0), per_doc((flags & 8) > 0)
    sp_count = per_doc(space & ((flags & 16) == 0)) + per_doc((flags & 16) > 0) - (np.arange(n_docs) < n_docs - 1)
    n = np.maximum(chars, 1)
    return np.stack([np.log1p(chars), np.log1p(words), (chars - sp_count) / np.maximum(words, 1), alpha / n,
                     digit / n, (chars - alpha - digit - sp_count) / n, upper / np.maximum(alpha, 1), np.log1p(lines),
                     bullets / lines, short / lines], axis=1).astype(np.float32)


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
    if len(texts) > CHUNK:  # bounded memory: the per-character arrays of a chunk, not of a whole part
        return sp.vstack([featurize(texts[i:i + CHUNK], kinds, ngram_dim, max_chars,
                                    None if embeddings is None else embeddings[i:i + CHUNK], stats_scale)
                          for i in range(0, len(texts), CHUNK)], format="csr")
    blocks = []
    if "embed" in kinds:
        blocks.append(sp.csr_matrix(embeddings if embeddings is not None else embed(texts, max_chars)))
    if "ngrams" in kinds:
        blocks.append(ngrams(texts, ngram_dim))
    if "stats" in kinds:
        s = stats(texts)
        blocks.append(sp.csr_matrix(s if stats_scale is None else (s - stats_scale[0]) / stats_scale[1]))
    return sp.hstack(blocks, format="csr", dtype=np.float32)
