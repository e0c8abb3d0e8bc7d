"""sample_metrics: exact per-row metrics on small texts, agreement with plain Python, and inside a run."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.ops import build
from tilth.ops.evaluate.sample_metrics import text_metrics
from tilth.pipeline import Recipe, run_recipe

TEXTS = ["The cat saw the dog", "go go go go", "a b\n\na b\nc", "", None, "Über über"]
# n_chars, n_words, n_lines, mean_word_len, ttr, distinct_2, dup_line_frac
EXPECTED = [
    (19, 5, 1, 3.0, 4 / 5, 4 / 4, 0.0),
    (11, 4, 1, 2.0, 1 / 4, 1 / 3, 0.0),
    (10, 5, 3, 1.0, 3 / 5, 3 / 4, 2 / 3),
    (0, 0, 0, 0.0, 0.0, 0.0, 0.0),
    (0, 0, 0, 0.0, 0.0, 0.0, 0.0),
    (9, 2, 1, 4.0, 1 / 2, 1.0, 0.0),
]
NAMES = ["n_chars", "n_words", "n_lines", "mean_word_len", "ttr", "distinct_2", "dup_line_frac"]


def test_exact_metrics_per_row():
    out = build("sample_metrics").map(pa.table({"_id": list(range(6)), "text": TEXTS, "keep": list("abcdef")}))
    assert out.column_names == ["_id", "text", "keep", *NAMES]
    assert out.column("keep").to_pylist() == list("abcdef")
    for name, col in zip(NAMES, zip(*EXPECTED, strict=True), strict=True):
        assert out.column(name).to_pylist() == pytest.approx(list(col)), name


def test_prefix_field_and_case_sensitivity():
    op = build("sample_metrics", {"text_field": "response", "prefix": "out_", "lowercase": False})
    assert op.output_columns()[:2] == ["out_n_chars", "out_n_words"]
    out = op.map(pa.table({"_id": [1], "response": ["Über über"]}))
    assert out.column("out_ttr").to_pylist() == [1.0]
    assert "ttr" not in out.column_names


def test_chunked_input_gives_same_rows_as_one_chunk():
    chunked = pa.chunked_array([TEXTS[:2], TEXTS[2:]])
    whole = text_metrics(pa.array(TEXTS).fill_null(""))
    split = text_metrics(chunked.fill_null(""))
    for name in NAMES:
        assert split[name].tolist() == pytest.approx(whole[name].tolist())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab \n.", max_size=30), min_size=1, max_size=8))
def test_matches_plain_python(texts):
    m = text_metrics(pa.array(texts))
    for i, t in enumerate(texts):
        words = t.lower().split()
        bigrams = list(zip(words, words[1:], strict=False))
        lines = [ln.strip() for ln in t.split("\n") if ln.strip()]
        assert m["n_words"][i] == len(words)
        assert m["ttr"][i] == pytest.approx(len(set(words)) / len(words) if words else 0.0)
        assert m["distinct_2"][i] == pytest.approx(len(set(bigrams)) / len(bigrams) if bigrams else 0.0)
        repeated = sum(1 for ln in lines if lines.count(ln) > 1)
        assert m["dup_line_frac"][i] == pytest.approx(repeated / len(lines) if lines else 0.0)


def test_in_a_run_columns_are_in_the_view_and_rows_unchanged(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"content": t or ""}) + "\n" for t in TEXTS))
    recipe = Recipe.model_validate({"name": "sm", "input": {"path": str(src), "text": "content"},
                                    "steps": [{"sample_metrics": {}}], "workers": 1})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    assert [s.rows_out for s in res.steps] == [6, 6]
    assert res.steps[1].modified == 0  # only new columns: no existing value changed
    from tilth.storage import Workspace

    got = Workspace(tmp_path / "ws").sql(f"SELECT n_words, ttr FROM {res.steps[1].view}").to_pylist()
    # _ids are hashes, not file order: compare the rows as a multiset
    assert sorted((r["n_words"], r["ttr"]) for r in got) == sorted((e[1], e[4]) for e in EXPECTED)
