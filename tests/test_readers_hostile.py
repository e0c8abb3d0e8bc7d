"""Readers on hostile input found in an audit: byte order marks, files cut mid-record, symlinks leaving the
input root and symlink loops, documents without text. Each test failed before its fix; small real inputs,
exact expectations."""

from __future__ import annotations

import gzip
import json

import pytest
import zstandard
from reader_helpers import read_all

from tilth.ops import build
from tilth.storage.ids import row_ids

BOM = b"\xef\xbb\xbf"
LINES = b"".join(json.dumps({"text": f"doc {i}", "n": i}).encode() + b"\n" for i in range(5))


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
@pytest.mark.parametrize("limit", [None, 3])
def test_jsonl_byte_order_mark_does_not_cost_the_first_record(tmp_path, suffix, limit):
    """Windows tools start UTF-8 files with a BOM; the first record used to be quarantined as invalid JSON."""
    raw = BOM + LINES.replace(b"\n", b"\r\n")
    path = tmp_path / f"in.jsonl{suffix}"
    path.write_bytes({"": raw, ".gz": gzip.compress(raw) if suffix == ".gz" else b"",
                      ".zst": zstandard.ZstdCompressor().compress(raw)}[suffix])
    table, bad = read_all(build("read_jsonl", {"path": str(path), "limit": limit}))
    n = limit or 5
    assert bad == []
    assert table.column("text").to_pylist() == [f"doc {i}" for i in range(n)]
    assert table.column("_id").to_pylist() == row_ids("in.jsonl" + suffix, 0, n).tolist()
