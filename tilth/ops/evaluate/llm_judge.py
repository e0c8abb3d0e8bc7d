"""LLM-as-judge on a deterministic sample of rows: coherence, helpfulness, relevance (1-5) with rationale.

Judging every row is rarely worth its cost; a fixed sample (chosen by `_id` hash, so re-runs judge the
same rows and hit the cache) estimates dataset quality. The runner summarises the scores per step into
the `llm_judge_summary` table for the run report.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.llm.opbase import LLMOp, LLMParams, render, text_values
from tilth.ops.base import Mapper, put_column
from tilth.ops.registry import register

CRITERIA = ("coherence", "helpfulness", "relevance")
JUDGE_SCHEMA = {"type": "object", "additionalProperties": False, "required": [*CRITERIA, "rationale"],
                "properties": {**{c: {"type": "integer", "minimum": 1, "maximum": 5} for c in CRITERIA},
                               "rationale": {"type": "string", "maxLength": 80}}}


class LLMJudgeParams(LLMParams):
    response_field: str = Field("response", description="Column holding the response (or text) to judge.")
    instruction_field: str | None = Field("instruction", description="Column holding the request; None to judge "
                                                                     "the text on its own.")
    sample_fraction: float = Field(0.1, gt=0.0, le=1.0, description="Fraction of rows judged (chosen by _id hash).")
    max_tokens: int = Field(96, ge=16, le=2048, description="Most tokens per judgement.")


@register
class LLMJudge(LLMOp, Mapper):
    name = "llm_judge"
    category = "evaluate"
    description = """LLM-as-judge evaluation of a sample of rows: scores coherence, helpfulness and relevance
    1-5 into judge_* columns (null for rows outside the sample) with judge_rationale; the run summary table
    llm_judge_summary holds the per-step means."""
    examples = (
        "have an LLM judge the responses",
        "rate answer quality with a model as a judge",
        "evaluate a sample of the responses with an LLM",
        "score how helpful each answer is",
        "evaluate response coherence, helpfulness and relevance",
        "LLM-as-a-judge on a sample of the answers",
        "score a random 10% of the replies with a model",
        "how good are the chatbot's answers? grade some of them",
        "judge the responses 1 to 5 but don't drop anything",
        "get a quality report on the responses from a grader model",
        "have the model check whether each answer addresses the question",
        "spot-check answer quality with an LLM judge",
        "assess instruction-response pairs for relevance",
        "measure the average helpfulness of our responses",
        "llm judge eval with rationales",
        "use an LLM judge to evaluate responses without filtering",
        "evaluate the answers with a judge model",
        "judge the response quality with an LLM, keep every row",
    )
    inputs = ("{response_field}",)
    outputs = ("judge_coherence", "judge_helpfulness", "judge_relevance", "judge_rationale")
    Params = LLMJudgeParams

    def sampled(self, ids: np.ndarray) -> np.ndarray:
        h = (ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
        return h.astype(np.float64) / float(1 << 24) < self.params.sample_fraction

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        rows = np.flatnonzero(self.sampled(batch.column("_id").to_numpy()))
        responses = text_values(batch, p.response_field)
        has_instr = p.instruction_field and p.instruction_field in batch.column_names
        instructions = text_values(batch, p.instruction_field) if has_instr else ["(none)"] * batch.num_rows
        tpl = self.template("judge")
        results = self.ask([render(tpl, instruction=instructions[i], response=responses[i]) for i in rows],
                           json_schema=JUDGE_SCHEMA)
        cols: dict[str, list] = {f"judge_{c}": [None] * batch.num_rows for c in (*CRITERIA, "rationale")}
        for i, r in zip(rows, results, strict=True):
            for c in CRITERIA:
                cols[f"judge_{c}"][i] = r.parsed[c] if r.parsed else None
            cols["judge_rationale"][i] = r.parsed["rationale"] if r.parsed else f"unscored: {r.error}"
        for name, values in cols.items():
            batch = put_column(batch, name, pa.array(values, pa.string() if name == "judge_rationale" else pa.int64()))
        return batch
