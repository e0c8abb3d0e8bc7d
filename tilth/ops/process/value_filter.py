"""Keep rows by the value of one column: a range for numbers, a set of allowed (or unwanted) values for anything.

Scores other operators wrote (n_tokens, difficulty, llm_quality, lang_score) and columns the data came
with (stars, rating, topic) are only useful if a pipeline can act on them; this is the one filter that
reads any column, so "drop every document over 1,000 tokens" or "remove reviews with fewer than 3 stars"
is a step, not a script.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import Field, field_validator, model_validator

from tilth.ops.base import Filter
from tilth.ops.dates import as_datetimes, bound_us, is_date_only, parse_date
from tilth.ops.numbers import NUMBER, as_numbers, one_of
from tilth.ops.registry import register
from tilth.ops.where import Scope


class ValueParams(Scope):
    column: str = Field(description="Column whose value decides (any column: from the data or an earlier step).")
    min: float | str | None = Field(None, description="Keep if value >= min: a number, or an ISO date/time "
                                    "such as 2026-11-05 to compare the column as dates.")
    max: float | str | None = Field(None, description="Keep if value <= max: a number, or an ISO date/time (a "
                                    "date alone keeps that whole day).")
    min_exclusive: bool = Field(False, description="min itself is out: keep if value > min (\"above 0.3\").")
    max_exclusive: bool = Field(False, description="max itself is out: keep if value < max (\"below 0.3\").")
    drop_range: bool = Field(False, description="min and max say which rows to drop, not which to keep: drop if "
                             "min <= value <= max (\"drop rows created in Q4 2023\"); missing and unreadable values stay.")
    values: list[Any] | None = Field(None, description="Keep if the value is one of these.")
    drop_values: list[Any] | None = Field(None, description="Drop if the value is one of these (\"remove the "
                                          "billing tickets\").")
    loose_labels: bool = Field(False, description="Compare text values in values / drop_values with case and extra "
                               "spaces ignored ('Grocery Store  ' is 'grocery store'): labels typed by hand.")
    contains: list[str] | None = Field(None, description="Keep if the value (as text) holds one of these, case "
                                       "ignored (\"keep the pages whose url has /blog/\").")
    drop_contains: list[str] | None = Field(None, description="Drop if the value (as text) holds one of these, case "
                                            "ignored (\"drop rows whose link has /de/ or tickets in it\").")
    keep_null: bool | None = Field(None, description="Keep rows whose value is missing. Default: dropped when "
                                   "min, max or values is set (a missing value is in no range), kept when only "
                                   "drop_values is (a missing value is none of them).")

    @field_validator("min", "max", mode="before")
    @classmethod
    def _number_or_date(cls, v, info):
        """"5" is the number 5; other text must be an ISO date."""
        if isinstance(v, (dt.date, dt.datetime)):  # a YAML date, unquoted
            return v.isoformat()
        if not isinstance(v, str):
            return v
        if re.match(NUMBER, v):
            return float(v)
        try:
            parse_date(v)
        except ValueError:
            raise ValueError(f"{info.field_name} {v!r} is neither a number nor an ISO date such as 2026-11-05") from None
        return v.strip()

    @model_validator(mode="after")
    def _some_rule(self):
        if self.min is None and self.max is None and not self.values and not self.drop_values and not self.contains \
                and not self.drop_contains and self.keep_null is not False:
            raise ValueError("set min, max, values, drop_values, contains or drop_contains (or keep_null: false to drop "
                             "rows without a value): with none of them every row would be kept")
        if any(not s for s in (self.contains or []) + (self.drop_contains or [])):
            raise ValueError("contains / drop_contains hold non-empty texts (an empty text is in every value)")
        if self.values and self.drop_values and set(map(repr, self.values)) & set(map(repr, self.drop_values)):
            raise ValueError(f"values {self.values} and drop_values {self.drop_values} share a value")
        if self.drop_range and (self.min is None or self.max is None or self.values):
            raise ValueError("drop_range needs both min and max (the span to drop) and no values; to drop one side, "
                             "keep the other (drop before D: min D)")
        if self.min_exclusive and self.min is None or self.max_exclusive and self.max is None:
            raise ValueError("min_exclusive / max_exclusive need the bound they exclude (min / max)")
        if (self.min_exclusive or self.max_exclusive) and self.dates:
            raise ValueError("min_exclusive / max_exclusive are for numbers; for dates give the day after (or before)")
        kinds = {isinstance(v, str) for v in (self.min, self.max) if v is not None}
        if len(kinds) > 1:
            raise ValueError(f"min ({self.min!r}) and max ({self.max!r}) must both be numbers or both be dates")
        if self.min is not None and self.max is not None:
            if self.dates and bound_us(self.max, upper=True) <= bound_us(self.min, upper=False):
                raise ValueError(f"max ({self.max}) must be on or after min ({self.min})")
            if not self.dates and (self.max < self.min or self.max == self.min and (self.min_exclusive or self.max_exclusive)):
                raise ValueError(f"max ({self.max}) must be >= min ({self.min}), and > min if either is exclusive")
        return self

    @property
    def drops_null(self) -> bool:
        """Whether a missing value drops the row (see keep_null)."""
        if self.keep_null is not None:
            return not self.keep_null
        return not self.drop_range and (self.min is not None or self.max is not None or bool(self.values)
                                        or bool(self.contains))

    @property
    def dates(self) -> bool:
        """The bounds are dates: the column is compared as dates."""
        return isinstance(self.min, str) or isinstance(self.max, str)


@register
class ValueFilter(Filter):
    name = "value_filter"
    category = "process"
    description = """Keep rows whose value in `column` lies in [min, max] (an end left out if min_exclusive /
    max_exclusive) or is one of `values`, or drop
    rows whose value is one of `drop_values` (or, with drop_range, lies in [min, max]); `contains` / `drop_contains`
    keep or drop by a part of the value (a path in a URL). Works on any column, including scores written by earlier steps
    (n_tokens, difficulty, llm_quality, lang_score); rows with a missing value are dropped by a range or
    `values` and kept by `drop_values` alone, unless keep_null says otherwise."""
    examples = (
        "remove reviews with fewer than 3 stars",
        "keep only rows whose rating is at least 4",
        "drop every document with more than 1000 tokens",
        "keep only the tickets whose topic is billing",
        "drop rows whose difficulty score is below 0.3",
        "throw away the easy problems by difficulty score, keep the hard ones",
        "keep rows where the score column is above 0.8",
        "filter rows by the value of a column",
        "only keep rows whose source field equals wikipedia",
        "drop records whose label is spam",
        "keep products with a price between 10 and 100",
        "keep only pages crawled after 2026-01-01 by their crawl date",
        "drop rows whose date is before 2025-06-30",
        "filter on the lang_score column written earlier",
        "keep rows whose llm_quality is 4 or more",
        "drop rows where that field is missing",
        "select rows whose category is one of a few values",
        "where rating >= 4",
        "filter rows on a numeric column's range",
        "keep rows whose category is in a list of values",
        "drop reviews rated below 3 stars",
        "keep only 4- and 5-star reviews",
        "remove the tickets whose topic is billing",
        "exclude rows labelled spam or ads",
        "drop rows created in the last quarter of 2023",
        "remove readings whose score is between 0.4 and 0.6",
        "drop rows whose url contains /de/",
        "keep only the rows whose title mentions 'refund'",
    )
    inputs = ("{column}",)
    Params = ValueParams
    thresholds = (("{column}", "min", ">="), ("{column}", "max", "<="))

    def threshold_values(self):
        """Date bounds are not numbers on a score axis: calibration and the report's histograms skip them."""
        return [] if self.params.dates else super().threshold_values()

    def check_sample(self, sample: pa.Table) -> list[str]:
        """Date bounds on a column of numbers (or number bounds on a column of dates) would drop every row."""
        p = self.params
        if p.column not in sample.column_names or (p.min is None and p.max is None):
            return []
        col = sample.column(p.column).combine_chunks()
        present = ~col.is_null().to_numpy(zero_copy_only=False)
        if not present.any():
            return []
        example = next(v for v, ok in zip(col.to_pylist(), present, strict=True) if ok)
        bounds = ", ".join(f"{k}={v if isinstance(v, str) else f'{v:g}'}" for k, v in (("min", p.min), ("max", p.max))
                           if v is not None)
        first = "the first record" if len(col) == 1 else f"the first {len(col)} records"
        seen = f"{p.column!r} holds no {{}} in {first} (e.g. {example!r})"
        if p.dates:
            if as_datetimes(col)[1][present].all():
                return [f"{seen.format('dates')}, so the date bound {bounds} would drop every row; "
                        "give a number bound or pick a column of dates"]
            return []
        if as_numbers(col)[1][present].all():
            dates = not as_datetimes(col)[1][present].any()
            return [f"{seen.format('numbers')}, so the number bound {bounds} would drop every row; "
                    + ("write the bound as an ISO date such as 2026-11-05" if dates else "pick a column of numbers")]
        return []

    def score(self, batch: pa.Table) -> dict[str, pa.ChunkedArray]:
        if self.params.column not in batch.column_names:
            raise KeyError(f"column {self.params.column!r} not in batch (columns: {', '.join(batch.column_names)})")
        return {self.params.column: batch.column(self.params.column)}  # the value itself is the score

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        col = scores.column(p.column)
        n = scores.num_rows
        reasons: list[str | None] = [None] * n
        null = col.is_null().to_numpy(zero_copy_only=False)
        keep = np.ones(n, dtype=bool)
        checks = []
        if p.min is not None or p.max is not None:
            bad, below, above = _beyond(p, col, null)
            if p.drop_range:  # both bounds are set (checked by ValueParams); a value that is no date/number is in no span
                checks.append((f"{p.column} in [{_bound(p.min)}, {_bound(p.max)}]", ~null & ~bad & ~below & ~above))
            else:
                checks.append((f"{p.column} is not a {'date' if p.dates else 'number'}", bad))  # "five", "n/a", NaN
                if below is not None:
                    said = f"before {p.min}" if p.dates else f"{'<=' if p.min_exclusive else '<'} min={p.min:g}"
                    checks.append((f"{p.column} {said}", ~null & ~bad & below))
                if above is not None:
                    said = f"after {p.max}" if p.dates else f"{'>=' if p.max_exclusive else '>'} max={p.max:g}"
                    checks.append((f"{p.column} {said}", ~null & ~bad & above))
        if p.values:
            allowed = _labels_in(col, p.values) if p.loose_labels else one_of(col, p.values)
            checks.append((f"{p.column} not in values", ~null & ~allowed))
        if p.drop_values:
            gone = _labels_in(col, p.drop_values) if p.loose_labels else one_of(col, p.drop_values)
            checks.append((f"{p.column} in drop_values", ~null & gone))
        if p.contains:
            checks.append((f"{p.column} holds none of contains", ~null & ~_holds(col, p.contains)))
        if p.drop_contains:
            checks.append((f"{p.column} holds one of drop_contains", ~null & _holds(col, p.drop_contains)))
        if p.drops_null:  # (a NaN counts as missing here too: "drop rows with no CSAT")
            missing = null if checks else null | _nan(col)
            checks.append((f"{p.column} is missing", missing))
        for reason, bad in checks:
            for i in np.flatnonzero(bad & keep):
                reasons[i] = reason
            keep &= ~bad
        return keep, reasons


