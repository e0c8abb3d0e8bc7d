"""Shared helpers for the dedup tests: run a Deduplicator's two phases on in-memory parts, without the
runner, so property tests can call it hundreds of times cheaply."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from tilth.ops.base import Deduplicator
from tilth.storage.parts import write_part


def write_signatures(op: Deduplicator, texts: list[str], d: str | Path, part_size: int | None = None) -> list[str]:
    """Signature files of `texts` in `d`/sig, `part_size` rows each; row i gets `_id` = i."""
    part_size = part_size or max(1, len(texts))
    files = []
    for k, lo in enumerate(range(0, max(len(texts), 1), part_size)):  # the runner always has a part
        chunk = texts[lo : lo + part_size]
        name = f"p{k:05d}"
        ids = pa.array(np.arange(lo, lo + len(chunk), dtype=np.int64))
        sig = op.signature(pa.table({"_id": ids, "text": pa.array(chunk, pa.string())}))  # as the runner reads it
        sig = sig.add_column(0, "_id", ids)
        sig = sig.add_column(1, "_part", pa.array([name] * len(chunk), pa.string()))
        sig = sig.add_column(2, "_row", pa.array(np.arange(len(chunk), dtype=np.int64)))
        path = Path(d) / "sig" / f"{name}.parquet"
        write_part(sig, path)
        files.append(str(path))
    return files


def run_dedup(op: Deduplicator, texts: list[str], part_size: int | None = None) -> tuple[pa.Table, list[str]]:
    """Return (duplicates table, part names); row i gets `_id` = i, parts hold `part_size` rows each."""
    with tempfile.TemporaryDirectory() as d:
        files = write_signatures(op, texts, d, part_size)
        return op.duplicates(files, d), [Path(f).stem for f in files]


def dropped(op: Deduplicator, texts: list[str], part_size: int | None = None) -> dict[int, int]:
    """{dropped row: the row it duplicates}."""
    t, _ = run_dedup(op, texts, part_size)
    return dict(zip(t.column("_id").to_pylist(), t.column("duplicate_of").to_pylist(), strict=True))


def survivors(op: Deduplicator, texts: list[str], part_size: int | None = None) -> list[str]:
    gone = dropped(op, texts, part_size)
    return [t for i, t in enumerate(texts) if i not in gone]


from tilth import corpora as corpus  # noqa: E402

__all__ = ["corpus", "dropped", "run_dedup", "survivors", "write_signatures"]
