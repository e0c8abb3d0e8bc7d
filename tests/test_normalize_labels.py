"""normalize_labels: one spelling per label (trial 60: 15 'return reasons' that were 6 spelled several ways, and
a request to fix their capitalisation went to normalize, which rewrote the comments instead)."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilth.ops import build
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace


def _tidy(params: dict, column: list) -> list:
    op = build("normalize_labels", params)
    out = op.map(pa.table({"_id": list(range(len(column))), "reason": pa.array(column, pa.string()),
                           "n": list(range(len(column)))}))
    assert out.column("n").to_pylist() == list(range(len(column)))  # other columns untouched
    return out.column("reason").to_pylist()


def test_spaces_and_case_give_one_spelling_and_blank_labels_are_missing():
    raw = [" Defective", "defective ", "DEFECTIVE", "wrong  size", "Wrong Size", "", "   ", None, "Caf\u0065\u0301"]
    assert _tidy({"columns": ["reason"]}, raw) == [
        "defective", "defective", "defective", "wrong size", "wrong size", None, None, None, "caf\u00e9"]
    assert _tidy({"columns": ["reason"], "case": "title", "blank_to_null": False}, raw[:6]) == [
        "Defective", "Defective", "Defective", "Wrong Size", "Wrong Size", ""]
    assert _tidy({"columns": ["reason"], "case": "keep"}, [" Wrong  Size "]) == ["Wrong Size"]


@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=30))
def test_tidying_twice_changes_nothing_more(labels):
    once = _tidy({"columns": ["reason"]}, labels)
    assert _tidy({"columns": ["reason"]}, once) == once


def test_a_column_that_holds_no_text_is_named_before_the_run():
    op = build("normalize_labels", {"columns": ["n", "reason"]})
    problems = op.check_sample(pa.table({"n": [1, 2], "reason": ["a", "b"]}))
    assert len(problems) == 1 and problems[0].startswith("'n' holds int64, not text labels")
    with pytest.raises(ValueError):
        build("normalize_labels", {"columns": []})


def test_in_a_recipe_the_counts_per_label_are_per_tidied_label(tmp_path):
    rows = [{"text": f"return {i}", "reason": r} for i, r in enumerate(
        ["Defective", " defective", "DEFECTIVE ", "Wrong size", "wrong  size", None, " "])]
    path = tmp_path / "returns.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = Recipe.model_validate({"name": "r", "input": {"path": str(path), "text": "text"},
                                    "steps": [{"normalize_labels": {"columns": ["reason"]}},
                                              {"value_filter": {"column": "reason", "keep_null": False}}]})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    assert [s.rows_out for s in res.steps[-2:]] == [7, 5]
    counts = Workspace(tmp_path / "ws").sql("SELECT reason, count(*) AS n FROM r GROUP BY reason ORDER BY reason").to_pylist()
    assert counts == [{"reason": "defective", "n": 3}, {"reason": "wrong size", "n": 2}]
