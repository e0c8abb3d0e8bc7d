"""Keep a random share of the rows: "take a 10% sample", "subsample half the data at random".

Each row is kept on its own draw, a hash of its `_id` and the seed, so the sample is the same on every
rerun, on any number of parts or workers, and sampling again with the same seed keeps the same rows. Every
group of rows (a domain, a seniority level) keeps about `fraction` of itself; exact counts per group would
need a global pass, which this does not make.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Filter
from tilth.ops.process.arrow_np import to_numpy
from tilth.ops.registry import register
from tilth.ops.where import Scope


class SampleParams(Scope):
    fraction: float = Field(gt=0.0, le=1.0, description="Share of the rows to keep, each row on its own draw "
                            "(0.1: about 10%).")
    seed: int = Field(0, ge=0, description="Seed of the draws: another seed, another sample.")


@register
class SampleFilter(Filter):
    name = "sample_filter"
    category = "process"
    description = """Keep a random `fraction` of the rows (each row kept on its own seeded draw from its
    `_id`: the same sample on every rerun; every group keeps about that share). Stores the draw in
    `sample_draw` (0 to 1; kept if below fraction)."""
    examples = (
        "take a random 10% sample of the rows",
        "subsample half of the data at random",
        "keep a random quarter of the documents",
        "downsample the dataset to 20 percent",
        "I only need a random subset, about 5% of it",
        "sample 30% of the rows with seed 7",
        "random sample of the postings",
        "thin the corpus out randomly to a third",
    )
    inputs = ()
    outputs = ("sample_draw",)
    # after the cleaning filters and the deduplicators (50), before generators (70): a sample of the clean rows
    # ("remove near duplicates, then take a random 40%" sampled first, so the share of distinct rows was off)
    stage = 60
    Params = SampleParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        return {"sample_draw": draws(to_numpy(batch.column("_id")).astype(np.int64), self.params.seed)}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        u = scores.column("sample_draw").to_numpy()
        keep = u < self.params.fraction
        reason = f"not in the {self.params.fraction:g} sample (seed {self.params.seed})"
        return keep, [None if k else reason for k in keep]


def draws(ids: np.ndarray, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per id: SplitMix64 of the id mixed with the seed (vectorised)."""
    with np.errstate(over="ignore"):
        z = ids.view(np.uint64) + np.uint64(0x9E3779B97F4A7C15) * np.uint64(seed + 1)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