def _beyond(p: ValueParams, col: pa.ChunkedArray, null: np.ndarray) -> tuple[np.ndarray, np.ndarray | None,
                                                                       np.ndarray | None]:
    """(values that cannot be compared, below min, above max) as masks; None for a bound not set. Dates
    compare as dates (a date alone as max covers that whole day), numbers as numbers (an end left out if
    exclusive); a NaN the file holds is no number (it compares false with every bound: it would pass)."""
    if p.dates:
        us, bad = as_datetimes(col)
        below = us < bound_us(p.min, upper=False) if p.min is not None else None
        above = None
        if p.max is not None:
            upper = bound_us(p.max, upper=True)
            above = us >= upper if is_date_only(p.max) else us > upper
        return bad, below, above
    num, not_number = as_numbers(col)
    with np.errstate(invalid="ignore"):
        below = (num <= p.min if p.min_exclusive else num < p.min) if p.min is not None else None
        above = (num >= p.max if p.max_exclusive else num > p.max) if p.max is not None else None
    return not_number | (np.isnan(num) & ~null), below, above


def _labels_in(col: pa.ChunkedArray, values: list) -> np.ndarray:
    """one_of with text compared loosely: case, surrounding and doubled spaces ignored (numbers as one_of)."""
    import pyarrow.compute as pc

    if not all(isinstance(v, str) for v in values) or pa.types.is_nested(col.type):
        return one_of(col, values)
    text = col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
    text = pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " ")))
    wanted = pa.array(sorted({" ".join(v.split()).lower() for v in values}), pa.string())
    return pc.fill_null(pc.is_in(text, value_set=wanted), False).to_numpy(zero_copy_only=False)


def _holds(col: pa.ChunkedArray, parts: list[str]) -> np.ndarray:
    """Whether each value, as text, holds one of `parts` (case ignored); a missing value holds none."""
    import pyarrow.compute as pc

    text = pc.utf8_lower(col.cast(pa.string()) if not pa.types.is_string(col.type) else col)
    out = np.zeros(len(col), dtype=bool)
    for part in parts:
        out |= pc.fill_null(pc.match_substring(text, part.lower()), False).to_numpy(zero_copy_only=False)
    return out


def _bound(v: float | str) -> str:
    return v if isinstance(v, str) else f"{v:g}"


def _nan(col) -> np.ndarray:
    """NaN in a column of floats (a CSV's empty cell read as a number)."""
    if pa.types.is_floating(col.type):
        return np.isnan(col.to_numpy(zero_copy_only=False).astype(float)) & ~col.is_null().to_numpy(zero_copy_only=False)
    return np.zeros(len(col), dtype=bool)
