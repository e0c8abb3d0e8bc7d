"""Where a partitioned dedup's global phase keeps its files, and how a row is named in it.

Hash shuffles (band buckets, hash join, components) use `partitions` partitions, sized by rows (about
ROWS_PER_PARTITION documents each), not one per file: every task of a hash shuffle writes to every
partition, so tying them to the file count would make files^2 shuffle files.

A row is the node `file_index << 32 | row` of the signature files in canonical (`_part`, `_row`) order, so
the smaller node is the earlier row (the one kept) and a node says which file holds its signature without
any lookup table. The file list is written once to `layout.json`; tasks are given its path, not the list (a list of
10^5 files in every task description would cost the driver O(files^2) bytes).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from tilth.exec.shuffle import gather
from tilth.storage.parts import part_rows

ROWS_PER_PARTITION = 200_000  # documents per hash partition: a candidates task peaked at ~1 GB with 400k
DROPS = pa.schema([("_id", pa.int64()), ("_part", pa.string()), ("duplicate_of", pa.int64()),
                   ("reason", pa.string())])


@dataclass(frozen=True)
class Layout:
    root: str  # <work_dir>/_global
    files: tuple[str, ...]
    names: tuple[str, ...]  # the `_part` of each file (its stem)
    partitions: int = 1  # of the hash shuffles

    def stage(self, name: str) -> str:
        return str(Path(self.root) / "stages" / name)

    @property
    def drops_dir(self) -> Path:
        return Path(self.root) / "drops"

    @property
    def path(self) -> str:
        return str(Path(self.root) / "layout.json")


def new_layout(signature_files: list[str], work_dir: str | Path) -> Layout:
    """Start a global phase afresh (an interrupted one left partial stages: they are removed)."""
    root = Path(work_dir) / "_global"
    shutil.rmtree(root / "stages", ignore_errors=True)
    shutil.rmtree(root / "drops", ignore_errors=True)
    files = sorted(signature_files, key=lambda f: Path(f).stem)
    rows = sum(part_rows(f) for f in files)  # Parquet footers only
    partitions = max(1, min(len(files), -(-rows // ROWS_PER_PARTITION)))
    layout = Layout(str(root), tuple(files), tuple(Path(f).stem for f in files), partitions)
    root.mkdir(parents=True, exist_ok=True)
    Path(layout.path).write_text(json.dumps({"files": files, "partitions": partitions}))
    return layout


def load_layout(path: str) -> Layout:
    doc = json.loads(Path(path).read_text())
    files = doc["files"]
    return Layout(str(Path(path).parent), tuple(files), tuple(Path(f).stem for f in files), doc["partitions"])


def node_file(node: np.ndarray) -> np.ndarray:
    return (np.asarray(node, np.int64) >> 32).astype(np.int64)


def node_row(node: np.ndarray) -> np.ndarray:
    return np.asarray(node, np.int64) & 0xFFFFFFFF


def nodes_of(file_index: int, n: int) -> np.ndarray:
    return (np.int64(file_index) << np.int64(32)) | np.arange(n, dtype=np.int64)


def finish(layout: Layout) -> Path:
    """Remove the intermediate stages (the drops stay); return the drops folder, which exists even when
    nothing is dropped (the apply tasks tell a folder of drops from a drops file by it)."""
    shutil.rmtree(Path(layout.root) / "stages", ignore_errors=True)
    layout.drops_dir.mkdir(parents=True, exist_ok=True)
    return layout.drops_dir


def read_drops(layout: Layout) -> pa.Table:
    """Every drop of a finished phase, as one table (tests and small inputs; the runner reads by part)."""
    tables = [gather(layout.drops_dir, name, DROPS) for name in layout.names]
    return pa.concat_tables(tables) if tables else DROPS.empty_table()
