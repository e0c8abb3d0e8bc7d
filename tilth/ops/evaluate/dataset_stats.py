"""Mark a point in a recipe where dataset-level statistics are measured.

Why a pass-through Mapper: dataset statistics need the whole step output at once (distinct n-grams over
the dataset, duplicates across parts, one random sample for embedding dispersion), which per-part
workers cannot see. So this operator leaves every row as it is, and its params say *what* to measure;
the run report measures it with DuckDB over this step's view (streaming) once per step version and
stores the result as JSON in the step's scratch dir (see tilth/report/stats.py).
"""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Mapper, Params
from tilth.ops.registry import register


class DatasetStatsParams(Params):
    text_field: str = Field("text", description="Column whose lengths and diversity are measured.")
    input_field: str | None = Field(None, description="Instruction/prompt column: its lengths are reported too.")
    output_field: str | None = Field(None, description="Response column: its lengths are reported too.")
    domain_field: str | None = Field(
        "source", description="Column whose values are counted: the distribution (breakdown) of rows by domain, "
        "task or label (skipped if absent)."
    )
    loose_labels: bool = Field(
        False, description="Labels of domain_field typed by hand are one where only case or extra spaces differ "
        "(' Northside', 'NORTHSIDE', 'Northside'), shown in their commonest spelling."
    )
    top_domains: int = Field(20, ge=1, le=200, description="Domains listed by name; the rest are summed as 'other'.")
    diversity_sample: int = Field(
        10000, ge=0, description="Rows (random, seeded) over which distinct-1/2 are counted; 0 = all rows."
    )
    embed_sample: int = Field(
        0, ge=0, le=2000,
        description="Rows embedded with MiniLM for embedding dispersion (mean cosine distance to the "
        "centroid); 0 = skip (it costs CPU time).",
    )
    seed: int = Field(0, description="Seed of the random samples.")


@register
class DatasetStats(Mapper):
    name = "dataset_stats"
    category = "evaluate"
    description = """Measure dataset-level statistics of this point of the recipe (rows are not changed):
    total samples, mean/std of text (and input/output) lengths, domain distribution, exact and normalised
    duplication rate, distinct-1/distinct-2 and, optionally, embedding dispersion. They appear in the run
    report and as JSON in the step's `_scratch/dataset_stats.json`."""
    examples = (
        "report dataset statistics",
        "give me an overview of the data",
        "summarise the corpus: counts, lengths, domains",
        "profile the dataset",
        "show the distribution of lengths and sources",
        "compute basic stats for the dataset",
        "how many samples do we have and how long are they?",
        "what is the duplication rate of the dataset?",
        "measure overall diversity with distinct-1 and distinct-2",
        "what's the domain mix of the data?",
        "give me a breakdown of the values in one column",
        "how are the rows spread over the categories of a column?",
        "describe the dataset after cleaning",
        "report mean and std of prompt and response lengths across the dataset",
        "what does our data look like overall?",
        "check how spread out the dataset is in embedding space",
        "data profiling report",
        "datset summary stats",
        "dataset-wide statistics: size, lengths, duplication",
        "compute dataset-level diversity metrics",
        "how many rows are in the dataset?",
        "summary statistics of the whole corpus",
        "overall dataset statistics report",
        "how many rows are there per category?",
        "count the examples in each label",
        "how varied is the vocabulary across the whole dataset?",
    )
    stage = 90
    inputs = ("{text_field}",)
    outputs = ()
    Params = DatasetStatsParams

    def map(self, batch: pa.Table) -> pa.Table:
        return batch
