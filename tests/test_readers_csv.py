"""read_csv never loses a line: each physical line is in a kept row or in a quarantine row (with its file,
line and reason), and a broken quote costs only the lines up to the line where it opened."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest
from conftest import scratch_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reader_helpers import read_all

import tilth.ops.acquire.readers as readers
from tilth.ops import build
from tilth.ops.base import Quarantined

AT_END = "CSV: unterminated quote (not closed by the end of the file)"
STRAY = "CSV: text after the closing quote of a value (a stray quote?)"


def read(folder: Path, data: bytes, name: str = "t.csv", **params) -> tuple[list[dict], list[tuple[int, str]]]:
    """(kept rows without `_id`, sorted (line, reason) of the quarantined ones)."""
    path = folder / name
    path.write_bytes(data)
    table, bad = read_all(build("read_csv", {"path": str(path), **params}))
    assert all(Path(b.file) == path for b in bad)
    rows = [] if table is None else table.drop_columns(["_id"]).to_pylist()
    return rows, sorted((b.line, b.error) for b in bad)


def texts(rows: list[dict]) -> list[str]:
    return [r["text"] for r in rows]


def test_unterminated_quote_in_the_middle_keeps_the_rows_after_it(tmp_path):
    rows, bad = read(tmp_path, b'text,label\na,1\n"bad,2\nc,3\nd,4\n')
    assert rows == [{"text": "a", "label": 1}, {"text": "c", "label": 3}, {"text": "d", "label": 4}]
    assert bad == [(3, AT_END)]


def test_unterminated_quote_past_the_line_limit(tmp_path):
    data = b'text,label\na,1\n"bad,2\n' + b"".join(b"r%d,%d\n" % (i, i) for i in range(5))
    rows, bad = read(tmp_path, data, max_quoted_lines=2)
    assert texts(rows) == ["a", "r0", "r1", "r2", "r3", "r4"]
    assert bad == [(3, "CSV: unterminated quote (not closed within 2 lines)")]


def test_a_stray_quote_does_not_pair_with_the_next_rows_quote(tmp_path):
    """In a file of quoted values a stray quote closes at the next row's opening quote; the text after
    that 'closing' quote gives it away, and only the stray quote's line is quarantined."""
    rows, bad = read(tmp_path, b'text,label\n"a",1\n"bad,2\n"c",3\n"d",4\n')
    assert texts(rows) == ["a", "c", "d"]
    assert bad == [(3, STRAY)]


def test_unterminated_quote_at_the_end_of_the_file(tmp_path):
    rows, bad = read(tmp_path, b'text,label\na,1\nb,2\n"bad,3')  # no newline at the end
    assert texts(rows) == ["a", "b"] and bad == [(4, AT_END)]
    rows, bad = read(tmp_path, b'text,label\na,1\n"bad\nmore,3\n')  # the line after it is a row again
    assert texts(rows) == ["a", "more"] and bad == [(3, AT_END)]


def test_a_row_is_quarantined_through_the_line_where_its_broken_quote_opened(tmp_path):
    rows, bad = read(tmp_path, b'text,label\n"two\nlines","open\nx,1\n')
    assert texts(rows) == ["x"]
    assert bad == [(2, AT_END + " (lines 2-3)")]


def test_legitimate_multiline_quoted_values_are_kept_intact(tmp_path):
    data = b'text,label\n"one\ntwo",1\n"x ""quoted"", a, comma\n\nand a blank line",2\nlast,3\n'
    rows, bad = read(tmp_path, data)
    assert texts(rows) == ["one\ntwo", 'x "quoted", a, comma\n\nand a blank line', "last"]
    assert bad == []


def test_the_line_limit_is_inclusive(tmp_path):
    data = b'text,label\n"l1\nl2\nl3",1\nz,2\n'
    rows, bad = read(tmp_path, data, max_quoted_lines=3)
    assert texts(rows) == ["l1\nl2\nl3", "z"] and bad == []
    # one line over: the value's first line is quarantined and the next lines are read as rows (a quote in
    # the middle of an unquoted field is text, as in Arrow and Python's csv)
    rows, bad = read(tmp_path, data, max_quoted_lines=2)
    assert rows == [{"text": 'l3"', "label": 1}, {"text": "z", "label": 2}]
    assert bad == [(2, "CSV: unterminated quote (not closed within 2 lines)"), (3, "CSV: expected 2 fields, got 1")]


