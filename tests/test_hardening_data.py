"""Hardening of the data path: every row of the hardening issue that concerns input, workspace or recipes
is one test here (named test_rowN_...). Small inputs, one worker (tasks run inline)."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from reader_helpers import read_all
from typer.testing import CliRunner

from tilth.cli import app
from tilth.ops import build
from tilth.ops.acquire.readers import guess_reader
from tilth.pipeline import Recipe, run_recipe, validate
from tilth.storage import Workspace
from tilth.storage.ids import row_ids


def recipe(path, steps=None, **kw) -> Recipe:
    data = {"name": "h", "input": {"path": str(path), **kw.pop("input", {})}, "workers": 1,
            "steps": steps if steps is not None else [{"length_filter": {"min": 1}}]}
    data.update(kw)
    return Recipe.model_validate(data)


def doc(i: int) -> str:
    return json.dumps({"text": f"document number {i} has a few words", "n": i}) + "\n"


# -- row 1: a text field of the wrong type ---------------------------------------------------------------
def test_row1_text_that_is_a_number_object_or_list_is_quarantined_a_null_one_kept_and_the_run_goes_on(tmp_path):
    wrong = {2500: 7, 2600: {"a": 1}, 2700: ["x"], 2800: None}  # 0-based line -> text value
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": wrong[i], "n": i}) + "\n" if i in wrong else doc(i)
                            for i in range(3000)))
    res = run_recipe(recipe(path), tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT status FROM runs WHERE run = 'h'").column(0).to_pylist() == ["done"]
    # a null text is a row without one, kept (a claim without a note is still a claim); the length filter drops it
    assert res.steps[0].rows_in == 3000 and res.steps[0].quarantined == 3 and res.steps[0].rows_out == 2997
    assert res.steps[1].dropped == 1 and res.rows_out == 2996
    q = ws.sql("SELECT file, line, error, raw FROM quarantine WHERE run = 'h' ORDER BY line").to_pylist()
    assert [(r["line"], r["error"]) for r in q] == [
        (2501, "field 'text' is a number, not a string"), (2601, "field 'text' is an object, not a string"),
        (2701, "field 'text' is a list, not a string")]
    assert all(r["file"] == str(path) and json.loads(r["raw"])["n"] == r["line"] - 1 for r in q)
    # the kept rows keep the ids they would have had without the bad lines (file, line number)
    ids = ws.sql("SELECT _id FROM h ORDER BY _id").column(0).to_pylist()
    expected = row_ids("in.jsonl", 0, 3000)
    assert ids == sorted(int(expected[i]) for i in range(3000) if i not in wrong)


@pytest.mark.parametrize("n_bad", [2, 30])  # 30: more than validation's first look (20 records)
def test_row1_validate_does_not_crash_when_the_first_rows_have_a_wrong_text(tmp_path, n_bad):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": [5, {"a": 1}][i % 2]}) + "\n" for i in range(n_bad)) + doc(2) + doc(3))
    (tmp_path / "r.yaml").write_text(recipe(path).to_yaml())
    out = CliRunner().invoke(app, ["validate", str(tmp_path / "r.yaml")])
    assert out.exit_code == 0, out.output
    assert "ok" in out.output
    out = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "-w", str(tmp_path / "ws"), "-q"])
    assert out.exit_code == 0, out.output
    assert Workspace(tmp_path / "ws").sql("SELECT count(*) FROM quarantine").column(0)[0].as_py() == n_bad


def test_row1_other_columns_with_conflicting_types_quarantine_the_record_not_the_block(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [{"text": "a", "n": 1}, {"text": "b", "n": 2.5}, {"text": "c", "n": "three"},
             {"text": "d", "n": True}, {"text": "e", "meta": {"k": 1}}, {"text": "f", "meta": "flat"}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    table, bad = read_all(build("read_jsonl", {"path": str(path)}))
    assert table.column("text").to_pylist() == ["a", "b", "c", "d", "e"]
    # text among numbers: the column is text and every record is kept (it quarantined 10,000 numeric ids
    # after one "A-1" in a newcomer trial); numbers and booleans keep their JSON spelling
    assert table.column("n").to_pylist() == ["1", "2.5", "three", "true", None]
    assert [(b.line, b.error) for b in bad] == [(6, "field 'meta' is a string here but an object in earlier records")]
    path.write_text(json.dumps({"text": "a", "n": 1}) + "\n" + json.dumps({"text": "b", "n": 2.5}) + "\n")
    assert read_all(build("read_jsonl", {"path": str(path)}))[0].column("n").to_pylist() == [1.0, 2.5]  # never 1
    path.write_text(json.dumps({"text": "a", "m": {"x": 1}}) + "\n" + json.dumps({"text": "b", "m": {"x": "s"}}) + "\n")
    assert [b.error for b in read_all(build("read_jsonl", {"path": str(path)}))[1]] == [
        "field 'm' is struct<x: string> here but struct<x: int64> in earlier records"]


def test_row1_parquet_and_csv_text_types(tmp_path):
    pq.write_table(pa.table({"text": ["a", None, "c"], "n": [1, 2, 3]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"text": [1, 2]}), tmp_path / "b.parquet")
    table, bad = read_all(build("read_parquet", {"path": str(tmp_path), "text": "text"}))
    assert table.column("text").to_pylist() == ["a", None, "c"] and table.schema.field("text").type == pa.string()
    assert [(Path(b.file).name, b.line, b.error) for b in bad] == [  # (the null text is a row without one)
        ("b.parquet", 1, "field 'text' is a number, not a string"),
        ("b.parquet", 2, "field 'text' is a number, not a string")]
    # CSV values are strings: a text of digits stays text, it is not made a number
    (tmp_path / "c.csv").write_text("text,label\n42,a\n7,b\n")
    table, bad = read_all(build("read_csv", {"path": str(tmp_path / "c.csv")}))
    assert table.column("text").to_pylist() == ["42", "7"] and not bad


def test_csv_numbers_a_number_type_would_change_stay_text_and_a_repeated_header_name_is_renamed(tmp_path):
    """Found in a newcomer trial: zip 02134 became 2134, phone +49... a float, ids past 2**53 were off by one, and a
    header "text,text" failed the whole run."""
    (tmp_path / "z.csv").write_text("text,zip,phone,n,big,f,x\na,02134,+4917612345678,5,12345678901234567890,1.5,1e400\n"
                                    "b,10001,+15551234,6,9007199254740993,2.25,3\n")
    table, bad = read_all(build("read_csv", {"path": str(tmp_path / "z.csv")}))
    assert not bad and table.drop_columns(["_id"]).to_pylist() == [
        {"text": "a", "zip": "02134", "phone": "+4917612345678", "n": 5, "big": "12345678901234567890", "f": 1.5,
         "x": "1e400"},
        {"text": "b", "zip": "10001", "phone": "+15551234", "n": 6, "big": "9007199254740993", "f": 2.25, "x": "3"}]
    (tmp_path / "d.csv").write_text("text,text,b\nx,y,1\n")
    table, bad = read_all(build("read_csv", {"path": str(tmp_path / "d.csv")}))
    assert not bad and table.drop_columns(["_id"]).to_pylist() == [{"text": "x", "text_2": "y", "b": 1}]


def test_row1_csv_value_that_does_not_convert_after_the_first_block_is_quarantined(tmp_path, monkeypatch):
    import tilth.ops.acquire.readers as readers

    monkeypatch.setattr(readers, "CSV_BLOCK_SIZE", 256)  # Arrow infers int64 from the first 256 bytes
    rows = [f"{i},row {i}\n" for i in range(100)]
    rows[60] = "sixty,row 60\n"
    (tmp_path / "c.csv").write_text("n,text\n" + "".join(rows))
    table, bad = read_all(build("read_csv", {"path": str(tmp_path / "c.csv"), "batch_size": 30}))
    assert table.schema.field("n").type == pa.int64()
    assert table.column("text").to_pylist() == [f"row {i}" for i in range(100) if i != 60]
    assert [(b.line, b.error) for b in bad] == [(62, "CSV: column 'n': 'sixty' is not int64 like the rows before")]
    assert table.column("_id").to_pylist() == row_ids("c.csv", 0, 99).tolist()


# -- row 2: truncated compressed JSONL -------------------------------------------------------------------
def _complete_lines(compressed_prefix: bytes, wbits: int = 31) -> int:
    data = zlib.decompressobj(wbits).decompress(compressed_prefix)
    return data.count(b"\n")


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_row2_truncated_jsonl_keeps_rows_before_the_break_and_quarantines_the_break(tmp_path, suffix):
    raw = "".join(doc(i) for i in range(6000)).encode()  # > 128 KiB: zstd decodes whole blocks only
    packed = gzip.compress(raw) if suffix == ".gz" else zstandard.ZstdCompressor().compress(raw)
    cut = packed[: len(packed) // 2]
    path = tmp_path / f"in.jsonl{suffix}"
    path.write_bytes(cut)
    (tmp_path / "r.yaml").write_text(recipe(path).to_yaml())
    out = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "-w", str(tmp_path / "ws"), "-q"])
    assert out.exit_code == 0, out.output
    assert "Aborted" not in out.output
    ws = Workspace(tmp_path / "ws")
    kept = ws.sql("SELECT n FROM h ORDER BY n").column(0).to_pylist()
    assert kept == list(range(len(kept))) and len(kept) > 100  # a prefix, nothing lost before the break
    if suffix == ".gz":
        assert len(kept) >= _complete_lines(cut) - 1  # at most the line the break cut through
    q = ws.sql("SELECT line, error FROM quarantine WHERE run = 'h'").to_pylist()
    assert len(q) == 1 and q[0]["line"] == len(kept) + 1 and "truncated" in q[0]["error"]


# -- row 3: a good file next to a binary one --------------------------------------------------------------
def test_row3_folder_with_a_good_and_a_binary_file_runs_on_with_the_good_rows(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a_good.jsonl").write_text("".join(doc(i) for i in range(40)))
    (data / "b_binary.jsonl").write_bytes(bytes(range(256)) * 8 + os.urandom(512))
    (data / "c_fake.jsonl.gz").write_bytes(os.urandom(300))  # not gzip at all
    steps = [{"length_filter": {"min": 2}}, {"normalize": {}}, {"exact_dedup": {}}, {"sample_metrics": {}}]
    res = run_recipe(recipe(data, steps=steps), tmp_path / "ws", progress=False)
    assert res.rows_out == 40
    ws = Workspace(tmp_path / "ws")
    files = ws.sql("SELECT DISTINCT file FROM quarantine WHERE run = 'h' ORDER BY 1").column(0).to_pylist()
    assert [Path(f).name for f in files] == ["b_binary.jsonl", "c_fake.jsonl.gz"]
    gz = ws.sql("SELECT line, error FROM quarantine WHERE file LIKE '%c_fake%'").to_pylist()
    assert gz == [{"line": 0, "error": gz[0]["error"]}] and gz[0]["error"].startswith("unreadable file")


def test_row3_empty_part_of_a_binary_file_gets_the_columns_a_later_step_reads(tmp_path):
    # no step reads `text` here, so nothing requires it at ingest: the binary file's part is empty with
    # `_id` only, and exact_dedup on `content` failed on it with KeyError before the parts were unified
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text("".join(json.dumps({"content": f"row {i % 7}"}) + "\n" for i in range(20)))
    (data / "b.jsonl").write_bytes(b"\xff\xfe\x00 binary\n" * 10)
    res = run_recipe(recipe(data, steps=[{"exact_dedup": {"text_field": "content"}}]), tmp_path / "ws",
                     progress=False)
    assert res.steps[0].quarantined == 10 and res.rows_out == 7
    parts = sorted((tmp_path / "ws" / "runs" / "h").glob("00_read_jsonl-*/*.parquet"))
    assert [pq.read_schema(p).names for p in parts] == [["_id", "content"], ["_id", "content"]]


# -- row 4: validation looks past a broken first file ------------------------------------------------------
@pytest.mark.parametrize("first", ["empty", "binary", "truncated"])
def test_row4_validation_samples_beyond_a_broken_first_file(tmp_path, first):
    data = tmp_path / "data"
    data.mkdir()
    if first == "empty":
        (data / "a.jsonl.gz").write_bytes(gzip.compress(b""))
    elif first == "binary":
        (data / "a.jsonl.gz").write_bytes(os.urandom(200))
    else:
        (data / "a.jsonl.gz").write_bytes(gzip.compress(b"".join(
            json.dumps({"content": "x" * 50}).encode() + b"\n" for _ in range(100)))[:30])
    with gzip.open(data / "b.jsonl.gz", "wt") as f:
        f.write("".join(json.dumps({"content": f"good doc {i}"}) + "\n" for i in range(5)))
    _, _, problems = validate(recipe(data, input={"text": "content"}))
    assert problems == []


def test_row4_all_files_unreadable_gives_a_true_message(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_bytes(b"\xff\xfe binary\n")
    (data / "b.jsonl").write_text("")
    _, _, problems = validate(recipe(data, input={"text": "content"}))
    assert len(problems) == 1
    msg = problems[0].message
    assert "none of the 2 input files has a readable record" in msg and "a.jsonl line 1: invalid UTF-8" in msg
    assert "set input.text" not in str(problems[0])


# -- row 17: Hugging Face dataset folders ------------------------------------------------------------------
def _hf_table(split: str, n: int) -> pa.Table:
    return pa.table({"text": [f"{split} example {i} with words" for i in range(n)], "label": list(range(n))})


def test_row17_hub_layout_data_split_parquet(tmp_path):
    root = tmp_path / "ds"
    (root / "data").mkdir(parents=True)
    (root / "README.md").write_text("---\nconfigs:\n- config_name: default\n---\n# a dataset\n")
    pq.write_table(_hf_table("train", 30), root / "data" / "train-00000-of-00002.parquet")
    pq.write_table(_hf_table("train", 5), root / "data" / "train-00001-of-00002.parquet")
    pq.write_table(_hf_table("test", 7), root / "data" / "test-00000-of-00001.parquet")
    assert guess_reader(str(root)) == "read_parquet"
    assert run_recipe(recipe(root), tmp_path / "ws", progress=False).rows_out == 42
    only = run_recipe(recipe(root, name="h2", input={"split": "test"}), tmp_path / "ws", progress=False)
    assert only.rows_out == 7


def _write_arrow_stream(table: pa.Table, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        for batch in table.to_batches(max_chunksize=4):
            w.write_batch(batch)


def test_row17_save_to_disk_dataset_dict_is_read_through_state_json(tmp_path):
    root = tmp_path / "saved"
    for split, n in (("train", 12), ("test", 3)):
        d = root / split
        d.mkdir(parents=True)
        _write_arrow_stream(_hf_table(split, n), d / "data-00000-of-00001.arrow")
        (d / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}],
                                                  "_split": split}))
        (d / "dataset_info.json").write_text(json.dumps({"features": {}}))
        _write_arrow_stream(_hf_table("junk", 50), d / "cache-0123abcd.arrow")  # from .map(): not data
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    assert guess_reader(str(root)) == "read_arrow"
    res = run_recipe(recipe(root), tmp_path / "ws", progress=False)
    assert res.rows_out == 15
    texts = Workspace(tmp_path / "ws").sql("SELECT text FROM h").column(0).to_pylist()
    assert not any(t.startswith("junk") for t in texts)
    res = run_recipe(recipe(root, name="h2", input={"split": "train"}), tmp_path / "ws", progress=False)
    assert res.rows_out == 12


def test_row17_datasets_cache_folder_with_dataset_info_json(tmp_path):
    root = tmp_path / "cache" / "imdb" / "plain_text" / "0.0.0" / "abc123"
    root.mkdir(parents=True)
    (root / "dataset_info.json").write_text(json.dumps({"builder_name": "imdb"}))
    _write_arrow_stream(_hf_table("train", 9), root / "imdb-train.arrow")
    _write_arrow_stream(_hf_table("test", 4), root / "imdb-test.arrow")
    top = tmp_path / "cache" / "imdb"
    assert guess_reader(str(top)) == "read_arrow"
    table, bad = read_all(build("read_arrow", {"path": str(top), "split": "test", "batch_size": 3}))
    assert table.column("text").to_pylist() == [f"test example {i} with words" for i in range(4)] and not bad
    # a truncated Arrow file keeps the batches before the break
    data = (root / "imdb-train.arrow").read_bytes()
    (root / "imdb-train.arrow").write_bytes(data[: len(data) - 150])
    table, bad = read_all(build("read_arrow", {"path": str(root / "imdb-train.arrow")}))
    assert 0 < table.num_rows < 9 and len(bad) == 1 and bad[0].line == table.num_rows + 1


# -- row 5: apostrophes (and glob characters) in paths ----------------------------------------------------
def test_row5_apostrophes_in_workspace_input_and_export_paths(tmp_path):
    base = tmp_path / "bob's [data]"
    base.mkdir()
    (base / "in's.jsonl").write_text("".join(doc(i) for i in range(12)))
    export = base / "out's" / "it's.jsonl"
    r = recipe(base / "in's.jsonl", output={"export": str(export)})
    res = run_recipe(r, base / "it's ws", progress=False)
    assert res.rows_out == 12 and len(export.read_text().splitlines()) == 12
    ws = Workspace(base / "it's ws")
    assert ws.sql("SELECT count(*) FROM h").column(0)[0].as_py() == 12
    assert ws.sql("SELECT count(*) FROM h__00_read_jsonl_v1").column(0)[0].as_py() == 12
    # a moved workspace re-points its views: the new path goes into SQL quoted as well
    moved = tmp_path / "o'neil's * ws"
    (base / "it's ws").rename(moved)
    assert Workspace(moved).sql("SELECT count(*) FROM h").column(0)[0].as_py() == 12
    out = CliRunner().invoke(app, ["sql", "SELECT count(*) AS n FROM h", "-w", str(moved), "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.stdout) == {"n": 12}


def test_row5_no_sql_statement_pastes_a_value_into_an_f_string():
    """Every f-string that reaches DuckDB in tilth/ (outside agent/, which another change owns) puts in
    only quoted identifiers, quoted literals, constants or validated numbers: checked by listing them."""
    import re

    root = Path(__file__).resolve().parent.parent / "tilth"
    pasted = []
    for path in root.rglob("*.py"):
        if "agent" in path.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"""\.(execute|sql)\(\s*f["']""", line) and re.search(r"'\{[^}]*\}'", line):
                pasted.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert pasted == []


# -- row 7: dataset names that would share a SQL view -------------------------------------------------------
def test_row7_names_that_map_to_one_view_are_rejected_and_datasets_shows_the_view(tmp_path):
    from tilth.storage.workspace import NameConflict

    ws = Workspace(tmp_path / "ws")
    ws.write_table("my data", pa.table({"_id": [1], "text": ["first"]}))
    for clash in ("my_data", "My_Data", "my-data", "my_data_v1"):
        with pytest.raises(NameConflict, match="belongs to the existing dataset 'my data'"):
            ws.write_table(clash, pa.table({"_id": [2], "text": ["second"]}))
    with pytest.raises(NameConflict, match="workspace table"):
        ws.write_table("lineage", pa.table({"_id": [3]}))
    ws.write_table("my data", pa.table({"_id": [4], "text": ["again"]}))  # a new version of itself is fine
    listed = ws.datasets().select(["name", "view", "versions"]).to_pylist()
    assert listed == [{"name": "my data", "view": "my_data", "versions": 2}]
    assert ws.sql("SELECT text FROM my_data").column(0).to_pylist() == ["again"]
    out = CliRunner().invoke(app, ["datasets", "-w", str(tmp_path / "ws")])
    assert out.exit_code == 0 and "my data" in out.stdout and "my_data" in out.stdout


def test_row7_a_recipe_whose_output_or_run_name_clashes_fails_before_any_work(tmp_path):
    from tilth.storage.workspace import NameConflict

    path = tmp_path / "in.jsonl"
    path.write_text("".join(doc(i) for i in range(5)))
    run_recipe(recipe(path, name="web-clean", output={"dataset": "my data"}), tmp_path / "ws", progress=False)
    with pytest.raises(NameConflict, match="'my data'"):
        run_recipe(recipe(path, name="other", output={"dataset": "my_data"}), tmp_path / "ws", progress=False)
    with pytest.raises(NameConflict, match="run name 'web_clean'"):
        run_recipe(recipe(path, name="web_clean", output={"dataset": "x"}), tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT run FROM runs ORDER BY 1").column(0).to_pylist() == ["web-clean"]
    assert not (tmp_path / "ws" / "runs" / "other").exists()


# -- row 8: executor typo -------------------------------------------------------------------------------------
def test_row8_unknown_executor_is_caught_by_validate_with_a_did_you_mean(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(doc(0))
    _, _, problems = validate(recipe(path, executor="locall"))
    assert [(p.where, p.message, p.fix) for p in problems] == [
        ("executor", "unknown executor 'locall'; did you mean 'local'?", "use executor: local")]
    _, _, problems = validate(recipe(path, executor={"type": "ray", "adress": "auto"}))
    assert [p.message for p in problems] == ["executor 'ray' has no option 'adress'"]
    (tmp_path / "r.yaml").write_text(recipe(path, executor="locall").to_yaml())
    out = CliRunner().invoke(app, ["validate", str(tmp_path / "r.yaml")])
    assert out.exit_code == 2 and "did you mean 'local'?" in out.output


def test_mappers_run_on_data_with_list_and_struct_columns(tmp_path):
    """A transcript with `turns: [{speaker, text}]` stopped every mapper: the lineage compared each column
    before and after with Arrow's not_equal, which has no kernel for lists and structs."""
    rows = [{"text": f"call {i}: reach me at a{i}@example.com", "turns": [{"speaker": "agent", "text": "hi"}] * (i % 3),
             "tags": ["x", "y"][: i % 3], "meta": {"source": "phone", "n": i}} for i in range(6)]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ws = Workspace(tmp_path / "ws")
    steps = [{"pii_redact": {}}, {"normalize": {"lowercase": True}}, {"sample_metrics": {}}, {"dataset_stats": {}}]
    run_recipe(recipe(tmp_path / "t.jsonl", steps, output={"dataset": "calls", "report": False}), ws)
    out = ws.sql("SELECT text, turns, tags, meta FROM calls ORDER BY meta.n").to_pylist()
    assert [r["text"] for r in out] == [f"call {i}: reach me at <email>" for i in range(6)]
    assert [(r["turns"], r["tags"], r["meta"]) for r in out] == [(r["turns"], r["tags"], r["meta"]) for r in rows]


def test_a_mapper_that_changes_a_nested_column_is_recorded_row_by_row():
    from tilth.exec.tasks import _changed_rows

    old = pa.chunked_array([pa.array([["a"], None, ["b", "c"], None])])
    new = pa.chunked_array([pa.array([["a"], ["z"], ["b"], None])])
    assert _changed_rows(new, old).tolist() == [False, True, True, False]
    assert _changed_rows(old, old).tolist() == [False] * 4


@pytest.mark.parametrize("dataset, why", [("rA__01_length_filter", "step views use"), ("lineage", "workspace table"),
                                          ("Step_Stats", "workspace table")])
def test_an_output_dataset_may_not_take_a_step_view_or_a_table_name(dataset, why):
    """A recipe with output.dataset `rA__01_length_filter` became a new version of run rA's step view; `lineage`
    passed validation and failed only in the run."""
    with pytest.raises(ValueError, match=why):
        Recipe.model_validate({"name": "rB", "input": {"path": "a.jsonl"}, "output": {"dataset": dataset}})
    with pytest.raises(ValueError, match=why):
        Recipe.model_validate({"name": dataset, "input": {"path": "a.jsonl"}})


def test_a_column_that_is_a_number_in_one_file_and_an_object_in_another_becomes_text(tmp_path):
    """The run said 2 rows, then the view, the export and the report failed (DuckDB could not cast BIGINT to
    STRUCT): a column whose type differs across reader parts is text in all of them."""
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.jsonl").write_text('{"text": "a", "v": 1, "w": 1}\n')
    (data / "b.jsonl").write_text('{"text": "b", "v": {"k": [1, 2]}, "w": 2.5}\n')
    (data / "c.jsonl").write_text('{"text": "c", "v": "plain", "w": 3}\n')
    res = run_recipe(recipe(data, steps=[], input={"format": "jsonl"},
                            output={"dataset": "mix", "export": str(tmp_path / "out.jsonl")}), tmp_path / "ws", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert res.export and sorted((r["text"], r["v"], r["w"]) for r in rows) == [
        ("a", "1", 1.0), ("b", '{"k": [1, 2]}', 2.5), ("c", "plain", 3.0)]  # numbers that only widen stay numbers


def test_a_column_that_turns_from_numbers_to_text_partway_through_a_file_keeps_every_record(tmp_path, monkeypatch):
    """Numbers for the first blocks, then "v2": the later records were quarantined (33,712 of 170,928 in a
    45 MB file), a small file's were not. Every record is kept and the column is text throughout."""
    from tilth.ops.acquire import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    lines = [json.dumps({"text": f"document {i} of the file", "v": i if i < 300 else f"v{i}"}) for i in range(600)]
    (tmp_path / "f.jsonl").write_text("\n".join(lines) + "\n")
    res = run_recipe(recipe(tmp_path / "f.jsonl", steps=[], output={"dataset": "shift"}), tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    assert res.steps[0].quarantined == 0 and ws.sql("SELECT count(*), count(DISTINCT v) FROM shift").to_pylist() == [
        {"count_star()": 600, "count(DISTINCT v)": 600}]
    assert ws.sql("SELECT v FROM shift WHERE text = 'document 7 of the file'").to_pylist() == [{"v": "7"}]


def test_a_column_of_numbers_read_as_text_is_said_after_the_read(tmp_path, monkeypatch):
    """Trial 85: one "stars": "five" among 44 numbers made the column text with no word to the user (the README had
    promised a quarantine). Every record is kept, and the run now says which column, how many of each, and shows the
    text; across parts too (numbers for the first blocks, text after)."""
    import io

    from rich.console import Console

    from tilth.pipeline.runner import Runner

    rows = [{"text": f"review {i}", "stars": 1 + i % 5} for i in range(44)]
    rows.insert(15, {"text": "review x", "stars": "five"})
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = io.StringIO()
    res = Runner(recipe(tmp_path / "r.jsonl", steps=[], output={"dataset": "r"}), tmp_path / "ws", progress=False,
                 console=Console(file=out, width=400)).run()
    assert res.steps[0].quarantined == 0 and res.rows_out == 45
    assert "column 'stars' holds 44 numbers and 1 text value (\"five\"): every record is kept and the column is read " \
           "as text" in out.getvalue()
    assert Workspace(tmp_path / "ws").sql("SELECT count(*) FROM r WHERE stars = 'five'").column(0)[0].as_py() == 1
    # a file of numbers only says nothing
    (tmp_path / "n.jsonl").write_text("".join(json.dumps({"text": "t", "stars": 3}) + "\n" for _ in range(5)))
    out = io.StringIO()
    Runner(recipe(tmp_path / "n.jsonl", steps=[], output={"dataset": "n"}), tmp_path / "ws2", progress=False,
           console=Console(file=out, width=400)).run()
    assert "note:" not in out.getvalue()
    # numbers for the first blocks and text after: said too, with the numbers counted
    from tilth.ops.acquire import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    lines = [json.dumps({"text": f"document {i} of the file", "v": i if i < 300 else f"v{i}"}) for i in range(600)]
    (tmp_path / "f.jsonl").write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    Runner(recipe(tmp_path / "f.jsonl", steps=[], output={"dataset": "shift"}), tmp_path / "ws3", progress=False,
           console=Console(file=out, width=400)).run()
    assert "column 'v' holds " in out.getvalue() and "every record is kept" in out.getvalue()


def test_temporary_files_a_killed_run_left_are_removed_by_the_next_run(tmp_path):
    """Trial 89: `kill -9` during the export left `.out.jsonl.gz.tmp-PID` files (11 MB) beside the export and
    `.sNNNNN.parquet.tmp-PID` in step folders, and a later successful run kept them. A file of a process still running
    stays."""
    import subprocess
    import sys

    from tilth.storage.parts import remove_stale_temp

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"text": f"row {i} of the file"}) + "\n" for i in range(20)))
    out = tmp_path / "out"
    out.mkdir()
    stale = [out / f".data.jsonl.tmp-{pid}", out / f".other.jsonl.tmp-{pid}", out / f".data.jsonl.tmp-{os.getppid()}"]
    for p in stale:
        p.write_text("half")
    r = recipe(tmp_path / "in.jsonl", steps=[{"length_filter": {"min": 2}}], output={"export": str(out / "data.jsonl")})
    run_recipe(r, tmp_path / "ws", progress=False)
    assert not stale[0].exists()  # (this export's, of a dead process)
    assert stale[1].exists() and stale[2].exists()  # (another file's; a live process's)
    step = next((tmp_path / "ws" / "runs").rglob("01_length_filter-*"))
    (step / f".s00000-00000.parquet.tmp-{pid}").write_text("half")
    assert remove_stale_temp(step) == 1 and remove_stale_temp(step) == 0
    assert len((out / "data.jsonl").read_text().splitlines()) == 20


def test_columns_a_reader_renames_are_said_after_the_read(tmp_path):
    """Trial 89: keys differing only in case became Stars_2 and STARS_3, and a record's own `_id` moved to `_source_id`,
    in the workspace and the exports, without a word. The names still change (SQL does not tell them apart), and the
    run says which; a mixed column in the same file is said too (both notes travel in the part's metadata)."""
    import io

    from rich.console import Console

    from tilth.pipeline.runner import Runner

    rows = [{"text": "a b", "stars": 1, "Stars": 2}, {"text": "c d", "STARS": 3, "_id": "x1"},
            {"text": "e f", "stars": "five"}]
    (tmp_path / "ck.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = io.StringIO()
    Runner(recipe(tmp_path / "ck.jsonl", steps=[], output={"dataset": "ck"}), tmp_path / "ws", progress=False,
           console=Console(file=out, width=400)).run()
    said = " ".join(out.getvalue().split())
    assert "columns renamed as read: 'Stars' -> 'Stars_2', 'STARS' -> 'STARS_3', '_id' -> '_source_id'" in said
    assert "column 'stars' holds 1 numbers and 1 text value (\"five\")" in said
    names = Workspace(tmp_path / "ws").sql("SELECT * FROM ck").column_names
    assert {"Stars_2", "STARS_3", "_source_id"} <= set(names)


def test_objects_in_one_file_and_text_in_another_are_not_said_to_be_numbers(tmp_path):
    """(Review) The across-parts note is for numbers made text; a column of objects in one file and text in another is
    made text too (as before), without a note that calls its values numbers."""
    import io

    from rich.console import Console

    from tilth.pipeline.runner import Runner

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl").write_text(json.dumps({"text": "a b", "m": {"k": 1}}) + "\n")
    (tmp_path / "d" / "b.jsonl").write_text(json.dumps({"text": "c d", "m": "flat"}) + "\n")
    out = io.StringIO()
    res = Runner(recipe(tmp_path / "d", steps=[], output={"dataset": "m"}), tmp_path / "ws", progress=False,
                 console=Console(file=out, width=400)).run()
    assert res.rows_out == 2 and "column 'm'" not in out.getvalue()
    assert sorted(Workspace(tmp_path / "ws").sql("SELECT m FROM m").column(0).to_pylist()) == ["flat", '{"k": 1}']
