"""A filter applied to some rows only (where_column ...): the other rows pass, whatever their scores, and the
lineage names only the rows the filter could drop. Exemptions (where_not) leave the named rows alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.ops import build
from tilth.ops.base import OperatorParamError
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace

ROWS = [
    {"text": "tiny", "dept": "Photography", "rating": 1},
    {"text": "short one", "dept": "Photography", "rating": 5},
    {"text": "a longer caption about the lens and the light in the room", "dept": "Photography", "rating": 2},
    {"text": "tiny", "dept": "Cooking", "rating": 4},
    {"text": "a longer recipe for bread with flour water salt and yeast", "dept": "Cooking", "rating": 3},
    {"text": "two words", "dept": None, "rating": None},
]


def _run(tmp_path, step: dict) -> tuple[list[dict], list[dict], object]:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    recipe = Recipe.model_validate({"name": "s", "input": {"path": str(path), "text": "text"}, "workers": 1,
                                    "steps": [step]})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    kept = sorted(ws.sql("SELECT text, dept FROM s").to_pylist(), key=lambda r: (r["text"], r["dept"] or ""))
    dropped = ws.sql("SELECT reason FROM lineage WHERE run = 's' AND action = 'drop'").to_pylist()
    return kept, dropped, res


def _rows(*i: int) -> list[dict]:
    return sorted(({"text": ROWS[k]["text"], "dept": ROWS[k]["dept"]} for k in i), key=lambda r: (r["text"], r["dept"] or ""))


def test_a_filter_only_where_a_label_matches(tmp_path):
    """'drop texts under 3 words, only in Cooking': the short Photography rows and the row without a dept stay."""
    kept, dropped, res = _run(tmp_path, {"word_count_filter": {"min_words": 3, "where_column": "dept",
                                                               "where_values": ["Cooking"]}})
    assert kept == _rows(0, 1, 2, 4, 5)
    assert len(dropped) == 1 and res.steps[-1].dropped == 1
    assert res.steps[-1].rows_in - res.steps[-1].dropped == res.steps[-1].rows_out


def test_an_exemption_leaves_the_named_rows_alone(tmp_path):
    """'drop texts under 3 words but leave Photography alone': only the short Cooking row and the short row
    without a dept go (no value is not Photography)."""
    kept, dropped, _ = _run(tmp_path, {"word_count_filter": {"min_words": 3, "where_column": "dept",
                                                             "where_values": ["Photography"], "where_not": True}})
    assert kept == _rows(0, 1, 2, 4)
    assert len(dropped) == 2


def test_a_value_filter_scoped_by_a_number(tmp_path):
    """'among rows rated 3 or more, keep only Cooking': a scope by number, a filter by label."""
    kept, _, _ = _run(tmp_path, {"value_filter": {"column": "dept", "values": ["Cooking"], "where_column": "rating",
                                                  "where_min": 3}})
    # rated 3+: rows 1 (Photography, 5: dropped), 3 and 4 (Cooking: kept); the rest are out of scope
    assert kept == _rows(0, 2, 3, 4, 5)


def test_scope_needs_a_selection():
    with pytest.raises(OperatorParamError, match="where_min"):
        build("length_filter", {"min": 3, "where_column": "dept"})  # which rows? none said
    with pytest.raises(OperatorParamError, match="where_not needs where_column"):
        build("length_filter", {"min": 3, "where_not": True})
    with pytest.raises(OperatorParamError, match="where_values or where_min"):
        build("value_filter", {"column": "rating", "min": 3, "where_column": "dept", "where_values": ["x"],
                               "where_min": 1})


def test_scope_params_are_listed_after_the_jobs_own():
    names = [p["name"] for p in build("length_filter", {"min": 3}).metadata()["params"]]
    assert names[:2] == ["text_field", "unit"] and names[-7:] == ["where_column", "where_min", "where_max",
                                                                   "where_values", "where_not", "where_min_exclusive",
                                                                   "where_max_exclusive"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["a", "b", None])), min_size=1, max_size=30),
       st.integers(1, 10))
def test_a_scoped_filter_keeps_a_superset_of_the_unscoped_one(rows, min_words):
    """Law: scoping can only keep more rows, and exactly the out-of-scope ones more."""
    import pyarrow as pa

    from tilth.exec.tasks import apply_filter

    table = pa.table({"_id": list(range(len(rows))), "text": [" ".join(["w"] * n) for n, _ in rows],
                      "dept": [d for _, d in rows]})
    plain, _ = apply_filter(build("word_count_filter", {"min_words": min_words}), table)
    scoped, lineage = apply_filter(build("word_count_filter", {"min_words": min_words, "where_column": "dept",
                                                               "where_values": ["a"]}), table)
    kept_plain, kept_scoped = set(plain.column("_id").to_pylist()), set(scoped.column("_id").to_pylist())
    out_of_scope = {i for i, (_, d) in enumerate(rows) if d != "a"}
    assert kept_plain <= kept_scoped and kept_scoped == kept_plain | out_of_scope
    assert scoped.num_rows + lineage.num_rows == len(rows)


def test_an_exemption_on_an_edit_leaves_those_texts_as_they_were(tmp_path):
    """where_not on a rewriting operator: the Photography texts come out unchanged, every other long text is edited."""
    rows = [{"text": f"the quick brown fox jumps over the lazy dog number {i} again and again", "dept": d}
            for i, d in enumerate(["Photography", "Cooking", "Photography", "Cooking"])]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = Recipe.model_validate({"name": "e", "input": {"path": str(path), "text": "text"}, "workers": 1, "steps": [
        {"random_edit_inplace": {"delete_prob": 0.5, "where_column": "dept", "where_values": ["Photography"],
                                 "where_not": True}}]})
    run_recipe(recipe, tmp_path / "ws", progress=False)
    out = {r["text"]: r["dept"] for r in Workspace(tmp_path / "ws").sql("SELECT text, dept FROM e").to_pylist()}
    assert sorted(d for t, d in out.items() if t in {r["text"] for r in rows}) == ["Photography", "Photography"]
    assert sorted(out.values()) == ["Cooking", "Cooking", "Photography", "Photography"]


def test_a_rule_based_rewrite_for_some_rows_only(tmp_path):
    """'redact e-mails, but only for the Cooking rows': the other rows pass through unchanged (their count column
    is null, not 0: the step never looked at them), and lineage names only the rows it changed."""
    rows = [{"n": 0, "text": "mail ann@example.org now", "dept": "Cooking"},
            {"n": 1, "text": "mail bob@example.org now", "dept": "Photography"},
            {"n": 2, "text": "no contact here", "dept": "Cooking"}, {"n": 3, "text": "mail cy@example.org", "dept": None}]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for scope, in_scope, redacted in (
            ({"where_values": ["Cooking"]}, [True, False, True, False], [True, False, False, False]),
            ({"where_values": ["Cooking"], "where_not": True}, [False, True, False, True], [False, True, False, True])):
        name = "scoped" if not scope.get("where_not") else "exempt"
        recipe = Recipe.model_validate({"name": name, "input": {"path": str(path)}, "workers": 1, "steps": [
            {"pii_redact": {"kinds": ["email"], "where_column": "dept", **scope}},
            {"normalize": {"lowercase": True, "where_column": "dept", **scope}}]})
        run_recipe(recipe, tmp_path / "ws", progress=False)
        out = Workspace(tmp_path / "ws").sql(f"SELECT text, pii_redactions FROM {name} ORDER BY n").to_pylist()
        assert ["<EMAIL>" in r["text"].upper() for r in out] == redacted, scope
        counts = [r["pii_redactions"] for r in out]
        assert [c is not None for c in counts] == in_scope, scope
        changed = Workspace(tmp_path / "ws").sql(
            f"SELECT DISTINCT _id FROM lineage WHERE run = '{name}' AND action = 'modify'").to_pylist()
        assert len(changed) == sum(redacted), scope


def test_a_scoped_rewrite_keeps_the_skipped_rows_whatever_the_column_type():
    """The rows outside the scope keep their text even where the mapper's output type differs from the input's
    (large_string in, string out): they were once at risk of becoming null."""
    import pyarrow as pa

    batch = pa.table({"_id": [1, 2, 3], "text": pa.array(["mail a@b.org", "c@d.org", None], pa.large_string()),
                      "g": ["x", "y", "x"]})
    out = build("pii_redact", {"kinds": ["email"], "where_column": "g", "where_values": ["x"]}).apply(batch)
    assert out.column("text").to_pylist() == ["mail <EMAIL>", "c@d.org", None]
    assert out.column("pii_redactions").to_pylist() == [1, None, 0]
    assert out.schema.field("text").type == pa.large_string()


def test_a_strict_scope_bound_leaves_the_bound_itself_out():
    """Trial 29: "for work orders with more than 4 hours spent" became where_min 5 on hours like 4.5 and 9.5; a
    strict bound on fractions is now the bound itself, exclusive."""
    import pyarrow as pa

    from tilth.ops.where import where_mask

    batch = pa.table({"hours": [4.0, 4.5, 9.5, None, 25.0, 24.99]})
    more = build("length_filter", {"min": 1, "where_column": "hours", "where_min": 4.0, "where_min_exclusive": True})
    assert where_mask(batch, more.params).tolist() == [False, True, True, False, True, True]
    under = build("length_filter", {"min": 1, "where_column": "hours", "where_max": 25.0, "where_max_exclusive": True})
    assert where_mask(batch, under.params).tolist() == [True, True, True, False, False, True]
    with pytest.raises(Exception, match="where_min_exclusive needs where_min"):
        build("length_filter", {"min": 1, "where_column": "hours", "where_max": 3.0, "where_min_exclusive": True})


@pytest.mark.parametrize("op", ["exact_dedup", "minhash_dedup", "semantic_dedup"])
def test_a_scoped_deduplicator_compares_only_the_selected_rows(tmp_path, op):
    """'remove duplicate notes among the closed tickets': an open ticket is neither dropped nor the original
    a closed one duplicates; rows outside the scope all stay."""
    text = "the boiler in the east wing lost pressure again overnight and needed a restart"
    rows = [{"id": 1, "status": "open", "text": text}, {"id": 2, "status": "closed", "text": text},
            {"id": 3, "status": "closed", "text": text}, {"id": 4, "status": "open", "text": text},
            {"id": 5, "status": "closed", "text": "a different note about the car park barrier being stuck"},
            {"id": 6, "status": None, "text": text}]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = Recipe.from_yaml(f"name: s\ninput: {{path: {data}}}\nsteps:\n"
                              f"  - {op}: {{where_column: status, where_values: [closed]}}\n")
    run_recipe(recipe, workspace=tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    assert sorted(r["id"] for r in ws.read("s").to_pylist()) == [1, 2, 4, 5, 6]
    (dropped,) = ws.sql("SELECT l._id, l.duplicate_of FROM lineage l WHERE l.action = 'drop'").to_pylist()
    ids = {r["_id"]: r["id"] for r in ws.read("s").to_pylist()}
    assert ids[dropped["duplicate_of"]] == 2  # (the first closed one, not open row 1)
    # idempotent: the scoped dedup of its own output drops nothing more
    out = tmp_path / "out.jsonl"
    out.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "_id"}) + "\n" for r in ws.read("s").to_pylist()))
    again = Recipe.from_yaml(f"name: s2\ninput: {{path: {out}}}\nsteps:\n"
                             f"  - {op}: {{where_column: status, where_values: [closed]}}\n")
    run_recipe(again, workspace=tmp_path / "ws", progress=False)
    assert ws.read("s2").num_rows == 5