def test_wrong_field_counts(tmp_path):
    data = b'text,label\na,1\ntoo,many,3\nfew\n"multi\nline",4,extra\nb,5\n'
    rows, bad = read(tmp_path, data)
    assert texts(rows) == ["a", "b"]
    assert bad == [(3, "CSV: expected 2 fields, got 3"), (4, "CSV: expected 2 fields, got 1"),
                   (5, "CSV: expected 2 fields, got 3 (lines 5-6)")]


def test_crlf_line_endings(tmp_path):
    rows, bad = read(tmp_path, b'text,label\r\na,1\r\n"x\r\ny",2\r\nb,3,extra\r\n"open,4\r\nc,5\r\n')
    assert rows == [{"text": "a", "label": 1}, {"text": "x\r\ny", "label": 2}, {"text": "c", "label": 5}]
    assert bad == [(5, "CSV: expected 2 fields, got 3"), (6, AT_END)]


def test_byte_order_mark(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'\xef\xbb\xbftext,label\na,1\n"b",2\n')
    table, bad = read_all(build("read_csv", {"path": str(path), "text": "text"}))
    assert table.column_names == ["_id", "text", "label"] and table.column("text").to_pylist() == ["a", "b"]
    assert bad == []


def test_nul_byte_is_kept_in_its_value(tmp_path):
    rows, bad = read(tmp_path, b'text,label\na\x00b,1\n"c\x00",2\n')
    assert texts(rows) == ["a\x00b", "c\x00"] and bad == []


def test_invalid_utf8_lines_are_taken_out_before_quotes_are_read(tmp_path):
    """Line 5 is invalid inside a quoted value: without it the quote of line 4 never closes. Line numbers
    stay physical although two lines were taken out."""
    data = b'text,label\na,1\nb\xff,2\n"multi\nli\xffne",3\nc,4\n'
    rows, bad = read(tmp_path, data)
    assert texts(rows) == ["a", "c"]
    assert bad == [(3, "invalid UTF-8 at byte 1"), (4, AT_END), (5, "invalid UTF-8 at byte 2")]


def test_small_blocks_multiline_last_row_after_a_wrong_row(tmp_path, monkeypatch):
    """The user trial: a record longer than a block used to end the file ('straddles two block
    boundaries'); a block of 64 bytes must give what the default block gives."""
    data = (b"text,label\n" + b"".join(b"row%d,%d\n" % (i, i) for i in range(6)) + b"b,2,extra\n"
            + b'"multi\nline ' + b"y" * 150 + b'\nend",4')
    expected = read(tmp_path, data)
    assert texts(expected[0]) == [f"row{i}" for i in range(6)] + ["multi\nline " + "y" * 150 + "\nend"]
    assert expected[1] == [(8, "CSV: expected 2 fields, got 3")]
    monkeypatch.setattr(readers, "CSV_BLOCK_SIZE", 64)
    assert read(tmp_path, data) == expected
    assert read(tmp_path, data, batch_size=2) == expected


def test_a_value_that_does_not_convert_later_keeps_line_numbers(tmp_path, monkeypatch):
    """Column types come from the first chunk; a later chunk with a value that does not fit goes through
    Python's csv module, which quarantines that row alone (multi-line rows before it keep the count)."""
    monkeypatch.setattr(readers, "CSV_BLOCK_SIZE", 64)
    data = (b"n,text\n" + b"".join(b"%d,t%d\n" % (i, i) for i in range(30)) + b'30,"two\nlines"\n'
            + b'eleven,"x\ny"\n32,t32,extra\n33,t33\n')
    rows, bad = read(tmp_path, data)
    assert [r["n"] for r in rows] == [*range(31), 33]
    assert rows[30]["text"] == "two\nlines"
    assert bad == [(34, "CSV: column 'n': 'eleven' is not int64 like the rows before (lines 34-35)"),
                   (36, "CSV: expected 2 fields, got 3")]


def test_header_only_and_empty_files(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"text,label\n")
    table, bad = read_all(build("read_csv", {"path": str(path)}))
    assert table.num_rows == 0 and table.column_names == ["_id", "text", "label"] and bad == []
    assert read(tmp_path, b"", name="e.csv") == ([], [])


# -- every line is accounted for ---------------------------------------------------------------------------
LINE = st.lists(st.sampled_from([b"a", b"1", b",", b'"', b'""', b"\xff", b"\x00", b" "]), min_size=1,
                max_size=8).map(b"".join)


def lines_of(line: int, reason: str) -> range:
    """The lines a quarantine row covers: its reason names them when there is more than one."""
    m = re.search(r"\(lines (\d+)-(\d+)\)$", reason)
    return range(int(m.group(1)), int(m.group(2)) + 1) if m else range(line, line + 1)


