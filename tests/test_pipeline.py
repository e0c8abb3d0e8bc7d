"""Recipes end to end on real text: counts, lineage, stats, caching, export, validation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from corpus_fixtures import stdlib_paragraphs, write_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tilth.cli import app
from tilth.exec.tasks import apply_filter
from tilth.ops import all_operators, build
from tilth.ops.base import OperatorParamError
from tilth.pipeline import Recipe, RecipeError, run_recipe, validate
from tilth.storage import Workspace

PLUGIN = str(Path(__file__).parent / "plugins" / "slow_ops.py")


def recipe(path, **kw) -> Recipe:
    data = {
        "name": "t",
        "input": {"path": str(path), "text": "content", "batch_size": 40},
        "steps": [{"length_filter": {"min": 5}}, {"exact_dedup": {}}],
        "workers": 1,
    }
    data.update(kw)
    return Recipe.model_validate(data)


@pytest.fixture()
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus.jsonl", 200)


def test_run_counts_lineage_stats_and_views(tmp_path, corpus):
    res = run_recipe(recipe(corpus), tmp_path / "ws", progress=False)
    n_short, n_dup = len(range(0, 200, 7)), len(range(0, 200, 10))
    assert [s.rows_out for s in res.steps] == [200 + n_short + n_dup, 200 + n_dup, 200]
    assert [s.dropped for s in res.steps] == [0, n_short, n_dup]
    ws = Workspace(tmp_path / "ws")
    reasons = {r["reason"]: r["n"] for r in ws.sql(
        "SELECT reason, count(*) AS n FROM lineage WHERE run = 't' GROUP BY 1").to_pylist()}
    assert reasons == {"words < min=5": n_short, "exact duplicate": n_dup}
    # every dropped duplicate points at a kept row with the same normalised text
    pairs = ws.sql(
        "SELECT trim(d.text) AS dropped, k.text AS kept FROM lineage l "
        "JOIN t__01_length_filter d ON d._id = l._id JOIN t k ON k._id = l.duplicate_of "
        "WHERE l.operator = 'exact_dedup'").to_pylist()
    assert len(pairs) == n_dup and all(p["dropped"] == p["kept"].strip() for p in pairs)
    # the filter's score is stored: for kept rows as a column, for dropped rows in lineage
    assert ws.sql("SELECT min(length_words) AS m FROM t").column("m")[0].as_py() >= 8
    assert ws.sql("SELECT scores FROM lineage WHERE operator = 'length_filter' LIMIT 1").column(0)[0].as_py() == \
        '{"length_words":2}'
    stats = ws.sql("SELECT step, rows_in, rows_out FROM step_stats WHERE run = 't' ORDER BY step_index").to_pylist()
    assert [s["rows_out"] for s in stats] == [s.rows_out for s in res.steps]
    assert ws.sql("SELECT count(*) AS n FROM t__00_read_jsonl").column("n")[0].as_py() == res.steps[0].rows_out


def test_rerun_is_cached_and_a_changed_param_recomputes_from_that_step(tmp_path, corpus):
    first = run_recipe(recipe(corpus), tmp_path / "ws", progress=False)
    again = run_recipe(recipe(corpus), tmp_path / "ws", progress=False)
    assert [s.cached for s in again.steps] == [True, True, True]
    assert again.output.version == first.output.version
    changed = run_recipe(recipe(corpus, steps=[{"length_filter": {"min": 30}}, {"exact_dedup": {}}]),
                         tmp_path / "ws", progress=False)
    assert [s.cached for s in changed.steps] == [True, False, False]
    assert changed.output.version == first.output.version + 1
    ws = Workspace(tmp_path / "ws")
    # lineage of the run describes the current recipe only
    assert ws.sql("SELECT DISTINCT reason FROM lineage WHERE operator = 'length_filter' AND reason = 'words < min=5'"
                  ).num_rows == 0
    assert ws.read("t", version=1).num_rows == first.rows_out  # the old version stays reachable


def test_export_jsonl_and_parquet_in_canonical_order(tmp_path, corpus):
    res = run_recipe(recipe(corpus, output={"export": str(tmp_path / "out.jsonl")}), tmp_path / "ws", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    ws = Workspace(tmp_path / "ws")
    assert [r["_id"] for r in rows] == ws.read("t").column("_id").to_pylist()
    assert len(rows) == res.rows_out
    run_recipe(recipe(corpus, output={"export": str(tmp_path / "out.parquet")}), tmp_path / "ws", progress=False)
    assert pq.read_table(tmp_path / "out.parquet").column("_id").to_pylist() == [r["_id"] for r in rows]
    run_recipe(recipe(corpus, output={"export": str(tmp_path / "out.csv")}), tmp_path / "ws", progress=False)
    import csv

    with open(tmp_path / "out.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [int(r["_id"]) for r in table] == [r["_id"] for r in rows] and [r["content"] for r in table] == [r["content"] for r in rows]
    # the steps see the text as `text`; the export gives it back under the input's own name (`input.text: content`)
    assert "content" in rows[0] and "text" not in rows[0] and "content" in pq.read_table(tmp_path / "out.parquet").column_names


def test_a_jsonl_export_writes_nan_and_infinity_as_null(tmp_path):
    """Found in a newcomer trial: a Parquet float NaN was exported as a bare NaN, which is not JSON."""
    pq.write_table(pa.table({"text": ["a", "b", "c"], "x": [float("nan"), 1.5, float("-inf")]}), tmp_path / "n.parquet")
    r = Recipe.model_validate({"name": "n", "input": {"path": str(tmp_path / "n.parquet")},
                               "output": {"export": str(tmp_path / "o.jsonl")}})
    run_recipe(r, tmp_path / "ws", progress=False)
    lines = (tmp_path / "o.jsonl").read_text().splitlines()
    assert [json.loads(x, parse_constant=lambda c: pytest.fail(c))["x"] for x in lines] == [None, 1.5, None]


def test_a_cached_step_whose_part_was_deleted_is_computed_again(tmp_path, corpus):
    """Found in a newcomer trial: with one part deleted the rerun said "(cached) out 126,826" and exported fewer."""
    r = recipe(corpus, output={"export": str(tmp_path / "o.jsonl")})
    first = run_recipe(r, tmp_path / "ws", progress=False)
    parts = sorted(first.steps[-1].directory.glob("*.parquet"))
    assert len(parts) > 1
    parts[0].unlink()
    again = run_recipe(r, tmp_path / "ws", progress=False)
    assert [s.cached for s in again.steps] == [True, True, False]
    assert again.output.rows == first.output.rows == len((tmp_path / "o.jsonl").read_text().splitlines())


def test_editing_steps_keep_missing_values_missing_and_yaml_keys_are_unique(tmp_path):
    """Found in a newcomer trial: normalize and pii_redact turned null into "", and {min: 1, min: 100} silently
    kept the last value."""
    batch = pa.table({"_id": [1, 2], "text": ["a", "b"], "t": ["Ｆｉｎｅ me@x.org", None]})
    assert build("normalize", {"text_field": "t", "unicode_form": "NFKC"}).map(batch).column("t").to_pylist() == [
        "Fine me@x.org", None]
    assert build("pii_redact", {"text_field": "t"}).map(batch).column("t").to_pylist() == ["Ｆｉｎｅ <EMAIL>", None]
    (tmp_path / "r.yaml").write_text("name: t\ninput: {path: x.jsonl}\nsteps:\n  - length_filter: {min: 1, min: 100}\n")
    with pytest.raises(ValueError, match=r"line 4, column 29\): key 'min' appears twice in one mapping"):
        Recipe.from_yaml(tmp_path / "r.yaml")


def test_an_unknown_export_format_is_a_validation_problem_before_any_work(tmp_path, corpus):
    problems = validate(recipe(corpus, output={"export": str(tmp_path / "out.xlsx")}))[2]
    assert [(p.where, p.message) for p in problems] == [
        ("output", f"cannot export to {tmp_path / 'out.xlsx'}: use .jsonl, .jsonl.gz, .parquet, .csv, .csv.gz or .tsv")]
    with pytest.raises(RecipeError):
        run_recipe(recipe(corpus, output={"export": str(tmp_path / "out.xlsx")}), tmp_path / "ws", progress=False)
    assert not (tmp_path / "ws" / "runs").exists()


def test_yaml_and_python_recipes_are_the_same_thing(tmp_path, corpus):
    r = recipe(corpus, plugins=[PLUGIN])
    again = Recipe.from_yaml(r.to_yaml())
    assert again == r
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.yaml").write_text(
        "name: rel\ninput: {path: ../corpus.jsonl, text: content}\nsteps:\n  - length_filter: {min: 5}\n")
    rel = Recipe.from_yaml(tmp_path / "sub" / "r.yaml")
    assert rel.input["path"] == str(corpus)  # relative paths are relative to the recipe file


def test_validation_reports_three_distinct_mistakes_at_once(tmp_path, corpus):
    bad = recipe(corpus, steps=[
        {"length_filtr": {"min": 5}},                      # unknown operator (typo)
        {"length_filter": {"min": -1, "unit": "lines"}},   # two bad params
        {"exact_dedup": {"text_field": "body"}},           # column nobody produces
    ])
    _, _, problems = validate(bad)
    assert [(p.step, p.where) for p in problems] == [
        (1, "step 1: length_filtr"), (2, "step 2: length_filter"), (2, "step 2: length_filter"),
        (3, "step 3: exact_dedup")]
    assert "did you mean length_filter" in problems[0].message and problems[0].fix == "use 'length_filter'"
    assert {p.message.split(":")[0] for p in problems[1:3]} == {"bad parameter unit", "bad parameter min"}
    assert "'body'" in problems[3].message and "source" in problems[3].fix
    with pytest.raises(RecipeError) as e:
        run_recipe(bad, tmp_path / "ws", progress=False)
    assert "recipe has 4 problems" in str(e.value)
    assert not (tmp_path / "ws" / "runs").exists()  # nothing ran


def test_a_date_bound_on_numbers_or_a_number_bound_on_dates_is_refused_before_the_run(tmp_path):
    """Found in a newcomer trial: both validated, then dropped every row."""
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a", "stars": 4, "day": "2026-11-03"}\n{"text": "b", "stars": 2, "day": "2026-11-09"}\n')
    bad = Recipe.model_validate({"name": "x", "input": {"path": str(data)}, "steps": [
        {"value_filter": {"column": "stars", "max": "2026-11-05"}},
        {"value_filter": {"column": "day", "min": 3}},
        {"value_filter": {"column": "day", "max": "2026-11-05"}},      # fine: dates against dates
        {"value_filter": {"column": "stars", "min": 3}},                # fine
        {"token_count": {"output_field": "day"}},                       # overwrites day with numbers...
        {"value_filter": {"column": "day", "min": 3}}]})                # ...so this one is not judged on the input
    problems = validate(bad)[2]
    assert [p.step for p in problems] == [1, 2]
    assert problems[0].message == ("'stars' holds no dates in the first 2 records (e.g. 4), so the date bound "
                                   "max=2026-11-05 would drop every row; give a number bound or pick a column of dates")
    assert problems[1].message.endswith("the number bound min=3 would drop every row; write the bound as an ISO date "
                                        "such as 2026-11-05")


def test_the_same_run_twice_at_once_on_one_workspace_is_refused_and_a_killed_run_leaves_no_lock(tmp_path, corpus):
    """Found in a newcomer trial: two `tilth run` of one recipe on one workspace wrote the same step folders and
    exported ~23k duplicates that exact_dedup had found, both exiting 0."""
    import subprocess
    import sys

    from tilth.storage.workspace import RunInProgress

    ws = Workspace(tmp_path / "ws")
    with ws.run_lock("t"):
        with pytest.raises(RunInProgress, match=r"run 't' is already running in workspace .* \(pid \d+\)"):
            run_recipe(recipe(corpus), ws, progress=False)
        run_recipe(recipe(corpus, name="other"), ws, progress=False)  # another run name may run beside it
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from tilth.storage.workspace import Workspace\n"
                               f"with Workspace({str(tmp_path / 'ws')!r}).run_lock('t'):\n"
                               "    print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    (tmp_path / "r.yaml").write_text(recipe(corpus).to_yaml())
    result = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "-w", str(tmp_path / "ws")])
    assert result.exit_code == 2 and "is already running" in result.output
    holder.kill()
    holder.wait()
    assert run_recipe(recipe(corpus), ws, progress=False).output.rows > 0  # kill -9 released it


def test_an_export_that_overwrites_or_feeds_back_into_the_input_is_refused(tmp_path):
    """Found in a newcomer trial: export onto the input overwrote it; an export in the input folder grew the data
    2 -> 4 -> 6 rows over reruns; an empty input.path read the recipe's own folder."""
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "in.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n')

    def problems(path, export):
        r = Recipe.model_validate({"name": "x", "input": {"path": str(path)}, "output": {"export": str(export)}})
        return [p.message for p in validate(r)[2]]

    assert "is also an input file: the run would overwrite its own input" in problems(folder, folder / "in.jsonl")[0]
    assert "the next run would read it back as input" in problems(folder, folder / "sub" / "out.jsonl")[0]
    assert "the next run would read it back as input" in problems(f"{folder}/*.jsonl", folder / "x.jsonl")[0]
    assert problems(folder, folder / "out.parquet") == []  # the JSONL reader never reads it
    assert problems(tmp_path / "nope.jsonl", tmp_path / "o.jsonl")[0].startswith("read_jsonl: input")  # no crash
    assert problems(folder / "in.jsonl", folder / "out.jsonl") == []
    assert Recipe.model_validate({"name": "x", "input": {"path": folder}}).input["path"] == str(folder)  # a Path is one
    for bad in ("", None, 3):
        with pytest.raises(ValueError, match="input needs a `path`"):
            Recipe.model_validate({"name": "x", "input": {"path": bad}})
    r = Recipe.model_validate({"name": "x", "input": {"path": str(folder), "format": "text"}})
    assert validate(r)[2][0].fix.startswith("set input.format to one of: arrow, crawl, csv")
    blocked = tmp_path / "file"
    blocked.write_text("")
    r = Recipe.model_validate({"name": "x", "input": {"path": str(folder)}, "output": {"export": str(blocked / "o.jsonl")}})
    with pytest.raises(ValueError, match="cannot"):
        run_recipe(r, tmp_path / "ws", progress=False)
    assert not (tmp_path / "ws" / "runs" / "x").exists()  # refused before any step


