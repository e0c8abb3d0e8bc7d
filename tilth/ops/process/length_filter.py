"""Keep documents whose length in words or characters lies inside [min, max]."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from tilth.ops.base import Filter
from tilth.ops.process.heuristics_rules import first_failure, gt, lt
from tilth.ops.process.text_utils import char_counts, text_column, word_counts
from tilth.ops.registry import register
from tilth.ops.where import Scope


class LengthParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    unit: Literal["words", "chars"] = Field("words", description="Count whitespace-separated words or characters.")
    min: int = Field(0, ge=0, description="Keep if length >= min.")
    max: int | None = Field(None, ge=0, description="Keep if length <= max (no upper bound if unset).")

    @model_validator(mode="after")
    def _range(self):
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


@register
class LengthFilter(Filter):
    name = "length_filter"
    category = "process"
    description = """Keep documents whose length, counted in whitespace-separated words or in characters,
    is at least `min` and at most `max`. Stores the length in `length_words` or `length_chars`."""
    examples = (
        "remove very short documents",
        "drop texts that are too long",
        "keep documents between 50 and 500 words",
        "filter by length in words or characters",
        "get rid of tiny one-line samples",
        "drop rows with fewer than 20 characters",
        "remove empty or nearly empty entries",
        "remove anything under ten words",
        "skip texts longer than 2000 characters",
        "drop samples shorter than 100 characters",
        "filter out texts that are too short or too long",
        "some answers are just 'ok' or 'thanks', drop those",
        "remove huge records over 100k characters",
        "keep only medium-length reviews",
        "min and max character length filter on the text",
        "cap document length by character count",
        "length filter pls, the short junk has to go",
        "drop overly long documents",
        "filter out rows with too few characters",
        "remove texts that are too short",
        "keep only texts of a reasonable length",
    )
    inputs = ("{text_field}",)
    outputs = ("length_{unit}",)
    Params = LengthParams
    thresholds = (("length_{unit}", "min", ">="), ("length_{unit}", "max", "<="))
    measured_by = "sample_metrics"  # n_words, n_chars

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        text = text_column(batch, self.params.text_field)
        n = word_counts(text) if self.params.unit == "words" else char_counts(text)
        return {f"length_{self.params.unit}": n}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        n = scores.column(f"length_{p.unit}").to_numpy()
        # Reasons name the rule, not the row's value (that is in the scores), so they GROUP BY cleanly.
        # min <= max is validated, so at most one rule fails per row.
        return first_failure([(f"{p.unit} < min={p.min}", lt(n, p.min)), (f"{p.unit} > max={p.max}", gt(n, p.max))],
                             len(n))
