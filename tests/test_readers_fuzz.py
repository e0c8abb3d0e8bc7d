"""Property test of every reader on random mixtures of good and broken records and files.

For each format, hypothesis draws a few files of records, each record good or broken in one of the ways
that format can be broken (bad JSON, bad UTF-8, a text that is a number/object/list/null, a value whose
type conflicts with its column, a row with the wrong number of fields, a truncated compressed stream, a
file that is not in the format at all, ...). Every shard is read through the worker's task (the code a
run executes), and:

- nothing raises;
- rows in = rows kept + rows quarantined (the reader drops nothing), and the parts and quarantine files
  hold exactly those rows;
- the good records come out intact and in order, with the ids they have without the broken ones. Ids
  are positional, so "without" depends on the format: a JSONL id is (file, physical line), so a good
  line keeps its id whatever surrounds it (as if the broken lines were blank); a CSV id is (file, index
  among the rows kept), the same as reading a file of the good rows alone; a Parquet or Arrow id is
  (file, row number) and a text file's is (file, 0);
- every broken record is quarantined with its file, its line and a reason naming what is wrong;
- a truncated stream keeps a prefix of the good rows and quarantines the break once.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import scratch_dir
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import tilth.ops.acquire.readers as readers
from tilth.exec.tasks import Task, run_task
from tilth.ops import build
from tilth.ops.acquire.intake import records_to_table
from tilth.storage.ids import row_ids
from tilth.storage.parts import list_parts

FUZZ = settings(max_examples=int(os.environ.get("TILTH_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
ONE_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), max_size=30)
BATCH = st.sampled_from([1, 2, 3, 7, 10_000])


def read_through_tasks(op, files: list[str]) -> tuple[list[dict], list[dict], int, int]:
    """Run the reader's task on each file (one shard each), as a run does; return the rows of its parts,
    its quarantine rows, and its counts (rows_in, quarantined), after checking they add up."""
    out = scratch_dir("fuzz-")
    key = uuid.uuid4().hex  # workers cache set-up operators by step key
    rows_in = rows_out = quarantined = 0
    for i, f in enumerate(files):
        stats = run_task(Task("read", key, op, str(out), f"s{i:05d}", [f]))
        assert stats.rows_in == stats.rows_out + stats.quarantined  # the reader drops nothing
        rows_in, rows_out, quarantined = rows_in + stats.rows_in, rows_out + stats.rows_out, quarantined + stats.quarantined
    parts = [pq.read_table(p) for p in list_parts(out)]
    rows = [r for t in parts for r in t.to_pylist()]
    bad = [r for p in list_parts(out / "quarantine") for r in pq.read_table(p).to_pylist()]
    assert len(rows) == rows_out and len(bad) == quarantined
    return rows, bad, rows_in, quarantined


def ids(rel: str, positions: list[int]) -> list[int]:
    return [int(row_ids(rel, p, 1)[0]) for p in positions]


# -- JSONL (plain, .gz, .zst) --------------------------------------------------------------------------------
JSONL_BAD = {  # kind -> (line bytes, reason the quarantine row starts with)
    "bad_json": (lambda t: b'{"text": "unterminated', "invalid JSON"),
    # the text JSON-escaped: a raw newline in it would make the record two lines (two quarantine rows)
    "bad_utf8": (lambda t: b'{"text": "caf\xe9 ' + json.dumps(t)[1:-1].encode() + b'"}', "invalid UTF-8"),
    "array": (lambda t: json.dumps([t]).encode(), "expected a JSON object"),
    "json_null": (lambda t: b"null", "expected a JSON object"),
    "number_line": (lambda t: b"42", "expected a JSON object"),
    "text_number": (lambda t: json.dumps({"text": len(t), "n": 0}).encode(), "field 'text' is a number"),
    "text_object": (lambda t: json.dumps({"text": {"t": t}, "n": 0}).encode(), "field 'text' is an object"),
    "text_list": (lambda t: json.dumps({"text": [t], "n": 0}).encode(), "field 'text' is a list"),
    "text_bool": (lambda t: json.dumps({"text": True, "n": 0}).encode(), "field 'text' is a boolean"),
    "n_conflict": (lambda t: json.dumps({"text": t, "n": {"x": t}}).encode(), "field 'n' is an object here"),
}
RECORD = st.one_of(st.tuples(st.just("good"), TEXT),
                   st.tuples(st.sampled_from([*sorted(JSONL_BAD), "text_null", "text_missing"]), TEXT),
                   st.tuples(st.just("blank"), st.just("")))


def jsonl_file(records: list[tuple[str, str]], required: bool) -> tuple[bytes, list, list]:
    """(file bytes, expected kept [(line, text)], expected quarantined [(line, reason prefix)])."""
    lines, kept, bad = [], [], []
    seen_good = False
    for kind, text in records:
        if kind == "n_conflict" and not seen_good:
            kind = "bad_json"  # a conflict needs an earlier record that set the column's type
        # a null text is a record without one, kept, and so is a record without the field (validation names a
        # text field that no record has)
        if kind in ("text_null", "text_missing"):  # (JSON records each have their own fields)
            kind = "good_null"
        line = len(lines)
        if kind == "good":
            lines.append(json.dumps({"text": text, "n": line}).encode())
            kept.append((line, text))
            seen_good = True
        elif kind == "good_null":
            lines.append(json.dumps({"text": None, "n": line}).encode())
            kept.append((line, None))
        elif kind == "blank":
            lines.append(b"   ")
        else:
            make, reason = JSONL_BAD[kind]
            lines.append(make(text))
            bad.append((line, reason))
    return b"".join(ln + b"\n" for ln in lines), kept, bad


@FUZZ
@given(files=st.lists(st.lists(RECORD, max_size=25), min_size=1, max_size=3), batch=BATCH,
       codec=st.sampled_from(["", ".gz", ".zst"]), required=st.booleans(),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_jsonl_random_mixtures(files, batch, codec, required, cut):
    folder = scratch_dir("jsonl-")
    expected, paths, truncated = {}, [], {}
    for i, records in enumerate(files):
        raw, kept, bad = jsonl_file(records, required)
        packed = gzip.compress(raw) if codec == ".gz" else zstandard.ZstdCompressor().compress(raw) if codec else raw
        if codec and cut is not None and i == 0 and raw:
            packed = packed[: int(len(packed) * cut * 0.9)]  # never the whole stream
            if packed:
                truncated[f"f{i}.jsonl{codec}"] = True
                event("jsonl: truncated stream")
            else:
                kept, bad = [], []  # a 0-byte file is an empty file, not a broken one
        path = folder / f"f{i}.jsonl{codec}"
        path.write_bytes(packed)
        paths.append(str(path))
        expected[path.name] = (kept, bad)
    op = build("read_jsonl", {"path": str(folder), "batch_size": batch, **({"text": "text"} if required else {})})
    rows, quarantine, rows_in, n_bad = read_through_tasks(op, sorted(op.files()))
    for name, (kept, bad) in expected.items():
        got_rows = [r for r in rows if r["_id"] in set(ids(name, [ln for ln, _ in kept])) or False]
        got_bad = sorted((q["line"], q["error"]) for q in quarantine if Path(q["file"]).name == name)
        if name in truncated:
            brk = [q for q in got_bad if "unreadable" in q[1] or "breaks after line" in q[1]]
            assert len(brk) == 1, got_bad
            limit = brk[0][0] - 1 if brk[0][0] > 0 else 0  # lines before the break
            kept = [k for k in kept if k[0] < limit]
            bad = [b for b in bad if b[0] < limit]
            got_bad = [q for q in got_bad if q not in brk]
        assert [(r["_id"], r["text"]) for r in got_rows] == list(zip(ids(name, [ln for ln, _ in kept]),
                                                                     [t for _, t in kept], strict=True))
        assert [q[0] for q in got_bad] == [ln + 1 for ln, _ in bad]
        for (_, error), (_, reason) in zip(got_bad, bad, strict=True):
            assert error.startswith(reason), (error, reason)
    assert rows_in == len(rows) + n_bad


# -- CSV ---------------------------------------------------------------------------------------------------------
CSV_RECORD = st.one_of(st.tuples(st.just("good"), TEXT),
                       st.tuples(st.sampled_from(["fields", "bad_utf8", "n_conflict", "n_conflict"]), ONE_LINE))


@FUZZ
@given(files=st.lists(st.lists(CSV_RECORD, max_size=40), min_size=1, max_size=3), batch=BATCH,
       block=st.sampled_from([64, 1 << 22]))
def test_csv_random_mixtures(files, batch, block):
    folder = scratch_dir("csv-")
    expected = {}
    for i, records in enumerate(files):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")  # so a lone \r in a value is quoted
        w.writerow(["n", "text"])
        chunks, kept, bad = [buf.getvalue().encode()], [], []
        line, multiline, good_bytes = 2, False, 0
        for k, (kind, text) in enumerate(records):
            # Arrow infers int64 from the first block with valid rows only: a conflict needs to come later than
            # that (rows with the wrong field count before it are skipped, so they do not count)
            if kind == "n_conflict" and (good_bytes < 4 * block or block > 1000):
                kind = "fields"
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n")  # so a lone \r in a value is quoted
            if kind == "good":
                w.writerow([k, text])
                kept.append(text)
                good_bytes += len(buf.getvalue().encode())
            elif kind == "fields":
                w.writerow([k, text, "extra"])
                bad.append((line, "CSV: expected 2 fields, got 3"))
            elif kind == "n_conflict":
                w.writerow([f"x{k}", text])
                bad.append((line, "CSV: column 'n': "))
                event("csv: a value that no longer converts")
            data = buf.getvalue().encode()
            if kind == "bad_utf8":
                data = b"%d,bad \xff\n" % k
                bad.append((line, "invalid UTF-8"))
            multiline |= data.count(b"\n") > 1
            line += data.count(b"\n")
            chunks.append(data)
        path = folder / f"f{i}.csv"
        path.write_bytes(b"".join(chunks))
        expected[path.name] = (kept, bad, multiline)
    readers.CSV_BLOCK_SIZE, old = block, readers.CSV_BLOCK_SIZE
    try:
        op = build("read_csv", {"path": str(folder), "batch_size": batch})
        rows, quarantine, rows_in, n_bad = read_through_tasks(op, sorted(op.files()))
    finally:
        readers.CSV_BLOCK_SIZE = old
    for name, (kept, bad, multiline) in expected.items():
        mine = set(ids(name, range(len(kept))))
        got = [(r["_id"], r["text"]) for r in rows if r["_id"] in mine]
        assert got == list(zip(ids(name, range(len(kept))), kept, strict=True))  # as if the bad rows were not there
        got_bad = sorted((q["line"], q["error"]) for q in quarantine if Path(q["file"]).name == name)
        assert len(got_bad) == len(bad)
        if not multiline:  # a value with a newline makes Arrow's row numbers approximate
            assert [q[0] for q in got_bad] == [b[0] for b in bad]
            assert all(e.startswith(r) for (_, e), (_, r) in zip(got_bad, bad, strict=True)), (got_bad, bad)
    assert rows_in == len(rows) + n_bad


# -- Parquet and Arrow -----------------------------------------------------------------------------------------
COLUMNAR_FILE = st.one_of(
    st.tuples(st.just("rows"), st.lists(st.one_of(TEXT, st.none()), max_size=25)),
    st.tuples(st.sampled_from(["int_text", "garbage", "truncated", "no_text"]), st.integers(0, 20)),
)


def _columnar(kind, value, path: Path, fmt: str, required: bool):
    """Write one file; return (expected kept [(row, text)], expected bad [(line, reason prefix)])."""
    if kind == "rows":
        table = pa.table({"text": pa.array(value, pa.string()), "n": list(range(len(value)))})
        kept = list(enumerate(value))  # (a null text is kept: a row without one)
        bad = []
    elif kind == "int_text":
        table = pa.table({"text": list(range(value))})
        kept, bad = [], [(i + 1, "field 'text' is a number") for i in range(value)]
    elif kind == "no_text":
        table = pa.table({"other": [str(i) for i in range(value)]})
        kept = [(i, None) for i in range(value)] if not required else []
        bad = [(0, "no column 'text'")] if required else []
    else:
        table = pa.table({"text": [f"t{i}" for i in range(max(value, 1))]})
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=4)
    else:
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            for b in table.to_batches(max_chunksize=4):
                w.write_batch(b)
    if kind == "garbage":
        path.write_bytes(os.urandom(value + 1))
        return [], [(0, "unreadable")]
    if kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
        return None, None  # some prefix of rows, then one break (checked below)
    return kept, bad


@FUZZ
@given(files=st.lists(COLUMNAR_FILE, min_size=1, max_size=4), batch=BATCH, fmt=st.sampled_from(["parquet", "arrow"]),
       required=st.booleans())
def test_parquet_and_arrow_random_mixtures(files, batch, fmt, required):
    folder = scratch_dir(f"{fmt}-")
    expected = {}
    for i, (kind, value) in enumerate(files):
        path = folder / f"f{i}.{fmt}"
        expected[path.name] = _columnar(kind, value, path, fmt, required)
    op = build(f"read_{fmt}", {"path": str(folder), "batch_size": batch, **({"text": "text"} if required else {})})
    rows, quarantine, rows_in, n_bad = read_through_tasks(op, sorted(op.files()))
    for name, (kept, bad) in expected.items():
        got_bad = sorted((q["line"], q["error"]) for q in quarantine if Path(q["file"]).name == name)
        if kept is None:  # truncated: a prefix of t0, t1, ... then one quarantine row
            mine = [r for r in rows if r["_id"] in set(ids(name, range(25)))]
            assert [r["text"] for r in mine] == [f"t{i}" for i in range(len(mine))]
            assert len(got_bad) == 1
            continue
        mine = set(ids(name, [p for p, _ in kept]))
        got = [(r["_id"], r.get("text")) for r in rows if r["_id"] in mine]
        assert got == list(zip(ids(name, [p for p, _ in kept]), [t for _, t in kept], strict=True))
        assert [q[0] for q in got_bad] == [b[0] for b in bad]
        assert all(e.startswith(r) for (_, e), (_, r) in zip(got_bad, bad, strict=True)), (got_bad, bad)
    assert rows_in == len(rows) + n_bad


# -- text files -----------------------------------------------------------------------------------------------
TEXT_FILE = st.one_of(st.tuples(st.just("good"), TEXT), st.tuples(st.sampled_from(["bad_utf8", "binary"]), TEXT))


@FUZZ
@given(files=st.lists(TEXT_FILE, min_size=1, max_size=6), batch=st.sampled_from([1, 2, 100]))
def test_text_files_random_mixtures(files, batch):
    folder = scratch_dir("txt-")
    kept, bad = [], []
    for i, (kind, text) in enumerate(files):
        name = f"f{i}.txt"
        if kind == "good":
            (folder / name).write_text(text, encoding="utf-8", newline="")
            kept.append((name, text))
        elif kind == "bad_utf8":
            data = text.encode() + b"\n\xff\xfe"
            (folder / name).write_bytes(data)
            bad.append((name, data.count(b"\n") + 1 - (0 if data.endswith(b"\n") else 0), "invalid UTF-8"))
        else:
            (folder / name).write_bytes(text.encode() + b"\x00\x01")
            bad.append((name, 0, "binary file"))
    op = build("read_text_files", {"path": str(folder), "batch_size": batch})
    shards = op.shards()
    out = scratch_dir("fuzz-")
    key = uuid.uuid4().hex
    for i, shard in enumerate(shards):
        stats = run_task(Task("read", key, op, str(out), f"s{i:05d}", shard))
        assert stats.rows_in == stats.rows_out + stats.quarantined
    rows = [r for p in list_parts(out) for r in pq.read_table(p).to_pylist()]
    got_bad = sorted((Path(r["file"]).name, r["line"], r["error"]) for p in list_parts(out / "quarantine")
                     for r in pq.read_table(p).to_pylist())
    assert sorted((r["path"], r["_id"], r["text"]) for r in rows) == sorted(
        (n, ids(n, [0])[0], t) for n, t in kept)
    assert [(n, ln) for n, ln, _ in got_bad] == [(n, ln) for n, ln, _ in sorted(bad)]
    assert all(e.startswith(r) for (_, _, e), (_, _, r) in zip(got_bad, sorted(bad), strict=True))


# -- the core: JSON records with any values -------------------------------------------------------------------
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=6)
JSON_RECORD = st.dictionaries(st.sampled_from(["text", "a", "b"]), JSON_VALUE, max_size=3)


@settings(max_examples=150, deadline=None)
@given(st.lists(JSON_RECORD, max_size=12), st.booleans())
def test_records_to_table_never_raises_and_keeps_every_good_value(records, required):
    table, bad = records_to_table(records, None, "text", required)
    left_out = {i for i, _ in bad}
    good = [r for i, r in enumerate(records) if i not in left_out]
    assert table.num_rows == len(good) and len(left_out) == len(bad)
    if "text" in table.column_names:
        assert table.schema.field("text").type == pa.string()
    for name in table.column_names:
        for got, rec in zip(table.column(name).to_pylist(), good, strict=True):
            assert _same(got, rec.get(name)), (name, got, rec.get(name))
    for i, r in enumerate(records):
        if i not in left_out:
            v = r.get("text")
            assert isinstance(v, str) or v is None  # (null is kept: a record without a text)


def _same(got, want) -> bool:
    """Equal up to what Arrow's type unification does without loss: ints widened to floats, missing
    struct fields as None."""
    if want is None:
        return got is None or (isinstance(got, dict) and all(v is None for v in got.values()))
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want or got == want and type(got) is type(want)
    if isinstance(want, int | float) and isinstance(got, int | float):
        return float(got) == float(want)
    if isinstance(want, dict):
        return isinstance(got, dict) and set(want) <= set(got) and all(
            _same(got[k], want.get(k)) for k in got)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(itertools.starmap(_same, zip(got, want,
                                                                                                      strict=True)))
    return got == want


@pytest.mark.parametrize("required", [True, False])
@pytest.mark.parametrize("content", ['{"text": "x"}\nnull\n{"text": "y"}\n', 'null\n{"text": "x"}\n{"text": "y"}\n'])
def test_null_line_is_not_a_row_and_does_not_crash(tmp_path, required, content):
    """Arrow's JSON parser reads a `null` line as a row of nulls, and segfaults (pyarrow 26) on a block
    that starts with one: such a line is quarantined as not an object, in the Python path."""
    (tmp_path / "a.jsonl").write_text(content)
    op = build("read_jsonl", {"path": str(tmp_path), **({"text": "text"} if required else {})})
    rows, bad, _, _ = read_through_tasks(op, op.files())
    assert [r["text"] for r in rows] == ["x", "y"]
    assert [(q["line"], q["error"]) for q in bad] == [(content.split("\n").index("null") + 1,
                                                       "expected a JSON object, got NoneType")]


@pytest.mark.parametrize("reader,name", [
    ("read_jsonl", "a.jsonl"), ("read_jsonl", "a.jsonl.gz"), ("read_jsonl", "a.jsonl.zst"), ("read_csv", "a.csv"),
    ("read_parquet", "a.parquet"), ("read_arrow", "a.arrow"), ("read_text_files", "a.txt"), ("read_html", "a.html"),
    ("read_warc", "a.warc"), ("read_pdf", "a.pdf")])
def test_every_reader_quarantines_a_file_it_cannot_open(tmp_path, reader, name):
    """A file listed but gone (or unreadable) when its shard is read is one quarantine row, line 0."""
    (tmp_path / name).write_bytes(b"x")
    op = build(reader, {"path": str(tmp_path)})
    shards = op.shards()
    (tmp_path / name).unlink()
    items = [item for shard in shards for item in op.read(shard)]
    bad = [i for i in items if not isinstance(i, pa.Table)]
    assert len(bad) == 1 and bad[0].line == 0 and "No such file" in bad[0].error, bad
    assert sum(t.num_rows for t in items if isinstance(t, pa.Table)) == 0
