"""Row selection shared by rewriting operators and filters: apply only where `where_min <= where_column <=
where_max`, or where `where_column` is one of `where_values` (with `where_not`: everywhere else).

One definition for the LLM and rule-based operators and the filters, so "only where rating is 1 or 2" and
"leave the Photography department alone" mean the same rows for every operator the agent might pick. A
filter leaves the rows it does not apply to in place: they are kept.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from tilth.ops.base import Params
from tilth.ops.numbers import as_numbers, one_of


class Scope(Params):
    """The rows a step applies to; every other row passes through it unchanged (a filter keeps it)."""

    where_column: str | None = Field(None, description="Apply only to rows whose `where_column` >= `where_min` "
                                                       "(e.g. llm_difficulty after llm_annotate).")
    where_min: float | None = Field(None, description="Threshold for `where_column`: apply if value >= where_min.")
    where_max: float | None = Field(None, description="Upper bound for `where_column`: apply if value <= where_max.")
    where_values: list[Any] | None = Field(None, description="Apply only to rows whose `where_column` is one of "
                                           "these (a label: origin is synthetic).")
    where_not: bool = Field(False, description="Apply to every row except the selected ones (\"leave the Photography "
                                               "department alone\"); rows without a where_column value are not selected.")
    where_min_exclusive: bool = Field(False, description="where_min itself is not selected.")
    where_max_exclusive: bool = Field(False, description="where_max itself is not selected.")
    # whether a where_column needs a bound or values (LLM operators accept one alone: every row that has it)
    scope_needs_bound: ClassVar[bool] = True

    @model_validator(mode="after")
    def _where(self):
        check_where(self, require_bound=self.scope_needs_bound)
        return self


def where_mask(batch: pa.Table, params) -> np.ndarray:
    """Rows an operator applies to: all, or those whose `where_column` lies in [where_min, where_max]
    (either bound may be unset; nulls are never selected), or with `where_not` all but those."""
    selected = _selected(batch, params)
    return ~selected if getattr(params, "where_not", False) and getattr(params, "where_column", None) else selected


def _selected(batch: pa.Table, params) -> np.ndarray:
    col = getattr(params, "where_column", None)
    lo, hi = getattr(params, "where_min", None), getattr(params, "where_max", None)
    if col is None:
        return np.ones(batch.num_rows, dtype=bool)
    if col not in batch.column_names:
        raise KeyError(f"where_column {col!r} not in batch (columns: {', '.join(batch.column_names)})")
    labels = getattr(params, "where_values", None)
    if labels:  # "only for rows whose origin is synthetic": value_filter's matching (numbers as numbers)
        column = batch.column(col)
        return one_of(column, labels) & ~np.asarray(column.is_null(), dtype=bool)
    values, _ = as_numbers(batch.column(col))  # "three" in a rating column: not selected, never an error
    with np.errstate(invalid="ignore"):
        mask = values >= (lo if lo is not None else -np.inf)
        if lo is not None and getattr(params, "where_min_exclusive", False):
            mask &= values > lo
        if hi is not None:
            mask &= (values < hi) if getattr(params, "where_max_exclusive", False) else (values <= hi)
    return mask & ~np.isnan(values)


def check_where(params, require_bound: bool = False) -> None:
    """A bound needs a column; with `require_bound` a column needs a bound too (without one, an LLM
    operator applies to every row whose column is set)."""
    bounds = (getattr(params, "where_min", None), getattr(params, "where_max", None))
    if getattr(params, "where_not", False) and params.where_column is None:
        raise ValueError("where_not needs where_column and the rows to leave alone (where_values or a bound)")
    if getattr(params, "where_values", None):
        if any(b is not None for b in bounds):
            raise ValueError("set where_values or where_min/where_max, not both")
        if params.where_column is None:
            raise ValueError("where_values needs where_column")
        return
    for side, bound in (("min", bounds[0]), ("max", bounds[1])):
        if getattr(params, f"where_{side}_exclusive", False) and bound is None:
            raise ValueError(f"where_{side}_exclusive needs where_{side}")
    no_bound = all(b is None for b in bounds)
    if params.where_column is None and not no_bound:
        raise ValueError("where_min/where_max need where_column: set where_column and where_min (and/or where_max)")
    if require_bound and params.where_column is not None and no_bound:
        raise ValueError("set where_column and where_min (and/or where_max) together")
