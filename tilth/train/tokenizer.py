"""Offline tokenizers: a byte-level one (exact per-token entropies for synthetic data) and local HF ones."""

from __future__ import annotations

import functools

import numpy as np


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


@functools.lru_cache(maxsize=4)
def load_tokenizer(spec: str | None):
    """`byte` (default), `smollm2` (the tokenizer of the shipped gguf, via `tilth.models.smollm2`, which
    keeps a converted copy on disk), or a local directory. Cached: an experiment builds many trainers."""
    if spec in (None, "", "byte"):
        return ByteTokenizer()
    if spec == "smollm2":
        from tilth.models import smollm2

        return HFTokenizer(smollm2.load_tokenizer())
    from transformers import AutoTokenizer

    return HFTokenizer(AutoTokenizer.from_pretrained(spec, local_files_only=True))
