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


def test_drop_values_removes_the_named_values_and_keeps_missing_ones_unless_told():
    """"remove the billing tickets": a ticket without a topic is not a billing ticket."""
    op = build("value_filter", {"column": "topic", "drop_values": ["billing", "returns"]})
    keep, why = op.keep(pa.table(op.score(table())))
    assert keep.tolist() == [False, False, False, True, True]
    assert why == ["topic in drop_values", "topic in drop_values", "topic in drop_values", None, None]
    op = build("value_filter", {"column": "topic", "drop_values": ["billing"], "keep_null": False})
    assert op.keep(pa.table(op.score(table())))[0].tolist() == [False, True, False, False, True]
    op = build("value_filter", {"column": "stars", "drop_values": ["1"], "min": 2})  # numbers as numbers; a range drops nulls
    assert op.keep(pa.table(op.score(table())))[0].tolist() == [False, True, False, True, True]
    with pytest.raises(OperatorParamError, match="share a value"):
        build("value_filter", {"column": "topic", "values": ["billing"], "drop_values": ["billing"]})


def test_a_filter_with_no_rule_is_refused():
    with pytest.raises(OperatorParamError, match="set min, max, values, drop_values, contains or drop_contains"):
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


# -- dates ---------------------------------------------------------------------------------------------------


def dated():
    import datetime as dt

    return pa.table({"_id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
                     "crawled": pa.array([dt.datetime(2026, 11, 4, 23, 59), dt.datetime(2026, 11, 5), None,
                                          dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 9, 12), dt.datetime(2026, 11, 6)]),
                     "when": ["2026-11-04", "2026-11-05T00:00:00", "soon", "", None, "2026-11-05T23:30:00+05:00"]})


def reasons_of(op, t):
    kept, lineage = apply_filter(op, t)
    return kept.column("_id").to_pylist(), dict(zip(lineage.column("_id").to_pylist(),
                                                    lineage.column("reason").to_pylist(), strict=True))


def test_a_date_bound_compares_timestamps_and_a_date_alone_covers_its_whole_day():
    kept, why = reasons_of(build("value_filter", {"column": "crawled", "min": "2026-11-02", "max": "2026-11-05"}), dated())
    assert kept == [1, 2] and why == {3: "crawled is missing", 4: "crawled before 2026-11-02",
                                               5: "crawled after 2026-11-05", 6: "crawled after 2026-11-05"}
    kept, _ = reasons_of(build("value_filter", {"column": "crawled", "max": "2026-11-05T00:00:00"}), dated())
    assert kept == [1, 2, 4]  # a time of day is a bound to the second: 23:59 on the 5th is after it


def test_iso_text_dates_with_zones_and_junk_are_compared_or_dropped_with_a_reason():
    kept, why = reasons_of(build("value_filter", {"column": "when", "min": "2026-11-05"}), dated())
    # 23:30 at +05:00 is 18:30 UTC on the 5th: kept; "soon" and "" are not dates; null is missing
    assert kept == [2, 6] and why == {1: "when before 2026-11-05", 3: "when is not a date", 4: "when is not a date",
                                       5: "when is missing"}


def test_date_bounds_are_checked_and_numbers_in_text_stay_numbers():
    import datetime as dt

    assert build("value_filter", {"column": "x", "min": "5"}).params.min == 5.0
    assert build("value_filter", {"column": "x", "min": dt.date(2026, 1, 2)}).params.min == "2026-01-02"  # YAML date
    for bad, says in [({"min": "soonish"}, "neither a number nor an ISO date"),
                      ({"min": "2026-11-05", "max": 3}, "both be numbers or both be dates"),
                      ({"min": "2026-11-05", "max": "2026-11-04"}, "on or after min")]:
        with pytest.raises(OperatorParamError, match=says):
            build("value_filter", {"column": "x", **bad})
    assert build("value_filter", {"column": "x", "min": "2026-11-05", "max": "2026-11-05"}).threshold_values() == []


def test_a_number_column_under_a_date_bound_is_not_a_date():
    kept, why = reasons_of(build("value_filter", {"column": "n", "max": "2026-11-05"}),
                           pa.table({"_id": pa.array([1, 2], pa.int64()), "n": [1, 2]}))
    assert kept == [] and why == {1: "n is not a date", 2: "n is not a date"}


def test_lineage_keeps_dates_as_iso_text():
    import json

    from tilth.ops.base import scores_json

    _, lineage = apply_filter(build("value_filter", {"column": "crawled", "values": ["x"]}), dated().slice(0, 1))
    assert json.loads(lineage.column("scores")[0].as_py()) == {"crawled": "2026-11-04T23:59:00"}
    assert scores_json(pa.table({"d": pa.array([b"\x00"])}), np.array([0])) == ['{"d":"b\'\\\\x00\'"}']


def test_nan_is_not_a_number_inside_any_range():
    """A NaN compared false with both bounds and was kept by min=0, max=10 (found by a hostile-input trial)."""
    t = pa.table({"x": pa.array([1.0, float("nan"), float("inf"), None, 11.0])})
    keep, why = build("value_filter", {"column": "x", "min": 0, "max": 10}).keep(t)
    assert keep.tolist() == [True, False, False, False, False]
    assert why[1:] == ["x is not a number", "x > max=10", "x is missing", "x > max=10"]
    assert build("value_filter", {"column": "x", "min": 0}).keep(t)[0].tolist() == [True, False, True, False, True]