def test_validation_catches_missing_input_and_reader_in_steps(tmp_path):
    bad = Recipe.model_validate({"name": "x", "input": {"path": str(tmp_path / "nope.jsonl")},
                                 "steps": [{"read_csv": {"path": "a.csv"}}]})
    _, _, problems = validate(bad)
    assert [p.where for p in problems] == ["input", "step 1: read_csv"]
    assert "does not exist" in problems[0].message and "readers go in `input:`" in problems[1].fix


def test_a_folder_of_several_data_formats_needs_a_format(tmp_path):
    """From a hostile-input trial: 3 JSONL files and 2 CSV files in one folder; the JSONL reader read its 3
    and the CSV rows were left out without a word."""
    data = tmp_path / "mixed"
    (data / "meta").mkdir(parents=True)
    for i in range(3):
        (data / f"a{i}.jsonl").write_text(json.dumps({"text": f"json {i}"}) + "\n")
    for i in range(2):
        (data / f"b{i}.csv").write_text(f"text\ncsv {i}\n")
    (data / "meta" / "dataset_info.json").write_text("{}")  # metadata is no data format
    (data / "README.md").write_text("# mixed")
    recipe = {"name": "x", "input": {"path": str(data)}, "steps": []}
    _, _, problems = validate(Recipe.model_validate(recipe))
    assert [p.where for p in problems] == ["input"]
    assert "3 for read_jsonl, 2 for read_csv" in problems[0].message and "input.format" in problems[0].fix
    # naming the format is a choice: the other files are skipped knowingly
    _, _, problems = validate(Recipe.model_validate({**recipe, "input": {"path": str(data), "format": "csv"}}))
    assert problems == []
    (data / "b0.csv").unlink(), (data / "b1.csv").unlink()
    assert validate(Recipe.model_validate(recipe))[2] == []


