"""The heuristic operators inside a real recipe run: counts add up, reasons group, scores land in
lineage as valid JSON, and re-thresholding from stored scores reproduces the decision."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs

from tilth.ops import build
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace

PROSE = [
    "The library opened a new reading room this spring. It has twelve tables and good light.\n"
    "Students come in the morning. Older readers prefer the afternoon. Everyone is welcome.\n"
    "The staff answer questions at the front desk. You can write to desk@library.example.org with them.",
]


def test_recipe_with_heuristic_steps(tmp_path):
    docs = PROSE + stdlib_paragraphs(30)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs))
    recipe = Recipe.model_validate({
        "name": "h", "input": {"path": str(path), "text": "text", "batch_size": 40}, "workers": 1,
        "steps": [{"normalize": {}}, {"pii_redact": {}}, {"c4_filter": {}}, {"c4_line_cleaner": {}},
                  {"gopher_quality": {"min_doc_words": 20}}, {"lang_id": {"min_score": 0.3}}],
    })
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    assert all(s.rows_in - s.dropped == s.rows_out for s in res.steps[1:])
    assert res.steps[-1].rows_out >= 1  # the prose document survives every step
    ws = Workspace(tmp_path / "ws")
    final = ws.sql("SELECT text, lang, gopher_words, c4_sentences FROM h").to_pylist()
    prose = [r for r in final if r["text"].startswith("The library")]
    assert len(prose) == 1 and "<EMAIL>" in prose[0]["text"] and prose[0]["lang"] == "en"
    assert prose[0]["c4_sentences"] == 2 + 3 + 2
    rows = ws.sql("SELECT operator, reason, scores FROM lineage WHERE run = 'h' AND action = 'drop'").to_pylist()
    assert rows and all(json.loads(r["scores"]) for r in rows)  # valid JSON (no NaN)
    c4 = [r for r in rows if r["operator"] == "c4_filter"]
    assert {r["reason"] for r in c4} <= {"c4: lorem ipsum", "c4: curly bracket", "c4: sentences < min"}
    # re-threshold from stored scores alone: every drop for too few sentences had fewer than 5
    for r in c4:
        if r["reason"] == "c4: sentences < min":
            assert json.loads(r["scores"])["c4_sentences"] < 5
    # same decision from stored scores as from rescoring
    op = build("c4_filter")
    kept_scores = ws.sql("SELECT c4_sentences, c4_kept_lines, c4_lorem_ipsum, c4_curly_bracket FROM h")
    assert op.keep(pa.table(kept_scores))[0].all()


def test_a_fixed_number_of_rows_at_random_is_exact_and_the_same_on_a_rerun(tmp_path):
    """"randomly sample 20": top_filter with keep=random ranks a seeded draw per row and keeps the 20 lowest.
    Exactly that many rows, spread over several parts, the same rows on a rerun, another seed other rows, and
    no helper column left in the output (two steps, sample_filter then top_filter on `sample_draw`, had left it);
    with drop, exactly those rows go."""
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": f"row {i}", "n": i}) + "\n" for i in range(300)))
    picked = []
    for run, params in (("a", {"count": 20, "keep": "random"}), ("b", {"count": 20, "keep": "random"}),
                        ("c", {"count": 20, "keep": "random", "seed": 3}), ("d", {"count": 20, "keep": "random",
                                                                                  "drop": True})):
        recipe = Recipe.model_validate({"name": f"s{run}", "input": {"path": str(path), "batch_size": 50}, "workers": 1,
                                        "steps": [{"top_filter": params}]})
        res = run_recipe(recipe, tmp_path / f"ws{run}", progress=False)
        ws = Workspace(tmp_path / f"ws{run}")
        out = ws.sql(f"SELECT * FROM {res.output.name}")
        assert "sample_draw" not in out.column_names and "value" not in out.column_names
        picked.append(sorted(out.column("n").to_pylist()))
        reasons = ws.sql(f"SELECT DISTINCT reason FROM lineage WHERE run = 's{run}'").column("reason").to_pylist()
        assert reasons == [f"{'among' if run == 'd' else 'not among'} the 20 rows drawn at random "
                           f"(seed {3 if run == 'c' else 0})"]
    assert [len(p) for p in picked] == [20, 20, 20, 280]
    assert picked[0] == picked[1] and len(set(picked[0])) == 20 and picked[2] != picked[0]
    assert sorted(set(range(300)) - set(picked[3])) == picked[0]  # (drop: the same 20 drawn, gone)
    assert min(picked[0]) < 100 and max(picked[0]) >= 200  # (from every part, not the first ones)


def test_random_rows_take_no_column_and_ranked_rows_need_one():
    assert build("top_filter", {"count": 5, "keep": "random"}).input_columns() == []
    with pytest.raises(ValueError, match="leave column unset"):
        build("top_filter", {"count": 5, "keep": "random", "column": "n"})
    with pytest.raises(ValueError, match="set column"):
        build("top_filter", {"count": 5})
