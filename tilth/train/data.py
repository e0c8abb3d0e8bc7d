"""Workspace tables → per-domain packed token sequences, and a mixture sampler over them.

Each domain's documents are tokenised, joined with EOS and cut into windows of seq_len+1 tokens, so every
batch row is a full training sequence without padding. A seeded share of each domain's documents is held
out for per-domain evaluation (the signal that DoReMi-style or target-aware modules need).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class DomainData:
    domains: list[str]
    train: list[torch.Tensor]  # per domain: [N_d, seq_len + 1] int64 (or shards.TokenWindows, read on demand)
    heldout: list[torch.Tensor]
    vocab: np.ndarray | None = None  # compacted ids → tokenizer ids (None: ids are the tokenizer's own)
    skipped: dict[str, int] | None = None  # SFT rows left out, by reason (sft.load_sft_data)

    @property
    def vocab_size(self) -> int | None:
        """Model vocabulary the ids need when compacted; None means the tokenizer's full vocabulary."""
        return None if self.vocab is None else len(self.vocab)

    @property
    def n_domains(self) -> int:
        return len(self.domains)

    @property
    def offsets(self) -> np.ndarray:
        """Global id of each domain's first training row (row ids are offset + index within the domain)."""
        return np.concatenate([[0], np.cumsum([len(t) for t in self.train])]).astype(np.int64)


def pack(token_arrays: list[np.ndarray], seq_len: int, eos_id: int) -> torch.Tensor:
    """Concatenate documents (EOS after each) and cut into [N, seq_len + 1] windows, dropping the tail."""
    if not token_arrays:
        return torch.zeros((0, seq_len + 1), dtype=torch.long)
    eos = np.array([eos_id], dtype=np.int64)
    stream = np.concatenate([a for arr in token_arrays for a in (arr, eos)])
    n = len(stream) // (seq_len + 1)
    return torch.from_numpy(stream[: n * (seq_len + 1)].reshape(n, seq_len + 1).copy())


def load_domain_data(ws, dataset: str, tokenizer, seq_len: int, text_column: str = "text",
                     domain_column: str = "domain", heldout_fraction: float = 0.1, seed: int = 0,
                     max_docs_per_domain: int | None = None, compact_vocab: bool = False) -> DomainData:
    """Stream `dataset` from the workspace, group rows by `domain_column`, tokenise and pack per domain.

    `compact_vocab` renumbers the token ids that occur (plus EOS) as 0..V'−1, so a tiny model trained with
    a large real tokenizer (SmolLM2: 49k ids) does not spend most of its compute on an output layer for
    ids the data never uses. Losses are unchanged: unused ids would only ever get probability mass.
    """
    docs: dict[str, list[str]] = defaultdict(list)
    for batch in ws.iter_batches(dataset, columns=[text_column, domain_column]):
        for text, dom in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
            if text and (max_docs_per_domain is None or len(docs[str(dom)]) < max_docs_per_domain):
                docs[str(dom)].append(text)
    rng = np.random.default_rng(seed)
    domains = sorted(docs)
    toks: dict[str, list[np.ndarray]] = {}
    for d in domains:
        order = rng.permutation(len(docs[d]))
        toks[d] = [tokenizer.encode(docs[d][i]) for i in order]
        docs[d] = []  # the text is no longer needed
    eos, vocab = tokenizer.eos_id, None
    if compact_vocab:
        vocab = np.unique(np.concatenate([np.array([eos], dtype=np.int64)] + [a for d in domains for a in toks[d]]))
        toks = {d: [np.searchsorted(vocab, a) for a in arrs] for d, arrs in toks.items()}
        eos = int(np.searchsorted(vocab, eos))
    train, held = [], []
    for d in domains:
        n_held = max(1, int(round(heldout_fraction * len(toks[d]))))
        held.append(pack(toks[d][:n_held], seq_len, eos))
        train.append(pack(toks[d][n_held:], seq_len, eos))
        if len(train[-1]) == 0 or len(held[-1]) == 0:
            raise ValueError(f"domain {d!r} has too little text for seq_len={seq_len}")
    return DomainData(domains, train, held, vocab)