@settings(max_examples=int(os.environ.get("TILTH_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LINE, max_size=30), crlf=st.booleans(), last_newline=st.booleans(),
       block=st.sampled_from([64, 1 << 22]), max_quoted_lines=st.sampled_from([1, 3, 10_000]))
def test_every_line_is_kept_or_quarantined(lines, crlf, last_newline, block, max_quoted_lines):
    """Random CSV-ish lines (quotes, separators, invalid UTF-8, NUL; no blank lines, which are skipped):
    nothing raises, and header + the lines of the kept rows + the lines quarantine rows cover = the lines
    of the file. A kept row covers 1 + the newlines in its values (an invalid UTF-8 line taken out of the
    middle of a value is quarantined on its own)."""
    end = b"\r\n" if crlf else b"\n"
    data = end.join([b"a,b", *lines]) + (end if last_newline else b"")
    readers.CSV_BLOCK_SIZE, old = block, readers.CSV_BLOCK_SIZE
    try:
        rows, bad = read(scratch_dir("csvlines-"), data, max_quoted_lines=max_quoted_lines)
    finally:
        readers.CSV_BLOCK_SIZE = old
    kept = sum(1 + sum(v.count("\n") for v in r.values() if isinstance(v, str)) for r in rows)
    # a quarantined record may span an invalid UTF-8 line that has its own quarantine row: count lines once
    quarantined = set().union(*(lines_of(line, reason) for line, reason in bad))
    assert 1 + kept + len(quarantined) == 1 + len(lines)
    assert len({line for line, _ in bad}) == len(bad)  # one quarantine row per broken record


@pytest.mark.parametrize("delimiter,name", [(";", "t.csv"), (",", "t.tsv")])
def test_other_delimiters(tmp_path, delimiter, name):
    sep = b"\t" if name.endswith(".tsv") else delimiter.encode()
    data = sep.join([b"text", b"label"]) + b"\n" + sep.join([b'"a' + sep + b'b"', b"1"]) + b"\n\"open\nc" + sep + b"2\n"
    rows, bad = read(tmp_path, data, name=name, delimiter=delimiter)
    assert texts(rows) == ["a" + sep.decode() + "b", "c"] and bad == [(3, AT_END)]


@settings(max_examples=int(os.environ.get("TILTH_FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(st.sampled_from([b"a", b"1", b",", b'"', b"\n", b"\r", b"\r\n", b"\xff", b"\x00", b"\xef\xbb\xbf"]),
                     max_size=60).map(b"".join), block=st.sampled_from([64, 1 << 22]))
def test_any_bytes_never_raise(data, block):
    """Any bytes (lone \\r, blank lines, a BOM anywhere): nothing raises, and every quarantine row names a
    line of the file (or 0: the whole file)."""
    path = scratch_dir("csvbytes-") / "t.csv"
    path.write_bytes(data)
    op = build("read_csv", {"path": str(path)})
    readers.CSV_BLOCK_SIZE, old = block, readers.CSV_BLOCK_SIZE
    try:  # not read_all: a header like `,` names two columns "", which one table cannot hold twice
        bad = [(q.line, q.error) for q in op.read(op.files()) if isinstance(q, Quarantined)]
    finally:
        readers.CSV_BLOCK_SIZE = old
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    assert all(0 <= line <= n_lines for line, _ in bad)


def test_gzip_and_a_truncated_gzip(tmp_path):
    data = b'text,label\na,1\n"bad,2\n' + b"".join(b"r%d,%d\n" % (i, i) for i in range(20_000))
    rows, bad = read(tmp_path, gzip.compress(data), name="t.csv.gz")
    assert len(rows) == 20_001 and bad == [(3, "CSV: unterminated quote (not closed within 10000 lines)")]
    rows, bad = read(tmp_path, gzip.compress(data)[:-2000], name="u.csv.gz")
    # every whole line before the break is read; the line where it breaks is the quarantined one
    assert texts(rows) == ["a"] + [f"r{i}" for i in range(len(rows) - 1)]
    assert [line for line, _ in bad] == [3, len(rows) + 3]
    assert bad[1][1].startswith(f"file breaks after line {len(rows) + 2} (truncated or corrupt): ")


def test_limit_reads_at_most_that_many_rows_per_file(tmp_path):
    data = ("id,text\n" + "".join(f"{i},row {i}\n" for i in range(50))).encode()
    rows, bad = read(tmp_path, data, limit=7, batch_size=3)
    assert texts(rows) == [f"row {i}" for i in range(7)] and bad == []