def test_an_exclusive_bound_leaves_the_bound_itself_out():
    """"spam_score below 0.3" on fractions: 0.3 itself goes (on whole numbers the agent moves the bound by one)."""
    t = pa.table({"s": [0.1, 0.3, 0.5, 0.7, None]})
    op = build("value_filter", {"column": "s", "min": 0.1, "max": 0.5, "min_exclusive": True, "max_exclusive": True})
    keep, why = op.keep(pa.table(op.score(t)))
    assert keep.tolist() == [False, True, False, False, False]
    assert why == ["s <= min=0.1", None, "s >= max=0.5", "s >= max=0.5", "s is missing"]
    with pytest.raises(OperatorParamError, match="need the bound"):
        build("value_filter", {"column": "s", "max": 1, "min_exclusive": True})
    with pytest.raises(OperatorParamError, match="for numbers"):
        build("value_filter", {"column": "d", "min": "2024-03-01", "min_exclusive": True})
    with pytest.raises(OperatorParamError, match="> min if either is exclusive"):
        build("value_filter", {"column": "s", "min": 1, "max": 1, "max_exclusive": True})


def test_keep_null_false_alone_drops_rows_without_a_value():
    """"drop chats with no CSAT": no range, no values; a NaN (a CSV's empty cell as a number) is missing too."""
    op = build("value_filter", {"column": "c", "keep_null": False})
    keep, why = op.keep(pa.table(op.score(pa.table({"c": [1.0, None, float("nan"), 4.0]}))))
    assert keep.tolist() == [True, False, False, True] and why == [None, "c is missing", "c is missing", None]


def test_drop_range_drops_the_span_and_keeps_missing_and_unreadable_values():
    """"drop rows created in Q4 2023": the span goes; a row without a date, or with junk, is in no span."""
    kept, why = reasons_of(build("value_filter", {"column": "crawled", "min": "2026-11-02", "max": "2026-11-05",
                                                  "drop_range": True}), dated())
    assert kept == [3, 4, 5, 6] and why == {1: "crawled in [2026-11-02, 2026-11-05]", 2: "crawled in [2026-11-02, 2026-11-05]"}
    kept, why = reasons_of(build("value_filter", {"column": "when", "min": "2026-11-05", "max": "2026-11-05",
                                                  "drop_range": True}), dated())
    assert kept == [1, 3, 4, 5] and set(why) == {2, 6}  # "soon", "" and null stay; 18:30 UTC on the 5th goes
    kept, why = reasons_of(build("value_filter", {"column": "stars", "min": 3, "max": 4, "drop_range": True}), table())
    assert kept == [1, 3, 4] and why == {2: "stars in [3, 4]", 5: "stars in [3, 4]"}
    op = build("value_filter", {"column": "stars", "min": 3, "max": 4, "drop_range": True, "min_exclusive": True,
                                "keep_null": False})
    assert reasons_of(op, table())[0] == [1, 2, 4]
    with pytest.raises(OperatorParamError, match="drop_range needs both min and max"):
        build("value_filter", {"column": "stars", "min": 3, "drop_range": True})


def test_amounts_written_with_a_currency_sign_or_thousands_commas_are_numbers():
    """A CSV's fine column holds "$120.00": it was no number, so "a fine of $100 or more" could not be kept (trial
    23). A sign or code before or after, commas between groups of three; "1,5" stays no number (a decimal comma
    or a list: unclear)."""
    t = pa.table({"fine": ["$120.00", "€1,200", "1,200.50 €", "99 USD", "-£3.5", "1,5", "five", None]})
    keep, why = build("value_filter", {"column": "fine", "min": 100}).keep(t)
    assert keep.tolist() == [True, True, True, False, False, False, False, False]
    assert why[5] == why[6] == "fine is not a number" and why[3] == "fine < min=100"
    from tilth.ops.numbers import as_number  # (one value, read the same way: the planner's sample checks)

    assert [as_number(v) for v in ["$120.00", "1,200.50 €", "1,5", True, 7]] == [120.0, 1200.5, None, None, 7.0]


def test_contains_and_drop_contains_read_a_part_of_the_value_case_ignored():
    # trial 62: "keep all rows except the ones whose link points to ... the German (/de/) part of the site"
    urls = ["https://m.org/de/saal", "https://m.org/en/Tickets", "https://m.org/en/vikings", None]
    batch = pa.table({"_id": [1, 2, 3, 4], "url": urls})

    def kept(params):
        op = build("value_filter", {"column": "url", **params})
        keep, reasons = op.keep(pa.table(op.score(batch)))
        return keep.tolist(), reasons

    assert kept({"drop_contains": ["/DE/", "tickets"]}) == (
        [False, False, True, True], ["url holds one of drop_contains", "url holds one of drop_contains", None, None])
    assert kept({"contains": ["/en/"]}) == ([False, True, True, False],
                                           ["url holds none of contains", None, None, "url is missing"])
    assert kept({"contains": ["/en/"], "keep_null": True})[0] == [False, True, True, True]
    with pytest.raises(ValueError, match="non-empty"):
        build("value_filter", {"column": "url", "contains": [""]})


def test_loose_labels_ignore_case_and_extra_spaces():
    # trials 63-64: 'Grocery Store  ' and ' urban park ' survived the exclusion of their label
    batch = pa.table({"_id": [1, 2, 3, 4, 5], "kind": ["Grocery Store  ", "grocery  store", "Farm", None, "GROCERY STORE"]})
    op = build("value_filter", {"column": "kind", "drop_values": ["Grocery Store"], "loose_labels": True})
    assert op.keep(pa.table(op.score(batch)))[0].tolist() == [False, False, True, True, False]
    op = build("value_filter", {"column": "kind", "drop_values": ["Grocery Store"]})
    assert op.keep(pa.table(op.score(batch)))[0].tolist() == [True, True, True, True, True]
    op = build("value_filter", {"column": "kind", "values": ["farm"], "loose_labels": True})
    assert op.keep(pa.table(op.score(batch)))[0].tolist() == [False, False, True, False, False]
