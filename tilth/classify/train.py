"""Train a quality classifier from workspace labels and store it as a new version.

Rows are split by a seeded hash of `_id` (stable when rows are added): train, calibration (Platt scaling
and the suggested threshold are fitted here) and test (only reported on, so its figures are honest).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tilth.classify import features as F
from tilth.classify import labels as L
from tilth.classify import metrics as M
from tilth.classify import store
from tilth.classify.model import Head, check_head, sigmoid


@dataclass(frozen=True)
class TrainConfig:
    features: str = "embed+stats"
    head: str = "linear"  # linear | mlp
    l2: float = 1e-3
    test_share: float = 0.2
    calib_share: float = 0.15
    seed: int = 0
    ngram_dim: int = 1 << 16
    max_chars: int = 1000
    min_rows: int = 30


def split(ids: np.ndarray, seed: int, test_share: float, calib_share: float) -> np.ndarray:
    """0 train, 1 calibration, 2 test, from a seeded integer hash of each `_id` (splitmix64)."""
    with np.errstate(over="ignore"):
        z = ids.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15) * np.uint64(seed + 1)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        u = ((z ^ (z >> np.uint64(31))) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.where(u < test_share, 2, np.where(u < test_share + calib_share, 1, 0)).astype(np.int8)


def train(ws, name: str, spec: L.LabelSpec, cfg: TrainConfig = TrainConfig()) -> dict[str, Any]:
    """Fit, calibrate, evaluate and save classifier `name`; returns its metadata (with the report)."""
    store.check_name(name)
    kinds = F.parse_kinds(cfg.features)
    check_head(cfg.head, kinds)
    t0 = time.perf_counter()
    data = L.load(ws, spec)
    n = len(data.y)
    if n < cfg.min_rows:
        raise L.LabelError(f"{n} labelled rows are too few to train and test a classifier (need >= {cfg.min_rows})")
    part = split(data.ids, cfg.seed, cfg.test_share, cfg.calib_share)
    for k, what in enumerate(("train", "calibration", "test")):
        got = np.bincount(data.y[part == k], minlength=2)
        if got.min() == 0:
            raise L.LabelError(f"the {what} split has no {'keep' if got[1] == 0 else 'drop'} rows ({int(got[0])} drop, "
                               f"{int(got[1])} keep of {n}): label more rows of the rare class")
    t_load = time.perf_counter()
    emb, computed = None, 0
    if "embed" in kinds:
        cache = F.EmbedCache(ws.root / store.ROOT / "_cache" / "minilm")
        emb, computed = F.embed_cached(data.texts, data.ids, cache, cfg.max_chars)
    t_embed = time.perf_counter()
    head = Head(kinds, cfg.head, cfg.ngram_dim, cfg.max_chars)
    head.fit_scaling([t for t, k in zip(data.texts, part, strict=True) if k == 0])
    x = head.features(data.texts, emb)
    head.fit(x[part == 0], data.y[part == 0], cfg.l2, cfg.seed)
    z = head.logit(x)
    head.calibrate(z[part == 1], data.y[part == 1].astype(np.float64))
    p = head.proba(x)
    t_fit = time.perf_counter()
    if np.ptp(p) < 1e-6:
        raise L.LabelError(f"the trained classifier gives every row the same score ({p[0]:.4f}): the features do "
                           "not separate these labels; try other features (--features) or more labels")
    threshold = M.best_f1_threshold(data.y[part == 1], p[part == 1])
    report = {k: M.at_threshold(data.y[part == i], p[part == i], threshold)
              for i, k in enumerate(("train", "calibration", "test"))}
    yt, pt = data.y[part == 2], p[part == 2]
    report["test"].update(average_precision=M.average_precision(yt, pt), brier=M.brier(yt, pt),
                          brier_uncalibrated=M.brier(yt, sigmoid(z[part == 2])))
    report["seconds"] = {"labels": t_load - t0, "embed": t_embed - t_load, "fit": t_fit - t_embed,
                         "embeddings_computed": computed}
    version, d = store.new_version_dir(ws.root, name)
    _save_rows(d, data, part)
    M.plot_pr(yt, pt, threshold, d / "pr.png", f"{name} v{version}: test split (n={len(yt)})")
    meta = {"labels": data.source, "config": asdict(cfg), "threshold": threshold, "report": report,
            "rows": {"total": n, "keep": int(data.y.sum()), "drop": int(n - data.y.sum()),
                     **{k: int((part == i).sum()) for i, k in enumerate(("train", "calibration", "test"))}},
            "files": {"rows": "rows.parquet", "pr_curve": "pr.png"}}
    store.save(ws, name, version, d, head, meta)
    return {**meta, "name": name, "version": version, "path": str(d), **head.config()}


def _save_rows(d, data: L.Labelled, part: np.ndarray) -> None:
    """Every training `_id` with its label and split: the model's data lineage, row by row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = np.array(["train", "calibration", "test"])
    pq.write_table(pa.table({"_id": data.ids, "label": data.y.astype(np.int8), "split": names[part]}),
                   d / "rows.parquet")
