"""Readers: every format, compressed JSONL, and quarantine of malformed records with file and line."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from reader_helpers import read_all

from tilth.ops import build
from tilth.ops.acquire.readers import guess_reader

LINES = [json.dumps({"text": f"doc {i}", "n": i}) + "\n" for i in range(5)]
BROKEN = LINES[:2] + ['{"text": "unterminated\n', "\n", b'{"text": "bad \xff byte"}\n'.decode("latin-1"),
                      "[1, 2]\n"] + LINES[2:]


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_jsonl_plain_and_compressed_quarantines_bad_lines(tmp_path, suffix):
    raw = "".join(BROKEN).encode("latin-1")
    path = tmp_path / f"in.jsonl{suffix}"
    if suffix == ".gz":
        path.write_bytes(gzip.compress(raw))
    elif suffix == ".zst":
        path.write_bytes(zstandard.ZstdCompressor().compress(raw))
    else:
        path.write_bytes(raw)
    table, bad = read_all(build("read_jsonl", {"path": str(path), "batch_size": 3}))
    assert table.column("text").to_pylist() == [f"doc {i}" for i in range(5)]
    assert [(b.line, b.error.split(":")[0]) for b in bad] == [
        (3, "invalid JSON"), (5, "invalid UTF-8 at byte 14"), (6, "expected a JSON object, got list")]
    assert all(b.file == str(path) for b in bad)
    assert table.column("_id").null_count == 0 and len(set(table.column("_id").to_pylist())) == 5


def test_invalid_utf8_is_quarantined_even_in_an_otherwise_valid_block(tmp_path):
    # regression: Arrow's JSON parser accepted this line, putting invalid UTF-8 into the text column
    p = tmp_path / "enc.jsonl"
    p.write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n{"text": "also fine"}\n')
    table, bad = read_all(build("read_jsonl", {"path": str(p)}))
    assert table.column("text").to_pylist() == ["fine", "also fine"]
    assert [(b.line, b.error) for b in bad] == [(2, "invalid UTF-8 at byte 13")]  # after `{"text": "caf`


def test_file_with_only_malformed_records_is_quarantined_not_a_crash(tmp_path):
    # regression: renaming the text field failed on the empty table ("not in input columns []")
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'{"content": broken\n[1]\n')
    table, bad = read_all(build("read_jsonl", {"path": str(p), "text": "content"}))
    assert table.num_rows == 0 and "text" in table.column_names
    assert [b.line for b in bad] == [1, 2]


def test_ids_do_not_depend_on_batch_size_or_on_bad_lines_elsewhere(tmp_path):
    clean = tmp_path / "clean.jsonl"
    clean.write_text("".join(LINES))
    ids1 = read_all(build("read_jsonl", {"path": str(clean), "batch_size": 2}))[0].column("_id").to_pylist()
    ids2 = read_all(build("read_jsonl", {"path": str(clean), "batch_size": 100}))[0].column("_id").to_pylist()
    assert ids1 == ids2


def test_text_field_is_renamed_and_existing_id_kept_aside(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps({"_id": "abc", "body": "hello"}) + "\n")
    table, _ = read_all(build("read_jsonl", {"path": str(p), "text": "body"}))
    assert table.column_names == ["_id", "_source_id", "text"]
    # JSON records each have their own fields: one without the text field is a row without a text (it used to
    # raise KeyError and fail the run); a recipe naming a field no record has is refused before the run
    p.write_text(json.dumps({"_id": "abc", "body": "hello"}) + "\n" + json.dumps({"body": None, "n": 2}) + "\n")
    table, bad = read_all(build("read_jsonl", {"path": str(p), "text": "nope"}))
    assert table.num_rows == 2 and table.column("text").null_count == 2 and not bad
    table, bad = read_all(build("read_jsonl", {"path": str(p), "text": "body"}))
    assert table.column("text").to_pylist() == ["hello", None] and not bad
    from tilth.pipeline import Recipe
    from tilth.pipeline.validate import validate

    problems = validate(Recipe.model_validate({"name": "r", "input": {"path": str(p), "text": "nope"}}))[2]
    assert [pr.message for pr in problems] == ["input.text names the field 'nope', but no record read has a text "
                                               "there (fields: _source_id, body, n)"]
    # a CSV's header is the file's: a named column it lacks quarantines its records
    c = tmp_path / "x.csv"
    c.write_text("body,n\nhello,1\n")
    table, bad = read_all(build("read_csv", {"path": str(c), "text": "nope"}))
    assert table is None and [(b.line, b.error) for b in bad] == [(0, "no column 'nope' in the header (columns: body, n)")]


def test_csv_quarantines_wrong_field_count_and_bad_utf8(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes(b"text,label\nfirst row,a\nbroken,row,extra\nbad \xff,b\n\"multi\nline\",c\nlast,d\n")
    table, bad = read_all(build("read_csv", {"path": str(p), "batch_size": 2}))
    assert table.column("text").to_pylist() == ["first row", "multi\nline", "last"]
    assert table.column("label").to_pylist() == ["a", "c", "d"]
    assert sorted((b.line, b.error.split(" ")[0]) for b in bad) == [(3, "CSV:"), (4, "invalid")]


def test_parquet_reader_batches_and_quarantines_corrupt_file(tmp_path):
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(7)]}), tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"not parquet at all")
    reader = build("read_parquet", {"path": str(tmp_path), "batch_size": 3})
    table, bad = read_all(reader)
    assert table.num_rows == 7
    assert len(bad) == 1 and bad[0].file.endswith("b.parquet") and "unreadable" in bad[0].error


def test_text_files_reader_one_row_per_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "sub" / "b.txt").write_text("beta")
    (tmp_path / "c.txt").write_bytes(b"line\n\xfe\xff")
    table, bad = read_all(build("read_text_files", {"path": str(tmp_path)}))
    assert sorted(zip(table.column("path").to_pylist(), table.column("text").to_pylist(), strict=True)) == [
        ("a.txt", "alpha"), ("sub/b.txt", "beta")]
    assert len(bad) == 1 and bad[0].line == 2


def test_guess_reader_by_extension(tmp_path):
    assert guess_reader("x/y.jsonl.gz") == "read_jsonl"
    assert guess_reader("y.csv") == "read_csv"
    assert guess_reader("z.parquet") == "read_parquet"
    (tmp_path / "a.txt").write_text("x")
    assert guess_reader(str(tmp_path)) == "read_text_files"


def test_plain_jsonl_fast_path_matches_the_line_path_and_cuts_parts_by_bytes(tmp_path, monkeypatch):
    """A clean plain file goes to Arrow in one call per chunk; its rows and ids must be exactly those of the
    line-by-line path (here: the same file gzipped), also across chunk boundaries, and the runner's
    part_bytes cuts it into parts of about that many input bytes."""
    from tilth.ops.acquire import readers
    from tilth.ops.base import StepContext

    lines = [json.dumps({"text": "word " * (i % 7 + 1), "n": i, "tags": ["a"] * (i % 3)}) + "\n" for i in range(300)]
    plain, packed = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    plain.write_text("".join(lines))
    packed.write_bytes(gzip.compress("".join(lines).encode()))
    monkeypatch.setattr(readers, "CHUNK_BYTES", 1000)  # many chunks, boundaries mid-file
    fast = build("read_jsonl", {"path": str(plain)})
    fast.context = StepContext("w", "r", 0, "00_read_jsonl", "k", "s", part_bytes=2000)
    parts = [t for t in fast.read([str(plain)]) if isinstance(t, pa.Table)]
    slow, _ = read_all(build("read_jsonl", {"path": str(packed)}))
    table = pa.concat_tables(parts)
    assert table.drop(["_id"]).to_pylist() == slow.drop(["_id"]).to_pylist()
    # ids come from (file, line): equal line numbers, different file names -> same count, all distinct
    assert len(set(table.column("_id").to_pylist())) == 300
    sizes = [len("".join(lines[:p.num_rows])) for p in parts]
    assert len(parts) > 10 and max(sizes) <= 2000 + max(map(len, lines))


def test_plain_jsonl_chunk_with_a_blank_line_or_bad_record_falls_back_exactly(tmp_path, monkeypatch):
    from tilth.ops.acquire import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 64)
    path = tmp_path / "in.jsonl"
    path.write_bytes("".join(BROKEN).encode("latin-1"))
    table, bad = read_all(build("read_jsonl", {"path": str(path)}))
    assert table.column("text").to_pylist() == [f"doc {i}" for i in range(5)]
    assert [(b.line, b.error.split(":")[0]) for b in bad] == [
        (3, "invalid JSON"), (5, "invalid UTF-8 at byte 14"), (6, "expected a JSON object, got list")]


@pytest.mark.parametrize("chunk", [None, 64, 200])
@pytest.mark.parametrize("raw", [
    b'{"te\xffxt":"a"}\n{"text":"b"}\n',  # invalid UTF-8 in a key: the fast path raised UnicodeDecodeError
    b'{}\n{}\n',  # a chunk of `{}` lines only: pyarrow's zero-column slice made batch_size rows of nothing
    b'{"m":1.5}\n{"m":true}',  # an unterminated last line was parsed alone, against the earlier schema
    b'{"m":9223372036854775807}\n{"m":1.5}',
    b'{"l":1.5}\n{"l":9007199254740993}\nnull\n',  # an int above 2**53 in a float column crashed both paths
])
def test_plain_and_gzipped_jsonl_agree_on_hostile_input(tmp_path, monkeypatch, raw, chunk):
    """Found by differential fuzzing of the chunked fast path against the line path (the reference)."""
    from tilth.ops.acquire import readers

    if chunk:
        monkeypatch.setattr(readers, "CHUNK_BYTES", chunk)
    (tmp_path / "a.jsonl").write_bytes(raw)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(raw))
    plain, bad_plain = read_all(build("read_jsonl", {"path": str(tmp_path / "a.jsonl")}))
    packed, bad_packed = read_all(build("read_jsonl", {"path": str(tmp_path / "a.jsonl.gz")}))
    assert plain.drop(["_id"]).to_pylist() == packed.drop(["_id"]).to_pylist()
    assert [(b.line, b.error.split(":")[0]) for b in bad_plain] == [(b.line, b.error.split(":")[0]) for b in bad_packed]
    lines = [ln for ln in raw.split(b"\n") if ln.strip()]
    assert plain.num_rows + len(bad_plain) == len(lines)


@pytest.mark.parametrize("block", [1, 3, 64, 1 << 22])
def test_newline_positions_found_block_by_block_are_those_of_the_whole_chunk(block):
    import numpy as np

    from tilth.ops.acquire.readers import _newlines

    rng = np.random.default_rng(block)
    for n in (0, 1, 2, 63, 64, 65, 1000):
        for share in (0.0, 0.05, 0.5, 1.0):
            view = np.where(rng.random(n) < share, 10, 123).astype(np.uint8)
            assert np.array_equal(_newlines(view, block), np.flatnonzero(view == 10)), (n, share)


def test_jsonl_dates_stay_the_strings_the_file_holds(tmp_path):
    # Arrow's JSON reader would turn "2026-10-20" into a timestamp and the export into "2026-10-20 00:00:00"
    rows = [{"text": f"row {i}", "created": f"2026-10-{i + 1:02d}", "at": "2026-10-20T10:00:00",
             "meta": {"n": i}} for i in range(30)]
    rows[7]["later"] = "2026-11-01"  # a date field that first appears further down
    f = tmp_path / "d.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got, bad = read_all(build("read_jsonl", {"path": str(f), "batch_size": 8}))
    assert bad == [] and got.column_names[1:] == ["text", "created", "at", "meta", "later"]
    assert {got.schema.field(c).type for c in ("created", "at", "later")} == {pa.string()}
    assert got.column("created").to_pylist() == [r["created"] for r in rows]
    assert got.column("later").to_pylist()[7] == "2026-11-01"
