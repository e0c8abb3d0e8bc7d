"""LLM quality scoring: binary keep/drop (0/1) or graded (1-5), with the model's rationale kept.

A judge that is not discriminating (a small model that gives every text the same grade) makes a filter
that silently drops everything, or nothing, at great cost. So the filter watches its own decisions: once
`degenerate_min_rows` rows are judged (per worker process, across the step's parts), if it would drop at
least `max_drop_share` of them, or every scored row got the same score, the step stops with the numbers
(rows judged, scored, dropped and their share, the score histogram) and what to do. A stop rather than a
warning, because the run's output would be empty or unfiltered either way and every further row costs
model time; `allow_degenerate: true` accepts such a result, with a loud warning instead.

`scoring: logprobs` asks for one grade token and scores the expected grade from its top log-probabilities
(tilth/llm/label_logprobs.py): continuous, so a small judge's preferences survive; expected grades within
0.01 of each other count as one score for the constant check.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.llm.client import ChatRequest
from tilth.llm.label_logprobs import expected_grade
from tilth.llm.opbase import LLMOp, LLMParams, render, text_values
from tilth.ops.base import Filter
from tilth.ops.registry import register

log = logging.getLogger(__name__)


class DegenerateFilter(ValueError):
    """The filter would drop (nearly) every row, or its scores are all the same."""


class LLMQualityParams(LLMParams):
    text_field: str = Field("text", description="Column holding the text to judge.")
    mode: Literal["binary", "graded"] = Field("graded", description="binary: a yes/no verdict (score 0/1); graded: a grade from 1 to 5.")
    scoring: Literal["json", "logprobs"] = Field("json", description="json: the grade the model writes, with a "
                                                "rationale; logprobs: the expected grade from the log-probabilities "
                                                "of the grade tokens (continuous; needs an endpoint that returns "
                                                "top_logprobs, e.g. vLLM or llama.cpp).")
    min_score: int | None = Field(None, ge=0, le=5, description="Keep if llm_quality >= min_score "
                                                               "(default: 1 for binary, 3 for graded).")
    keep_unscored: bool = Field(True, description="Keep rows the model could not score (invalid reply).")
    max_tokens: int = Field(96, ge=16, le=2048, description="Most tokens per judgement (JSON score + rationale).")
    max_drop_share: float = Field(0.95, gt=0, le=1, description="Stop the step if at least this share of the "
                                  "judged rows would be dropped (see allow_degenerate).")
    degenerate_min_rows: int = Field(20, ge=1, description="Check for a degenerate judge (drops >= max_drop_share, "
                                     "or one score for every row) once this many rows are judged, per worker.")
    allow_degenerate: bool = Field(False, description="Accept a degenerate result (log a warning) instead of "
                                   "stopping the step.")


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
        "ask an LLM whether each document is worth training on and drop the rest",
        "keep only rows the model rates at least 3 out of 5",
        "use an LLM to remove low-value samples",
        "model-based quality filter for pretraining data",
        "let the LLM decide which examples to keep",
        "filter out bad training examples with an LLM grader",
        "drop documents an LLM considers useless or spammy",
        "an LLM keep-or-drop decision for every row",
        "educational value filter scored by an LLM",
        "remove the rows the judge model scores as poor",
        "use an LLM to score quality and drop poor rows",
        "keep only documents the LLM rates as high quality",
        "drop rows an LLM rates as low quality",
        "LLM quality scoring, keep the good rows",
        "quality filter with an LLM grader",
    )
    measure_params = {"min_score": 0}  # score every row, drop none: a later step picks by the score
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
        if self.params.scoring == "logprobs":
            return self._score_logprobs(batch)
        tpl = self.template(f"quality_{self.params.mode}")
        results = self.ask([render(tpl, text=t) for t in text_values(batch, self.params.text_field)],
                           json_schema=self.schema())
        scores = [r.parsed["score"] if r.parsed else None for r in results]
        why = [r.parsed["rationale"] if r.parsed else f"unscored: {r.error}" for r in results]
        return {"llm_quality": pa.array(scores, pa.int64()), "llm_quality_rationale": pa.array(why, pa.string())}

    def _score_logprobs(self, batch: pa.Table) -> dict[str, pa.Array]:
        """One token per row, greedy, with the top log-probs: the expected grade and its distribution."""
        lo, hi = (0, 1) if self.params.mode == "binary" else (1, 5)
        tpl = self.template(f"quality_{self.params.mode}_digit")
        reqs = [ChatRequest([{"role": "user", "content": render(tpl, text=t)}], max_tokens=1, temperature=0.0,
                            logprobs=True, extra={"top_logprobs": 20})
                for t in text_values(batch, self.params.text_field)]
        results = self.client.chat_many(reqs) if reqs else []
        if results and all(not r.logprobs for r in results):
            raise ValueError("llm_quality_filter (scoring: logprobs): the endpoint returned no log-probabilities; "
                             "use an endpoint that returns top_logprobs (vLLM, llama.cpp) or scoring: json")
        scores, why = [], []
        for r in results:
            v, dist = expected_grade(r.logprobs, lo, hi)
            scores.append(v)
            why.append("unscored: no grade among the top tokens" if v is None else
                       "P(grade): " + ", ".join(f"{k}={p:.2f}" for k, p in dist.items()))
        return {"llm_quality": pa.array(scores, pa.float64()), "llm_quality_rationale": pa.array(why, pa.string())}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        threshold = p.min_score if p.min_score is not None else (1 if p.mode == "binary" else 3)
        values = scores.column("llm_quality").to_pylist()
        mask = np.array([p.keep_unscored if v is None else v >= threshold for v in values], dtype=bool)
        reasons = [None if m else ("unscored" if v is None else f"llm_quality{_value(v)} < min_score={threshold}")
                   for v, m in zip(values, mask, strict=True)]
        self._check_degenerate(values, mask, threshold)
        return mask, reasons

    def _check_degenerate(self, values: list, mask: np.ndarray, threshold: int) -> None:
        """Tally this worker's decisions in this step; stop (or warn) when the judge is degenerate."""
        p = self.params
        tally = getattr(self, "_tally", None)
        if tally is None or tally["context"] != self.context:
            tally = self._tally = {"context": self.context, "rows": 0, "dropped": 0, "hist": Counter(), "warned": False}
        tally["rows"] += len(values)
        tally["dropped"] += int((~mask).sum())
        # expected grades (scoring: logprobs) count as the same score within 0.01: nearly constant is constant
        tally["hist"].update(round(v, 2) if isinstance(v, float) else v for v in values if v is not None)
        rows, dropped, hist = tally["rows"], tally["dropped"], tally["hist"]
        scored = sum(hist.values())
        if rows < p.degenerate_min_rows or tally["warned"]:
            return
        share = dropped / rows
        constant = scored >= p.degenerate_min_rows and len(hist) == 1
        if share < p.max_drop_share and not constant:
            return
        histogram = ", ".join(f"{k}: {n}" for k, n in sorted(hist.items())) or "none"
        what = (f"would drop {dropped} of {rows} judged rows ({share:.0%}, limit {p.max_drop_share:.0%})"
                if share >= p.max_drop_share else f"keeps {rows - dropped} of {rows} judged rows")
        msg = (f"{self.name} ({p.mode}, min_score={threshold}) {what}; {scored} rows scored, "
               f"{len(hist)} distinct score{'s' if len(hist) != 1 else ''} ({histogram})"
               f"{'; every scored row got the same score' if constant else ''}. The judge is not discriminating")
        if p.allow_degenerate:
            tally["warned"] = True
            log.warning("WARNING: %s; continuing because allow_degenerate is set", msg)
            return
        raise DegenerateFilter(
            f"{msg}: stopped. Use a stronger model (TILTH_LLM_URL or the recipe's `llm:` section), try "
            f"mode: binary or a lower min_score, or set allow_degenerate: true to accept this result.")


def _value(v) -> str:
    """'=3' for a grade; nothing for an expected grade (its value is in the scores; reasons must GROUP BY)."""
    return "" if isinstance(v, float) else f"={v}"
