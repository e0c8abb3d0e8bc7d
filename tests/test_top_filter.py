"""top_filter: the top (or bottom) rows by a column over the whole dataset, not per part, with exact reasons."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.ops import build
from tilth.ops.base import OperatorParamError
from tilth.pipeline import Recipe, run_recipe
from tilth.storage.workspace import Workspace


def _parts(tmp_path, values_per_file):
    """One JSONL file per part: the cut-off must see all of them at once."""
    src = tmp_path / "in"
    src.mkdir()
    i = 0
    for f, values in enumerate(values_per_file):
        lines = []
        for v in values:
            lines.append(json.dumps({"text": f"row {i}", "views": v}))
            i += 1
        (src / f"p{f}.jsonl").write_text("\n".join(lines) + "\n")
    return src


def _run(tmp_path, src, params, executor="local"):
    recipe = Recipe.from_yaml(f"name: top\ninput: {{path: {src}}}\nsteps:\n  - top_filter: {json.dumps(params)}\n")
    result = run_recipe(recipe, workspace=tmp_path / "ws", executor=executor, progress=False)
    ws = Workspace(tmp_path / "ws")
    kept = ws.read("top").column("text").to_pylist()
    why = {r["text"]: r["reason"] for r in ws.sql(
        "SELECT r.text, l.reason FROM lineage l JOIN top__00_read_jsonl r USING (_id)").to_pylist()}
    return result, sorted(kept, key=lambda t: int(t.split()[1])), why


def test_the_cut_off_is_over_all_parts_with_missing_values_dropped_and_not_counted(tmp_path):
    # the three largest sit in one part: a per-part top 30% would keep one row of each part instead
    src = _parts(tmp_path, [[5, 90, 80], [1, None, 70], [2, "n/a", 3, 4]])
    result, kept, why = _run(tmp_path, src, {"column": "views", "fraction": 0.3})
    # 8 rows hold a number: ceil(0.3 * 8) = 3 stay
    assert kept == ["row 1", "row 2", "row 5"]
    assert [s.rows_out for s in result.steps] == [10, 3]
    assert why["row 4"] == "views is missing" and why["row 7"] == "views is not a number"
    assert why["row 0"] == "views=5 not in the highest 0.3 of rows (cut-off 70)"


def test_a_count_from_the_bottom_keeps_ties_in_dataset_order(tmp_path):
    src = _parts(tmp_path, [[3, 1, 2], [1, 9]])
    _, kept, _ = _run(tmp_path, src, {"column": "views", "count": 2, "keep": "lowest"})
    assert kept == ["row 1", "row 3"]  # both 1s
    (tmp_path / "b").mkdir()
    _, kept, _ = _run(tmp_path / "b", _parts(tmp_path / "b", [[2, 1], [1, 1]]), {"column": "views", "count": 2, "keep": "lowest"})
    assert kept == ["row 1", "row 2"]  # three tied 1s: the first two in dataset order


def test_drop_removes_the_chosen_rows_and_keeps_the_rest(tmp_path):
    src = _parts(tmp_path, [[5, 90, None], [1, 70, "n/a"]])
    _, kept, why = _run(tmp_path, src, {"column": "views", "count": 2, "drop": True})
    # 90 and 70 dropped; the rows without a number are not among "the 2 highest", so they stay
    assert kept == ["row 0", "row 2", "row 3", "row 5"]
    assert why == {"row 1": "views=90 in the highest 2 (cut-off 70)", "row 4": "views=70 in the highest 2 (cut-off 70)"}


def test_dates_as_iso_text_rank_by_time_across_parts(tmp_path):
    # "the 2 most recent": ISO text (a day, a time, a zone) ranks by time; text that is no date is not ranked
    src = _parts(tmp_path, [["2025-03-01", "2024-12-31T23:00:00Z", None], ["2025-03-02 08:00", "soon", "2025-01-15"]])
    _, kept, why = _run(tmp_path, src, {"column": "views", "count": 2})
    assert kept == ["row 0", "row 3"]
    assert why["row 5"] == "views=2025-01-15 not in the latest 2 (cut-off 2025-03-01)"
    assert why["row 4"] == "views is not a date" and why["row 2"] == "views is missing"
    (tmp_path / "b").mkdir()
    _, kept, why = _run(tmp_path / "b", src, {"column": "views", "count": 1, "keep": "lowest", "drop": True})
    assert kept == ["row 0", "row 2", "row 3", "row 4", "row 5"]  # the earliest (in UTC) goes, nothing else
    assert why == {"row 1": "views=2024-12-31 23:00:00 in the earliest 1 (cut-off 2024-12-31 23:00:00)"}


def test_a_date_typed_column_ranks_by_time():
    import datetime as dt

    import pyarrow as pa

    from tilth.ops.process.top_filter import rank_values

    days = pa.array([dt.date(2025, 1, 2), None, dt.date(2024, 5, 1)])
    values, bad, dated = rank_values(days)
    assert dated and list(bad) == [False, False, False]
    assert values[0] > values[2] and values[1] != values[1]
    assert rank_values(pa.array(["3", "4.5", None]))[2] is False  # numbers as text stay numbers


def test_asking_for_more_than_there_is_keeps_every_row_with_a_number(tmp_path):
    src = _parts(tmp_path, [[3, None], [1]])
    _, kept, _ = _run(tmp_path, src, {"column": "views", "count": 10})
    assert kept == ["row 0", "row 2"]


def test_parameters_are_checked():
    with pytest.raises(OperatorParamError, match="exactly one of fraction"):
        build("top_filter", {"column": "views"})
    with pytest.raises(OperatorParamError, match="exactly one of fraction"):
        build("top_filter", {"column": "views", "fraction": 0.5, "count": 3})
    with pytest.raises(OperatorParamError):
        build("top_filter", {"column": "views", "fraction": 1.5})


def test_a_column_of_words_is_caught_on_the_sample():
    import pyarrow as pa

    op = build("top_filter", {"column": "topic", "fraction": 0.1})
    (msg,) = op.check_sample(pa.table({"topic": ["billing", "returns"]}))
    assert "holds no numbers" in msg


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=30), st.integers(1, 40),
       st.sampled_from(["highest", "lowest"]))
def test_the_kept_rows_are_exactly_the_first_k_of_a_stable_sort(values, count, keep):
    """A law: what stays is the k best values, ties broken by dataset order; nothing is added."""
    import tempfile
    from pathlib import Path

    import numpy as np
    import pyarrow as pa

    from tilth.storage.parts import write_part

    op = build("top_filter", {"column": "v", "count": count, "keep": keep})
    with tempfile.TemporaryDirectory() as tmp:
        half = len(values) // 2
        files = []
        for n, chunk in enumerate((values[:half], values[half:])):
            batch = pa.table({"_id": pa.array(range(n * 100, n * 100 + len(chunk)), pa.int64()),
                              "v": pa.array(chunk, pa.int64())})
            sig = op.signature(batch).add_column(0, "_id", batch.column("_id"))
            sig = sig.add_column(1, "_part", pa.array([f"p{n}"] * len(chunk), pa.string()))
            sig = sig.add_column(2, "_row", pa.array(range(len(chunk)), pa.int64()))
            write_part(sig, Path(tmp) / f"p{n}.parquet")
            files.append(str(Path(tmp) / f"p{n}.parquet"))
        dropped = set(op.duplicates(files, tmp).column("_id").to_pylist())
    ids = list(range(half)) + [100 + i for i in range(len(values) - half)]
    present = [(v, i) for v, i in zip(values, ids, strict=True) if v is not None]
    order = sorted(range(len(present)), key=lambda j: (-present[j][0] if keep == "highest" else present[j][0], j))
    want = {present[j][1] for j in order[:count]}
    assert set(ids) - dropped == want
    assert np.isin(list(dropped), ids).all()
