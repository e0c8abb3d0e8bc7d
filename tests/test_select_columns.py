"""select_columns: drop, keep or rename columns; every row and `_id` stay, and validation follows the schema."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from tilth.exec.tasks import apply_mapper
from tilth.ops import build
from tilth.ops.base import OperatorParamError
from tilth.pipeline import Recipe, run_recipe, validate


def table():
    return pa.table({"_id": pa.array([1, 2], pa.int64()), "text": ["a b", "c"], "subject": ["x", "y"],
                     "rating": [4, 5]})


def test_drop_keep_and_rename():
    out, lineage = apply_mapper(build("select_columns", {"drop_columns": ["subject"],
                                                         "rename_columns": {"rating": "stars"}}), table())
    assert out.to_pylist() == [{"_id": 1, "text": "a b", "stars": 4}, {"_id": 2, "text": "c", "stars": 5}]
    assert lineage.num_rows == 0  # no row changed: only the schema did
    out, _ = apply_mapper(build("select_columns", {"keep_columns": ["rating"], "rename_columns": {"text": "body"}}),
                          table())
    assert out.column_names == ["_id", "body", "rating"]


def test_the_schema_after_the_step_is_known():
    op = build("select_columns", {"keep_columns": ["text"], "rename_columns": {"rating": "stars"}})
    assert op.removed_columns(["text", "subject", "rating"]) == ["rating", "subject"]
    assert op.output_columns() == ["stars"] and op.input_columns() == ["text", "rating"]


@pytest.mark.parametrize("params, says", [
    ({}, "set keep_columns, drop_columns or rename_columns"),
    ({"keep_columns": ["a"], "drop_columns": ["b"]}, "not both"),
    ({"drop_columns": ["_id"]}, "belong to Tilth"),
    ({"rename_columns": {"a": "c", "b": "c"}}, "distinct, non-empty"),
])
def test_bad_params_are_refused(params, says):
    with pytest.raises(OperatorParamError, match=says):
        build("select_columns", params)


def test_a_missing_column_or_a_clash_fails_with_its_name_unless_missing_is_ok():
    with pytest.raises(KeyError, match="no column 'nope'"):
        build("select_columns", {"drop_columns": ["nope"]}).map(table())
    with pytest.raises(ValueError, match="cannot rename to 'text'"):
        build("select_columns", {"rename_columns": {"rating": "text"}}).map(table())
    out = build("select_columns", {"drop_columns": ["nope", "subject"], "missing_ok": True}).map(table())
    assert out.column_names == ["_id", "text", "rating"]


def test_validation_and_a_run_follow_the_new_schema(tmp_path):
    data = tmp_path / "d.jsonl"
    rows = [{"body": f"text {i}", "subject": "s", "rating": i % 3} for i in range(6)] + [{"body": "text 0", "subject": "s", "rating": 0}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    base = {"name": "shape", "input": {"path": str(data), "text": "body"}}
    bad = Recipe(**base, steps=[{"op": "select_columns", "params": {"rename_columns": {"text": "body"}}},
                                {"op": "exact_dedup"}])
    assert [p.message for p in validate(bad)[2]] == ["reads column 'text', which nothing upstream produces"]
    good = Recipe(**base, steps=[{"op": "exact_dedup"},
                                 {"op": "select_columns", "params": {"drop_columns": ["subject"],
                                                                     "rename_columns": {"rating": "stars"}}},
                                 {"op": "value_filter", "params": {"column": "stars", "min": 1}}],
                  output={"export": str(tmp_path / "out.jsonl")})
    assert validate(good)[2] == []
    res = run_recipe(good, tmp_path / "ws", progress=False)
    out = [json.loads(line) for line in open(tmp_path / "out.jsonl")]
    assert [s.rows_out for s in res.steps] == [7, 6, 6, 4] and sorted(out[0]) == ["_id", "body", "stars"]  # its own name


def test_renaming_onto_a_column_that_stays_is_a_validation_problem(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"text": "a", "lang": "en", "rating": 4}) + "\n")
    r = Recipe(name="clash", input={"path": str(data)},
               steps=[{"op": "select_columns", "params": {"rename_columns": {"rating": "lang"}}}])
    assert [p.message for p in validate(r)[2]] == ["renames a column to 'lang', which already exists and stays"]
    ok = Recipe(name="swap", input={"path": str(data)},
                steps=[{"op": "select_columns", "params": {"drop_columns": ["lang"], "rename_columns": {"rating": "lang"}}}])
    assert validate(ok)[2] == []