def test_bad_recipe_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="one operator per step"):
        Recipe.model_validate({"name": "x", "input": {"path": "a"}, "steps": [{"a": {}, "b": {}}]})
    with pytest.raises(ValueError, match="needs a `path`"):
        Recipe.model_validate({"name": "x", "input": {}})
    with pytest.raises(ValueError, match="letters, digits"):
        Recipe.model_validate({"name": "has space", "input": {"path": "a"}})


def test_plugin_operators_run_in_worker_processes(tmp_path, corpus):
    r = recipe(corpus, plugins=[PLUGIN], steps=[{"slow_upper": {}}], workers=2)
    res = run_recipe(r, tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    texts = ws.read("t").column("text").to_pylist()
    assert texts == [t.upper() for t in ws.read("t__00_read_jsonl").column("text").to_pylist()]
    # every row whose text changed is recorded as modified; its old value stays in the input version
    assert res.steps[1].modified == sum(t != t.upper() for t in ws.read("t__00_read_jsonl").column("text").to_pylist())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=30), st.integers(0, 6), st.integers(0, 6))
def test_length_filter_never_adds_rows_and_respects_bounds(texts, lo, width):
    op = build("length_filter", {"min": lo, "max": lo + width})
    t = pa.table({"_id": list(range(len(texts))), "text": texts})
    kept, lineage = apply_filter(op, t)
    assert kept.num_rows + lineage.num_rows == len(texts)
    assert all(lo <= len(x.split()) <= lo + width for x in kept.column("text").to_pylist())


