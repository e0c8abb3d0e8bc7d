"""Trained classifiers, versioned in the workspace like datasets.

`<workspace>/classifiers/<name>/v<N>/` holds `head.npz` (weights, scaling, calibration), `model.json`
(features, head, threshold, report, and the training data's lineage: dataset/version/column or run/step
or sample), `rows.parquet` (every training `_id` with its label and split) and `pr.png`. The files are the
truth, so a worker process (which never opens the database) loads a model by name; a `classifiers` table
in the catalog lists the versions for SQL (`SELECT * FROM classifiers`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from tilth.classify.model import Head

ROOT = "classifiers"
DDL = """CREATE TABLE IF NOT EXISTS classifiers (name VARCHAR, version INTEGER, path VARCHAR, features VARCHAR,
    head VARCHAR, label_source VARCHAR, rows BIGINT, threshold DOUBLE, test_f1 DOUBLE, test_kappa DOUBLE,
    created_at TIMESTAMP DEFAULT current_timestamp, PRIMARY KEY (name, version))"""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class UnknownClassifier(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"classifier name {name!r}: use 1-64 letters, digits, '-', '_' or '.'")
    return name


def versions(root: Path, name: str) -> list[int]:
    d = Path(root) / ROOT / name
    return sorted(int(p.name[1:]) for p in d.glob("v*") if p.name[1:].isdigit() and (p / "model.json").exists())


def names(root: Path) -> list[str]:
    d = Path(root) / ROOT
    return sorted(p.name for p in d.iterdir() if p.is_dir() and not p.name.startswith("_") and versions(root, p.name)) \
        if d.exists() else []


def new_version_dir(root: Path, name: str) -> tuple[int, Path]:
    check_name(name)
    v = (versions(root, name) or [0])[-1] + 1
    d = Path(root) / ROOT / name / f"v{v}"
    d.mkdir(parents=True, exist_ok=True)
    return v, d


def save(ws, name: str, version: int, directory: Path, head: Head, meta: dict[str, Any]) -> None:
    """Write the head and its metadata (model.json last: a version without it does not exist), then list
    the version in the catalog."""
    np.savez(directory / "head.npz", **head.arrays)
    meta = {**meta, "name": name, "version": version, **head.config()}
    tmp = directory / ".model.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, default=float))
    os.replace(tmp, directory / "model.json")
    rep = meta["report"]["test"]
    with ws.connect() as con:
        con.execute(DDL)
        con.execute("INSERT OR REPLACE INTO classifiers (name, version, path, features, head, label_source, rows, "
                    "threshold, test_f1, test_kappa) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, version, ws.rel(directory), meta["features"], meta["head"], json.dumps(meta["labels"]),
                     meta["rows"]["total"], meta["threshold"], rep["f1"], rep["kappa"]])


def load(root: str | Path, name: str, version: int | None = None) -> tuple[Head, dict[str, Any]]:
    """(head, metadata) of classifier `name` (newest version unless one is given), from files only."""
    known = versions(root, name) if isinstance(name, str) and _NAME.fullmatch(name or "") else []
    if not known or (version is not None and version not in known):
        others = ", ".join(names(root)) or "none yet; train one with `tilth classifier train`"
        what = f"{name!r}" + ("" if version is None or not known else f" version {version} (versions: {known})")
        raise UnknownClassifier(f"no classifier {what} in workspace {root} (classifiers: {others})")
    d = Path(root) / ROOT / name / f"v{version or known[-1]}"
    meta = json.loads((d / "model.json").read_text())
    with np.load(d / "head.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return Head.from_saved(meta, arrays), meta
