"""value_filter: keep rows by one column's value (range or allowed set), with exact reasons."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tilth.exec.tasks import apply_filter
from tilth.ops import build
from tilth.ops.base import OperatorParamError


def table():
    return pa.table({"_id": pa.array([1, 2, 3, 4, 5], pa.int64()), "stars": pa.array([1, 3, None, 5, 4]),
                     "topic": pa.array(["billing", "returns", "billing", None, "shipping"])})


def test_a_numeric_range_keeps_the_bounds_and_drops_missing_values():
    kept, lineage = apply_filter(build("value_filter", {"column": "stars", "min": 3, "max": 4}), table())
    assert kept.column("_id").to_pylist() == [2, 5]
    assert dict(zip(lineage.column("_id").to_pylist(), lineage.column("reason").to_pylist(), strict=True)) == {
        1: "stars < min=3", 3: "stars is missing", 4: "stars > max=4"}


def test_allowed_values_and_keep_null():
    op = build("value_filter", {"column": "topic", "values": ["billing"], "keep_null": True})
    mask, reasons = op.keep(pa.table(op.score(table())))
    assert np.asarray(mask).tolist() == [True, False, True, True, False]
    assert reasons == [None, "topic not in values", None, None, "topic not in values"]


def test_a_filter_with_no_rule_is_refused():
    with pytest.raises(OperatorParamError, match="set min, max or values"):
        build("value_filter", {"column": "stars"})


def test_a_missing_column_is_named():
    with pytest.raises(KeyError, match="'rating' not in batch"):
        build("value_filter", {"column": "rating", "min": 1}).score(table())


def test_text_that_is_not_a_number_is_dropped_with_its_reason_never_an_error():
    # a CSV's stars column: "5" compares as 5; "one", "" and null cannot be compared
    t = pa.table({"stars": ["5", "one", "", None, " 4 ", "3", "4.5"]})
    op = build("value_filter", {"column": "stars", "min": 4})
    keep, why = op.keep(pa.table(op.score(t)))
    assert keep.tolist() == [True, False, False, False, True, False, True]
    assert why[1:4] == ["stars is not a number", "stars is not a number", "stars is missing"] and why[5] == "stars < min=4"
    op = build("value_filter", {"column": "stars", "min": 4, "keep_null": True})
    keep, why = op.keep(pa.table(op.score(t)))
    assert keep.tolist() == [True, False, False, True, True, False, True] and why[1] == "stars is not a number"


def test_listed_numbers_match_numbers_however_the_column_stores_them():
    t = pa.table({"stars": ["5", "five", " 4 ", None], "n": [5, 1, 4, None]})
    assert build("value_filter", {"column": "stars", "values": [4, 5]}).keep(t)[0].tolist() == [True, False, True, False]
    assert build("value_filter", {"column": "n", "values": ["5"]}).keep(t)[0].tolist() == [True, False, False, False]


def test_a_row_condition_on_text_numbers_selects_the_numbers_and_never_fails():
    from types import SimpleNamespace

    from tilth.ops.where import where_mask

    t = pa.table({"rating": ["1", "three", "2", "", None, "5"]})
    cond = SimpleNamespace(where_column="rating", where_min=None, where_max=2)
    assert where_mask(t, cond).tolist() == [True, False, True, False, False, False]
