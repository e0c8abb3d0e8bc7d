"""Post-training data selection with a small LM's perplexities: IFD (CherryLLM) and Superfiltering.

IFD = PPL(response | instruction) / PPL(response). A high IFD means the instruction barely helps the model
predict the response, i.e. the pair is hard and informative; IFD >= 1 means the instruction does not help
at all (often misaligned pairs), which CherryLLM discards. Superfiltering showed a small model's IFD ranks
data nearly as well as a large one's, so the embedded SmolLM2 is enough.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.llm.logprobs import ifd_scores
from tilth.llm.opbase import text_values
from tilth.ops.base import Filter, Resources
from tilth.ops.registry import register
from tilth.ops.where import Scope


class IFDParams(Scope):
    instruction_field: str = Field("instruction", description="Column holding the instruction.")
    response_field: str = Field("response", description="Column holding the response.")
    min_ifd: float = Field(0.0, ge=0.0, description="Keep if ifd >= min_ifd (higher = harder, more useful).")
    max_ifd: float = Field(1.0, gt=0.0, description="Keep if ifd < max_ifd (>= 1: instruction does not help).")
    model_path: str | None = Field(None, description="GGUF file of the scoring model (default: embedded SmolLM2).")
    max_response_tokens: int = Field(256, ge=1, description="Score at most this many response tokens.")


class _IFDBase(Filter):
    category = "evaluate"
    inputs = ("{instruction_field}", "{response_field}")
    outputs = ("ifd", "ppl_conditioned", "ppl_response")
    resources = Resources(memory_mb=1500)

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        p = self.params
        s = ifd_scores(text_values(batch, p.instruction_field), text_values(batch, p.response_field),
                       p.model_path, p.max_response_tokens)
        return {"ifd": pa.array([x.ifd if x else None for x in s], pa.float64()),
                "ppl_conditioned": pa.array([x.ppl_conditioned if x else None for x in s], pa.float64()),
                "ppl_response": pa.array([x.ppl_response if x else None for x in s], pa.float64())}

    def _in_range(self, ifd: list) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        mask, reasons = [], []
        for v in ifd:
            if v is None:
                mask.append(False)
                reasons.append("empty response")
            elif v >= p.max_ifd:
                mask.append(False)
                reasons.append(f"ifd={v:.3f} >= max_ifd={p.max_ifd}")
            elif v < p.min_ifd:
                mask.append(False)
                reasons.append(f"ifd={v:.3f} < min_ifd={p.min_ifd}")
            else:
                mask.append(True)
                reasons.append(None)
        return np.array(mask, dtype=bool), reasons


@register
class LLMIFDFilter(_IFDBase):
    name = "llm_ifd_filter"
    description = """Instruction-Following Difficulty (CherryLLM) with the local small model: stores ifd,
    ppl_conditioned, ppl_response; keeps pairs with min_ifd <= ifd < max_ifd."""
    examples = (
        "select instruction data by instruction-following difficulty",
        "filter by IFD score",
        "keep instructions whose response is hard for the model to predict",
        "compute IFD scores for instruction-response pairs",
        "cherry-pick instruction data by IFD, like Cherry LLM",
        "drop pairs where the instruction doesn't help predict the answer",
        "keep instruction pairs with IFD between 0.3 and 1",
        "remove examples whose response is trivially predictable",
        "score instruction-following difficulty with the small local model",
        "IFD threshold filter",
        "filter SFT pairs by conditioned versus unconditioned response perplexity",
        "drop instruction pairs with IFD of 1 or more",
        "filter pairs by an IFD threshold",
        "keep pairs whose IFD is above a cutoff",
    )
    Params = IFDParams

    def keep(self, scores: pa.Table):
        return self._in_range(scores.column("ifd").to_pylist())


class SuperfilterParams(IFDParams):
    keep_fraction: float = Field(0.5, gt=0.0, le=1.0, description="Keep this fraction of the rows with the "
                                                                  "highest ifd among those with ifd < max_ifd.")


@register
class LLMSuperfilter(_IFDBase):
    name = "llm_superfilter"
    description = """Superfiltering: rank instruction/response pairs by the small model's IFD and keep the top
    keep_fraction (among pairs with ifd < max_ifd). The ranking is within each part (bounded memory);
    use one part, or llm_ifd_filter with a global threshold, for an exact global top fraction."""
    examples = (
        "keep the most useful fraction of instruction data",
        "superfiltering: select instructions with a small model",
        "pick the top half of the instruction pairs by difficulty",
        "keep the top 30% of SFT pairs by IFD",
        "Superfiltering: weak model selects data for a strong one",
        "rank instruction pairs and keep the best fraction",
        "trim the instruction set to its most valuable half",
        "keep only a percentage of the SFT pairs, the most informative",
        "choose the hardest 20% of instructions with a small model",
        "superfilter the instruction data",
        "shrink the SFT dataset but keep the most useful samples",
        "weak-to-strong data selection for instruction tuning",
        "keep the top fraction of pairs ranked by IFD",
        "keep only the top-scoring share of instruction pairs",
    )
    Params = SuperfilterParams

    def keep(self, scores: pa.Table):
        ifd = scores.column("ifd").to_pylist()
        mask, reasons = self._in_range(ifd)
        eligible = np.flatnonzero(mask)
        n_keep = int(np.ceil(len(eligible) * self.params.keep_fraction))
        order = eligible[np.argsort([-ifd[i] for i in eligible], kind="stable")]
        for rank, i in enumerate(order):
            if rank >= n_keep:
                mask[i] = False
                reasons[i] = f"ifd={ifd[i]:.3f} below the top {self.params.keep_fraction:.0%}"
        return mask, reasons
