"""The same recipe on the local and the Ray executor gives identical outputs and lineage."""

from __future__ import annotations

import pytest
from corpus_fixtures import write_corpus

from tilth.exec import make_executor
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace


def test_local_and_ray_give_identical_outputs(tmp_path, ray_local):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 240)
    base = {"name": "same", "input": {"path": str(corpus), "text": "content", "batch_size": 30},
            "steps": [{"length_filter": {"min": 5}}, {"exact_dedup": {"normalise": "lower"}}]}
    results = {}
    for executor in ("local", "ray"):
        recipe = Recipe.model_validate({**base, "executor": executor, "workers": 2})
        res = run_recipe(recipe, tmp_path / executor, progress=False)
        ws = Workspace(tmp_path / executor)
        results[executor] = (
            ws.read("same"),
            ws.sql("SELECT step, _id, reason, duplicate_of FROM lineage ORDER BY step, _id").to_pylist(),
            [(s.rows_in, s.rows_out, s.dropped) for s in res.steps],
        )
    assert results["local"][0].equals(results["ray"][0])
    assert results["local"][1] == results["ray"][1]
    assert results["local"][2] == results["ray"][2]
    assert results["local"][0].num_rows > 0


def test_unknown_executor_is_a_clear_error():
    with pytest.raises(ValueError, match="use 'local' or 'ray'"):
        make_executor("spark")
