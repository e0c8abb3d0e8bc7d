"""A deterministic difficulty score for math problems, for when no LLM is there to label difficulty.

Harder problems have longer worked solutions with more steps and more arithmetic. The score counts
those and squashes them into [0, 1): 0 is a one-step sum, values near 1 are multi-step word problems or
equations. It orders problems sensibly; it is not calibrated against human labels.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Mapper, Params, put_column
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register

_OPS = re.compile(r"(?<=[\w)\s])[-+*/×÷^](?=[\s(\w])|\\frac|\\sqrt|sqrt|\*\*")
_NUM = re.compile(r"\d+(?:\.\d+)?")
_VAR = re.compile(r"(?:\b[a-z]\s*=|=\s*[a-z]\b|\b\d+[a-z]\b|\^)")
_STEP = re.compile(r"\n+|(?<=[.;])\s+(?=[A-Z])")


class DifficultyParams(Params):
    text_field: str = Field("text", description="Column holding the problem statement.")
    solution_field: str | None = Field(
        None, description="Column holding the worked solution; its steps and operations count most. Unset: problem only.")
    scale: float = Field(6.0, gt=0, description="Raw effort at which the score reaches 0.5 (score = raw / (raw + scale)).")


@register
class DifficultyHeuristic(Mapper):
    name = "difficulty_heuristic"
    category = "evaluate"
    description = """Score the difficulty of math problems without an LLM: counts solution steps, arithmetic
    operations, numbers and algebra (variables, equations) in the problem and its worked solution, and
    writes `difficulty` in [0, 1) (higher = harder) and `solution_steps`. Use it to augment or filter
    difficult or easy problems."""
    examples = (
        "score how difficult each problem is",
        "estimate problem difficulty",
        "rate samples from easy to hard",
        "find the hard questions",
        "score math problems by difficulty without an LLM",
        "count the solution steps of each problem",
        "estimate how hard each math question is from its worked solution",
        "rule-based difficulty score for the exercises",
        "which problems are easy and which are hard?",
        "rank math word problems by complexity",
        "add a difficulty column from the steps and operations in the solution",
        "cheap difficulty estimate with no model calls",
        "how many steps does each solution take?",
        "difficulty scoring heuristic for math",
        "estimate each math problem's difficulty heuristically",
    )
    inputs = ("{text_field}",)
    outputs = ("difficulty", "solution_steps")
    Params = DifficultyParams

    def input_columns(self) -> list[str]:
        cols = [self.params.text_field]
        return cols + ([self.params.solution_field] if self.params.solution_field else [])

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        problems = text_column(batch, p.text_field).to_pylist()
        solutions = text_column(batch, p.solution_field).to_pylist() if p.solution_field else [""] * len(problems)
        steps = np.array([len([s for s in _STEP.split(sol.strip()) if s.strip()]) for sol in solutions], np.int64)
        raw = np.array([effort(q, sol, n) for q, sol, n in zip(problems, solutions, steps, strict=True)], float)
        score = np.round(raw / (raw + p.scale), 4)
        for name, arr in (("difficulty", pa.array(score)), ("solution_steps", pa.array(steps))):
            batch = put_column(batch, name, arr)
        return batch


def effort(problem: str, solution: str, steps: int) -> float:
    """Steps count most, then operations; numbers in the problem and algebra add a little."""
    ops = len(_OPS.findall(solution or problem))
    nums = len(_NUM.findall(problem))
    algebra = 1.0 if _VAR.search(problem) or _VAR.search(solution) else 0.0
    return max(steps - 1, 0) * 1.0 + ops * 0.5 + max(nums - 2, 0) * 0.25 + algebra * 2.0
