"""Small operators and data for the agent tests, registered only while a test needs them.

The agent must work with whatever the registry holds, so its tests plan against a fixed set: the core
`exact_dedup` and `length_filter` plus these, which stand in for quality filters, difficulty scorers,
augmenters and statistics operators that other modules provide.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from tilth.ops import registry
from tilth.ops.base import Filter, Generator, Mapper, Params
from tilth.storage.ids import derived_ids


class TQualityParams(Params):
    text_field: str = Field("text", description="Column holding the text.")
    min_alpha: float = Field(0.9, ge=0, le=1, description="Keep if the share of alphabetic words >= this.")


class TQuality(Filter):
    name = "t_quality"
    category = "process"
    description = "Quality filter for tests: drops low-quality rows whose share of alphabetic words is low."
    inputs = ("{text_field}",)
    outputs = ("t_alpha",)
    thresholds = (("t_alpha", "min_alpha", ">="),)
    Params = TQualityParams

    def score(self, batch):
        words = [t.split() for t in batch.column(self.params.text_field).to_pylist()]
        return {"t_alpha": np.array([sum(w.isalpha() for w in ws) / len(ws) if ws else 0.0 for ws in words])}

    def keep(self, scores):
        a = scores.column("t_alpha").to_numpy()
        mask = a >= self.params.min_alpha
        return mask, [None if k else f"t_alpha={v:.2f}" for k, v in zip(mask, a, strict=True)]


class TDifficultyParams(Params):
    text_field: str = Field("text", description="Column holding the problem.")


class TDifficulty(Mapper):
    name = "t_difficulty"
    category = "evaluate"
    description = "Difficulty score for tests: number of digits in the problem, written to t_difficulty."
    inputs = ("{text_field}",)
    outputs = ("t_difficulty",)
    Params = TDifficultyParams

    def map(self, batch):
        n = [float(sum(ch.isdigit() for ch in t)) for t in batch.column(self.params.text_field).to_pylist()]
        return batch.append_column("t_difficulty", pa.array(n))


class TAugmentParams(Params):
    text_field: str = Field("text", description="Column holding the text to augment.")
    n_copies: int = Field(2, ge=1, le=8, description="New rows per selected row.")
    where_column: str | None = Field(None, description="Augment only rows whose where_column >= where_min.")
    where_min: float | None = Field(None, description="Threshold for where_column.")

    @model_validator(mode="after")
    def _pair(self):
        if (self.where_column is None) != (self.where_min is None):
            raise ValueError("where_column and where_min must be set together")
        return self


class TAugment(Generator):
    name = "t_augment"
    category = "rewrite"
    description = "Augment data for tests: adds upper-cased variants of selected rows as new rows."
    inputs = ("{text_field}",)
    outputs = ("{text_field}", "_parent_id")
    Params = TAugmentParams

    def generate(self, batch):
        p = self.params
        idx = np.arange(batch.num_rows)
        if p.where_column:
            idx = np.flatnonzero(pc.greater_equal(batch.column(p.where_column), p.where_min).to_numpy(zero_copy_only=False))
        parts = []
        for k in range(p.n_copies):
            new = batch.take(pa.array(idx, pa.int64()))
            parents = new.column("_id").to_numpy()
            new = new.set_column(new.column_names.index("_id"), "_id", pa.array(derived_ids(parents, k + 1), pa.int64()))
            new = new.set_column(new.column_names.index(p.text_field), p.text_field, pc.utf8_upper(new.column(p.text_field)))
            parts.append(new.append_column("_parent_id", pa.array(parents, pa.int64())))
        return pa.concat_tables(parts)



class TStats(Mapper):
    name = "t_stats"
    stage = 90  # like dataset_stats: statistics describe the final data
    category = "evaluate"
    description = "Dataset statistics for tests: counts rows (rows are not changed)."

    def map(self, batch):
        return batch


class TBrokenParams(Params):
    text_field: str = Field("text", description="Column holding the text.")


class TBroken(Mapper):
    name = "t_broken"
    category = "process"
    description = "Normalize text for tests, but fails on every real row (to test dry runs)."
    inputs = ("{text_field}",)
    Params = TBrokenParams

    def map(self, batch):
        raise RuntimeError("t_broken cannot handle real rows")


TEST_OPS = (TQuality, TDifficulty, TAugment, TStats, TBroken)
CORE = {"exact_dedup", "length_filter"}
NAMES = {c.name for c in TEST_OPS} | CORE


@contextlib.contextmanager
def registered_test_ops():
    """Register the test operators for the duration of a block, then remove them again."""
    for cls in TEST_OPS:
        registry.register(cls)
    try:
        yield NAMES
    finally:
        for cls in TEST_OPS:
            registry._REGISTRY.pop(cls.name, None)


PAPER = ("Prepare a high-quality instruction-tuning dataset for mathematical reasoning. Remove low-quality and "
         "duplicate samples, augment difficult problems, and report basic dataset statistics.")


def agent_env(tmp_path_factory):
    """Body of a module-scoped fixture: (names of the test operators, an offline planner over them, a peek
    at a 40-row math QA file with 4 duplicates and 3 junk rows)."""
    from tilth.agent.eval.mathqa import make_math_qa
    from tilth.agent.offline import OfflinePlanner
    from tilth.agent.peek import peek
    from tilth.agent.skills import Catalogue

    path = tmp_path_factory.mktemp("data") / "math.jsonl"
    make_math_qa(path, n=40, duplicates=4, junk=3)
    with registered_test_ops() as names:
        yield names, OfflinePlanner(Catalogue(use_embeddings=False, only=names)), peek(str(path))