def training_row_chunks(data: DomainData, batch: int):
    """All training rows in global-id order, `batch` at a time (a chunk may span domains), without
    concatenating them first: shard-backed domains are read chunk by chunk."""
    offsets = data.offsets
    for start in range(0, int(offsets[-1]), batch):
        stop = min(start + batch, int(offsets[-1]))
        pieces = []
        for d, rows in enumerate(data.train):
            lo, hi = max(start, int(offsets[d])), min(stop, int(offsets[d + 1]))
            if lo < hi:
                pieces.append(rows[lo - int(offsets[d]): hi - int(offsets[d])])
        yield torch.cat(pieces)


def ensure_builtin(ws, dataset: str, kind: str) -> None:
    """Write a built-in corpus (`synthetic` or `realtext`, default sizes) as `dataset` unless the workspace
    has it, so a shipped config runs in an empty workspace."""
    if dataset in set(ws.datasets().column("name").to_pylist()):
        return
    if kind == "synthetic":
        from tilth.train import synthetic as corpus
    elif kind == "realtext":
        from tilth.train import realtext as corpus
    else:
        raise ValueError(f"make_dataset must be 'synthetic' or 'realtext', not {kind!r}")
    corpus.write_dataset(ws, dataset)


def domain_counts(weights: np.ndarray, n: int, gen: torch.Generator, carry: np.ndarray | None = None) -> np.ndarray:
    """How many of `n` rows each domain gets: a multinomial draw, or, given `carry`, stratified counts.

    Stratified: each domain gets ⌊w·n⌋ rows, and the n − Σ⌊w·n⌋ rows left go one each to the domains
    with the largest fraction of w·n plus `carry`, the fractions not yet given (updated in place). So a
    domain's total stays within about a row of its exact share over any number of steps; without the
    carry, a weight below 1/(2n) would get zero rows at every step and starve its domain.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    if carry is not None:
        raw = w * n
        counts = np.floor(raw).astype(np.int64)
        owed = raw - counts + carry
        extra = np.zeros(len(w), dtype=np.int64)
        extra[np.argsort(-owed, kind="stable")[: n - counts.sum()]] = 1
        carry[:] = owed - extra
        return counts + extra
    draws = torch.multinomial(torch.as_tensor(w), n, replacement=True, generator=gen)
    return np.bincount(draws.numpy(), minlength=len(w))


def sample_rows(data: DomainData, weights: np.ndarray, n: int, gen: torch.Generator,
                carry: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Domain ids [n] and global row ids [n] of `n` rows drawn by domain `weights` (no tokens read yet)."""
    counts = domain_counts(weights, n, gen, carry)
    offsets = data.offsets
    ds, rows = [], []
    for d, c in enumerate(counts):
        if c:
            idx = torch.randint(len(data.train[d]), (int(c),), generator=gen)
            ds.append(torch.full((int(c),), d, dtype=torch.long))
            rows.append(idx + int(offsets[d]))
    return torch.cat(ds), torch.cat(rows)


def read_rows(data: DomainData, rows: torch.Tensor, domains: torch.Tensor) -> torch.Tensor:
    """The token windows [n, seq_len+1] of global row ids `rows` (domain ids `domains`), in their order."""
    offsets = data.offsets
    present = torch.unique(domains).tolist()
    if len(present) == 1:
        d = present[0]
        return data.train[d][rows - int(offsets[d])]
    masks = [domains == d for d in present]
    parts = [data.train[d][rows[m] - int(offsets[d])] for d, m in zip(present, masks, strict=True)]
    x = torch.empty((len(rows), parts[0].shape[1]), dtype=parts[0].dtype)
    for m, part in zip(masks, parts, strict=True):
        x[m] = part
    return x


def sample_batch(data: DomainData, weights: np.ndarray, n: int, gen: torch.Generator,
                 carry: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows x [n, seq_len+1], their domain ids [n] and global row ids [n], drawn by domain `weights`."""
    dom, rows = sample_rows(data, weights, n, gen, carry)
    return read_rows(data, rows, dom), dom, rows
