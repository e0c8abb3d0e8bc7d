"""Per-domain token shards in the workspace, and fixed-length windows read from them with bounded memory.

Layout (`<workspace>/token_shards/<key>/`, as nanoGPT's and datatrove's binary token files):

    meta.json              dataset, version, tokenizer, dtype, EOS id, domains, token counts
    <d>.train.bin          domain d's training documents, each followed by EOS (uint16, or uint32 for
    <d>.heldout.bin        vocabularies over 65,536 ids), in dataset order
    index.parquet          one row per document: _id, domain, split, offset, n_tokens (into its .bin)

The writer streams the dataset batch by batch and appends to the files, so memory does not grow with the
corpus; the folder is written under a temporary name and renamed, so a folder that exists is complete.
Window i of a .bin is tokens [i·(T+1), (i+1)·(T+1)), exactly what `data.pack` cuts from the same stream.
Every ⌈1/f⌉-th document of a domain is held out (its 1st, then by k·f crossing an integer), so a domain
with n documents holds out ⌈n·f⌉ of them, at least one, whatever the order.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

SPLITS = ("train", "heldout")


def token_dtype(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16) if vocab_size <= 1 << 16 else np.dtype(np.uint32)


def held_out(k: int, fraction: float) -> bool:
    """Whether a domain's k-th document (0-based) is held out: ⌈(k+1)f⌉ > ⌈kf⌉."""
    return math.ceil((k + 1) * fraction - 1e-12) > math.ceil(k * fraction - 1e-12)


def shard_key(ws, dataset: str, tokenizer: str, text_column: str, domain_column: str, fraction: float) -> str:
    """Folder name: the dataset's newest version and every setting that changes the shards."""
    v = ws.version(dataset)
    spec = json.dumps([v.name, v.version, tokenizer, text_column, domain_column, fraction])
    return f"{dataset}-v{v.version}-{hashlib.sha256(spec.encode()).hexdigest()[:12]}"


def write_shards(ws, dataset: str, tokenizer, tokenizer_name: str, text_column: str = "text",
                 domain_column: str = "domain", heldout_fraction: float = 0.1) -> Path:
    """Tokenise `dataset` into per-domain shards (once: an existing folder for the same key is reused)."""
    root = Path(ws.root) / "token_shards"
    out = root / shard_key(ws, dataset, tokenizer_name, text_column, domain_column, heldout_fraction)
    if out.exists():
        return out
    tmp = root / f".{out.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    dtype = token_dtype(tokenizer.vocab_size)
    eos = np.array([tokenizer.eos_id], dtype=dtype)
    domains: dict[str, int] = {}
    files: dict[tuple[int, str], object] = {}
    sizes: dict[tuple[int, str], int] = {}
    seen: dict[int, int] = {}
    index = pq.ParquetWriter(tmp / "index.parquet", pa.schema(
        [("_id", pa.string()), ("domain", pa.string()), ("split", pa.string()), ("offset", pa.int64()),
         ("n_tokens", pa.int64())]))
    cols = [text_column, domain_column]
    has_id = "_id" in pq.ParquetFile(ws.parts(dataset)[0]).schema_arrow.names
    row = 0
    try:
        for batch in ws.iter_batches(dataset, columns=cols + (["_id"] if has_id else []), batch_size=1024):
            texts, doms = batch.column(0).to_pylist(), batch.column(1).to_pylist()
            ids = batch.column(2).to_pylist() if has_id else [f"row:{row + i}" for i in range(len(texts))]
            row += len(texts)
            entries = []
            for text, dom, _id in zip(texts, doms, ids, strict=True):
                if not text:
                    continue
                d = domains.setdefault(str(dom), len(domains))
                k = seen.get(d, 0)
                seen[d] = k + 1
                split = "heldout" if held_out(k, heldout_fraction) else "train"
                if (d, split) not in files:
                    files[(d, split)] = open(tmp / f"{d}.{split}.part", "wb")  # noqa: SIM115 - closed below
                    sizes[(d, split)] = 0
                toks = np.concatenate([tokenizer.encode(text).astype(dtype), eos])
                files[(d, split)].write(toks.tobytes())
                entries.append((_id, str(dom), split, sizes[(d, split)], len(toks)))
                sizes[(d, split)] += len(toks)
            if entries:
                index.write_table(pa.table(list(map(list, zip(*entries, strict=True))), schema=index.schema))
    finally:
        index.close()
        for f in files.values():
            f.close()
    names = sorted(domains)
    for i, name in enumerate(names):  # files were numbered by first appearance: number them by sorted name
        for split in SPLITS:
            src, dst = tmp / f"{domains[name]}.{split}.part", tmp / f"{i}.{split}.bin"
            src.rename(dst) if src.exists() else dst.touch()
    meta = {"dataset": dataset, "version": ws.version(dataset).version, "tokenizer": tokenizer_name,
            "dtype": dtype.name, "eos_id": int(tokenizer.eos_id), "vocab_size": int(tokenizer.vocab_size),
            "domains": names, "heldout_fraction": heldout_fraction,
            "tokens": {name: {s: sizes.get((domains[name], s), 0) for s in SPLITS} for name in names}}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    os.replace(tmp, out)
    return out


class TokenWindows:
    """A shard file seen as rows [N, T+1] of int64, like a packed tensor: `len`, and indexing by an index
    tensor/array or a slice. Each read maps the file, copies the rows out and unmaps it (as nanoGPT
    re-creates its memmap per batch), so pages read once do not stay in the process's memory."""

    def __init__(self, path: Path, dtype: str, seq_len: int):
        self.path, self.dtype, self.width = Path(path), np.dtype(dtype), seq_len + 1
        self.n = self.path.stat().st_size // self.dtype.itemsize // self.width

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx) -> torch.Tensor:
        rows = np.arange(self.n)[idx] if isinstance(idx, slice) else np.asarray(idx, dtype=np.int64).reshape(-1)
        if len(rows) == 0:
            return torch.zeros((0, self.width), dtype=torch.long)
        if rows.min() < 0 or rows.max() >= self.n:
            raise IndexError(f"row out of range for {self.n} windows of {self.path.name}")
        mm = np.memmap(self.path, dtype=self.dtype, mode="r")
        out = mm[rows[:, None] * self.width + np.arange(self.width)].astype(np.int64)
        del mm
        return torch.from_numpy(out)


def open_shards(folder: Path, seq_len: int):
    """DomainData whose per-domain rows are TokenWindows over the shard files (nothing loaded up front)."""
    from tilth.train.data import DomainData

    meta = json.loads((Path(folder) / "meta.json").read_text())
    train = [TokenWindows(folder / f"{i}.train.bin", meta["dtype"], seq_len) for i in range(len(meta["domains"]))]
    held = [TokenWindows(folder / f"{i}.heldout.bin", meta["dtype"], seq_len) for i in range(len(meta["domains"]))]
    for name, t, h in zip(meta["domains"], train, held, strict=True):
        if len(t) == 0 or len(h) == 0:
            raise ValueError(f"domain {name!r} has too little text for seq_len={seq_len}")
    return DomainData(meta["domains"], train, held)