def test_cli_ops_list_shows_every_operator_and_sql_works(tmp_path, corpus):
    cli = CliRunner()
    out = cli.invoke(app, ["ops", "list"])
    assert out.exit_code == 0
    for cls in all_operators():
        assert cls.name in out.stdout
    show = cli.invoke(app, ["ops", "show", "length_filter", "--json"])
    meta = json.loads(show.stdout)
    assert [p["name"] for p in meta["params"]] == ["text_field", "unit", "min", "max", "where_column", "where_min",
                                                   "where_max", "where_values", "where_not", "where_min_exclusive",
                                                   "where_max_exclusive"]
    assert cli.invoke(app, ["ops", "show", "lenght_filter"]).exit_code == 2
    run_recipe(recipe(corpus), tmp_path / "ws", progress=False)
    res = cli.invoke(app, ["sql", "SELECT count(*) AS n FROM t", "-w", str(tmp_path / "ws"), "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["n"] == 200
    # found in a newcomer trial: only the last of two statements was shown, and an empty query printed nothing
    res = cli.invoke(app, ["sql", "SELECT 1 AS a; SELECT 2 AS b", "-w", str(tmp_path / "ws"), "--format", "json"])
    assert res.exit_code == 0 and [json.loads(x) for x in res.stdout.splitlines()] == [{"a": 1}, {"b": 2}]
    res = cli.invoke(app, ["sql", "  ", "-w", str(tmp_path / "ws")])
    assert res.exit_code == 2 and "no SQL statement given" in res.output


def test_operator_metadata_contract_holds_for_every_operator():
    for cls in all_operators():
        m = cls.metadata()
        assert m["description"] and m["category"] in ("acquire", "process", "rewrite", "evaluate"), m["name"]
        for p in m["params"]:
            assert p["description"], f"{m['name']}.{p['name']} has no description"
        if not any(p["required"] for p in m["params"]):
            # regression: a `{n}` column template that is no parameter crashed validation of any recipe using it
            try:
                op = cls()
            except OperatorParamError as e:  # one of several parameters must be set (select_columns): a clear error
                assert e.errors, m["name"]
                continue
            assert all(isinstance(c, str) and "{" not in c for c in op.input_columns() + op.output_columns()), m["name"]


def test_stdlib_fixture_is_real_text():
    paras = stdlib_paragraphs(5)
    assert len(paras) == 5 and all(len(p) >= 40 for p in paras)


def test_operator_reference_doc_is_generated_from_current_metadata():
    """docs/operators.md must be what `tilth docs` writes now (regenerate it when operators change)."""
    from tilth.docs import operator_reference

    doc = Path(__file__).parent.parent / "docs" / "operators.md"
    assert doc.read_text() == operator_reference(), "run `tilth docs` to regenerate docs/operators.md"


def test_operator_reference_tables_keep_five_cells_when_a_type_has_a_pipe():
    from tilth.docs import operator_reference

    rows = [ln for ln in operator_reference().splitlines() if ln.startswith("| `title_field`")]
    assert rows and all(len(re.split(r"(?<!\\)\|", r)) == 7 for r in rows), rows  # 5 cells between 6 bars


@pytest.mark.parametrize("op", ["random_edit", "random_edit_inplace", "llm_rewrite"])
def test_a_missing_where_column_is_a_validation_problem(tmp_path, op):
    """From a hostile-input trial: a where_column the data lacks was a KeyError in the middle of the run."""
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": f"doc {i} has words", "stars": i}) + "\n" for i in range(3)))
    recipe = Recipe.model_validate({"name": "x", "input": {"path": str(src)},
                                    "steps": [{op: {"where_column": "rating", "where_min": 4}}]})
    _, _, problems = validate(recipe)
    assert [p.where for p in problems] == [f"step 1: {op}"]
    assert "reads column 'rating', which nothing upstream produces" in problems[0].message


def test_the_export_gives_columns_back_their_own_names_without_a_clash(tmp_path):
    """`input.text: body`: the steps see `text`, the export writes `body` (and an input `text` column, kept as
    `_source_text`, as `text`); a rename that would give two columns one name is left out."""
    from tilth.pipeline.runner import export, export_names

    names = export_names({"path": "x", "text": "body"})
    assert names == {"text": "body", "_source_text": "text"} and export_names({"text": "text"}) == {}
    cases = [({"_id": [1], "text": ["a"], "_source_text": ["s"]}, {"_id": 1, "body": "a", "text": "s"}),
             ({"_id": [1], "text": ["a"], "x": [float("nan")]}, {"_id": 1, "body": "a", "x": None}),
             # a step made `body`: nothing is renamed, so no two columns share a name
             ({"_id": [1], "text": ["a"], "_source_text": ["s"], "body": ["b"]},
              {"_id": 1, "text": "a", "_source_text": "s", "body": "b"})]
    for i, (cols, want) in enumerate(cases):
        pq.write_table(pa.table(cols), tmp_path / f"p{i}.parquet")
        out = export([tmp_path / f"p{i}.parquet"], tmp_path / f"o{i}.jsonl", names)
        assert json.loads(out.read_text()) == want
    out = export([tmp_path / "p0.parquet"], tmp_path / "o.csv", names)
    assert out.read_text().splitlines()[0] == "_id,body,text"
