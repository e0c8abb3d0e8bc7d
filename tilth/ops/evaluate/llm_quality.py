"""LLM quality scoring: binary keep/drop (0/1) or graded (1-5), with the model's rationale kept."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.llm.opbase import LLMOp, LLMParams, render, text_values
from tilth.ops.base import Filter
from tilth.ops.registry import register


class LLMQualityParams(LLMParams):
    text_field: str = Field("text", description="Column holding the text to judge.")
    mode: Literal["binary", "graded"] = Field("graded", description="binary: score 0/1; graded: score 1-5.")
    min_score: int | None = Field(None, ge=0, le=5, description="Keep if llm_quality >= min_score "
                                                               "(default: 1 for binary, 3 for graded).")
    keep_unscored: bool = Field(True, description="Keep rows the model could not score (invalid reply).")
    max_tokens: int = Field(96, ge=16, le=2048, description="Most tokens per judgement (JSON score + rationale).")


@register
class LLMQualityFilter(LLMOp, Filter):
    name = "llm_quality_filter"
    category = "evaluate"
    description = """Ask the LLM to judge each text's training value: binary (0 drop / 1 keep) or graded
    (1-5). Stores `llm_quality` and `llm_quality_rationale`; keeps rows with llm_quality >= min_score."""
    examples = (
        "rate every document's quality using a language model",
        "drop low-quality rows according to a language model",
        "have the model grade every document from 1 to 5",
        "LLM-based quality filtering",
    )
    stage = 55  # a model per row: run after the cheap filters and dedup have shrunk the data
    inputs = ("{text_field}",)
    outputs = ("llm_quality", "llm_quality_rationale")
    Params = LLMQualityParams

    def schema(self) -> dict:
        lo, hi = (0, 1) if self.params.mode == "binary" else (1, 5)
        return {"type": "object", "additionalProperties": False, "required": ["score", "rationale"],
                "properties": {"score": {"type": "integer", "minimum": lo, "maximum": hi},
                               "rationale": {"type": "string", "maxLength": 80}}}

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        tpl = self.template(f"quality_{self.params.mode}")
        results = self.ask([render(tpl, text=t) for t in text_values(batch, self.params.text_field)],
                           json_schema=self.schema())
        scores = [r.parsed["score"] if r.parsed else None for r in results]
        why = [r.parsed["rationale"] if r.parsed else f"unscored: {r.error}" for r in results]
        return {"llm_quality": pa.array(scores, pa.int64()), "llm_quality_rationale": pa.array(why, pa.string())}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        threshold = p.min_score if p.min_score is not None else (1 if p.mode == "binary" else 3)
        values = scores.column("llm_quality").to_pylist()
        mask = np.array([p.keep_unscored if v is None else v >= threshold for v in values], dtype=bool)
        reasons = [None if m else ("unscored" if v is None else f"llm_quality={v} < min_score={threshold}")
                   for v, m in zip(values, mask, strict=True)]
        return mask, reasons
