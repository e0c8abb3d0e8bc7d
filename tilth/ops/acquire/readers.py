"""Readers for local files: JSONL (plain, .gz, .zst), Parquet, CSV and a directory of text files.

Each input file (or group of small text files) is a shard; shards are read in parallel and cut into parts
of at most `batch_size` rows. A malformed record (broken JSON, bad UTF-8, a CSV row with the wrong number
of fields) is quarantined with its file and line, and the run goes on.
"""

from __future__ import annotations

import collections
import glob
import gzip
import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from pydantic import Field

from tilth.ops.base import Params, Quarantined, Reader
from tilth.ops.registry import register
from tilth.storage.ids import row_ids

RAW_LIMIT = 2000  # characters of a bad record kept in quarantine


class FileReaderParams(Params):
    path: str = Field(description="A file, a directory (read recursively) or a glob pattern.")
    batch_size: int = Field(10_000, ge=1, le=10_000_000, description="Rows per part: the unit of parallelism and resume.")
    text: str | None = Field(None, description="Name of the input field holding the document text; renamed to `text`.")
    limit: int | None = Field(None, ge=1, description="Read at most this many records per file (for sampling).")


class FileReader(Reader):
    """Shared behaviour: file discovery, stable ids, renaming the text field."""

    patterns: tuple[str, ...] = ()
    Params = FileReaderParams
    outputs = ("_id",)

    def source_root(self) -> str:
        p = self.params.path
        if os.path.isdir(p):
            return os.path.abspath(p)
        if any(ch in p for ch in "*?["):
            return os.path.abspath(_glob_base(p))
        return os.path.abspath(os.path.dirname(p) or ".")

    def files(self) -> list[str]:
        p = self.params.path
        if os.path.isdir(p):
            found = [str(f) for pat in self.patterns for f in Path(p).rglob(pat) if f.is_file()]
        elif any(ch in p for ch in "*?["):
            found = [f for f in glob.glob(p, recursive=True) if os.path.isfile(f)]
        elif os.path.isfile(p):
            found = [p]
        else:
            raise FileNotFoundError(f"{self.name}: input {p!r} does not exist")
        return sorted({os.path.abspath(f) for f in found})

    def shards(self) -> list[list[str]]:
        return [[f] for f in self.files()]

    def relpath(self, path: str) -> str:
        return os.path.relpath(path, self.source_root())

    def finish(self, table: pa.Table, path: str, records: np.ndarray) -> pa.Table:
        """Add `_id` (from file and record number) and rename the text field."""
        if "_id" in table.column_names:
            table = table.rename_columns(["_source_id" if c == "_id" else c for c in table.column_names])
        src = self.params.text
        if src and src != "text":
            if src not in table.column_names and table.num_rows == 0:
                table = table.append_column("text", pa.array([], pa.string()))  # every record was quarantined
            elif src not in table.column_names:
                raise KeyError(f"{self.name}: text field {src!r} not in input columns {table.column_names}")
            table = table.rename_columns(["text" if c == src else c for c in table.column_names])
        ids = _ids_for_records(self.relpath(path), records)
        return table.add_column(0, "_id", pa.array(ids, pa.int64()))


def _ids_for_records(source: str, records: np.ndarray) -> np.ndarray:
    if len(records) == 0:
        return np.empty(0, np.int64)
    first, last = int(records.min()), int(records.max())
    return row_ids(source, first, last - first + 1)[records - first]


def _glob_base(pattern: str) -> str:
    base = []
    for part in Path(pattern).parts:
        if any(ch in part for ch in "*?["):
            break
        base.append(part)
    return str(Path(*base)) if base else "."


def open_maybe_compressed(path: str) -> io.BufferedIOBase:
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".zst") or path.endswith(".zstd"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True))
    return open(path, "rb")


@register
class JsonlReader(FileReader):
    name = "read_jsonl"
    description = """Read JSON Lines files (plain, .gz or .zst), one object per line. Broken JSON and
    invalid UTF-8 lines are quarantined with file and line; blank lines are skipped."""
    examples = (
        "load JSON lines",
        "read a .jsonl.gz dump",
    )
    patterns = ("*.jsonl", "*.jsonl.gz", "*.jsonl.zst", "*.json.gz", "*.ndjson")

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        for path in shard:
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[pa.Table | Quarantined]:
        schema = None
        lines: list[bytes] = []
        numbers: list[int] = []
        seen = 0
        limit = self.params.limit
        with open_maybe_compressed(path) as fh:
            for lineno, line in enumerate(fh):
                if limit is not None and seen >= limit:
                    break
                if not line.strip():
                    continue
                seen += 1
                lines.append(line)
                numbers.append(lineno)
                if len(lines) >= self.params.batch_size:
                    table, bad, schema = self._parse(path, lines, numbers, schema)
                    yield from bad
                    yield table
                    lines, numbers = [], []
        if lines:
            table, bad, schema = self._parse(path, lines, numbers, schema)
            yield from bad
            yield table

    def _parse(self, path, lines, numbers, schema):
        """Fast path: Arrow's JSON parser on the whole block. Slow path only if the block has a bad line."""
        block = b"".join(ln if ln.endswith(b"\n") else ln + b"\n" for ln in lines)
        try:
            block.decode("utf-8")  # Arrow's JSON parser lets invalid UTF-8 through into string columns
            table = _read_json_block(block, schema)
            if table.num_rows == len(lines):
                return self.finish(table, path, np.asarray(numbers)), [], schema or table.schema
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
            pass
        import orjson

        good, good_numbers, bad = [], [], []
        for ln, num in zip(lines, numbers, strict=True):
            try:
                ln.decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append(Quarantined(path, num + 1, f"invalid UTF-8 at byte {e.start}", _raw(ln)))
                continue
            try:
                obj = orjson.loads(ln)
            except orjson.JSONDecodeError as e:
                bad.append(Quarantined(path, num + 1, f"invalid JSON: {e}", _raw(ln)))
                continue
            if not isinstance(obj, dict):
                bad.append(Quarantined(path, num + 1, f"expected a JSON object, got {type(obj).__name__}", _raw(ln)))
                continue
            good.append(obj)
            good_numbers.append(num)
        if good:
            try:
                table = pa.Table.from_pylist(good, schema=schema) if schema is not None else pa.Table.from_pylist(good)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                table = pa.Table.from_pylist(good)
        else:
            table = pa.table({}) if schema is None else schema.empty_table()
        return self.finish(table, path, np.asarray(good_numbers, dtype=np.int64)), bad, schema or table.schema


def _read_json_block(data: bytes, schema: pa.Schema | None) -> pa.Table:
    opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer") if schema else None
    return pajson.read_json(io.BytesIO(data), parse_options=opts, read_options=pajson.ReadOptions(block_size=1 << 26))


def _raw(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\n")[:RAW_LIMIT]


@register
class ParquetReader(FileReader):
    name = "read_parquet"
    description = """Read Parquet files in bounded batches. A file that cannot be opened is quarantined
    whole (line 0) and the run goes on."""
    examples = (
        "load parquet files",
        "read a Hugging Face parquet shard",
    )
    patterns = ("*.parquet",)

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        for path in shard:
            try:
                pf = pq.ParquetFile(path)
            except (pa.ArrowInvalid, OSError) as e:
                yield Quarantined(path, 0, f"unreadable Parquet file: {e}", "")
                continue
            start = 0
            for batch in pf.iter_batches(batch_size=self.params.batch_size):
                n = batch.num_rows
                if self.params.limit is not None:
                    n = min(n, self.params.limit - start)
                if n <= 0:
                    break
                yield self.finish(pa.Table.from_batches([batch.slice(0, n)]), path, np.arange(start, start + n))
                start += n


class CsvParams(FileReaderParams):
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator.")


@register
class CsvReader(FileReader):
    name = "read_csv"
    description = """Read CSV files with a header row, streaming. Rows with the wrong number of fields and
    lines that are not valid UTF-8 are quarantined with their line number."""
    examples = (
        "load a CSV file",
        "read a spreadsheet export with a header row",
    )
    patterns = ("*.csv", "*.csv.gz", "*.tsv")
    Params = CsvParams

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        for path in shard:
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[pa.Table | Quarantined]:
        bad: list[Quarantined] = []
        delim = "\t" if path.endswith(".tsv") and self.params.delimiter == "," else self.params.delimiter
        source = _Utf8Lines(open_maybe_compressed(path), path, bad)

        def on_invalid(row) -> str:
            line = source.physical_line(row.number) if row.number and row.number > 0 else source.find_line(row.text)
            bad.append(Quarantined(path, line, f"CSV: expected {row.expected_columns} fields, got {row.actual_columns}", (row.text or "")[:RAW_LIMIT]))
            return "skip"

        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=False),
        )
        record = 0
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in reader:
            yield from bad
            bad.clear()
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= self.params.batch_size:
                table = pa.Table.from_batches(pending).combine_chunks()
                head, rest = table.slice(0, self.params.batch_size), table.slice(self.params.batch_size)
                yield self.finish(head, path, np.arange(record, record + head.num_rows))
                record += head.num_rows
                pending = rest.to_batches()
                pending_rows = rest.num_rows
        yield from bad
        if pending_rows or record == 0:
            table = pa.Table.from_batches(pending, schema=reader.schema)
            yield self.finish(table, path, np.arange(record, record + table.num_rows))


class _Utf8Lines(io.RawIOBase):
    """A byte stream that drops lines which are not valid UTF-8 (quarantining them) and remembers where
    it dropped them, so CSV row numbers can be mapped back to physical lines."""

    WINDOW = 100_000  # lines remembered for locating invalid rows (pyarrow reads ahead one block)

    def __init__(self, fh, path: str, bad: list[Quarantined]):
        self.fh, self.path, self.bad = fh, path, bad
        self.dropped: list[int] = []  # physical line numbers (1-based) removed
        self.lineno = 0
        self.buf = b""
        self.recent: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=self.WINDOW)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while len(self.buf) < len(b):
            line = self.fh.readline()
            if not line:
                break
            self.lineno += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                self.dropped.append(self.lineno)
                self.bad.append(Quarantined(self.path, self.lineno, f"invalid UTF-8 at byte {e.start}", _raw(line)))
                continue
            self.recent.append((self.lineno, line))
            self.buf += line
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n

    def find_line(self, row_text: str | None) -> int:
        """Physical line where an invalid row starts (pyarrow gives no row number when quoted values may
        span lines); rows are reported in order, so search the remembered lines front to back."""
        if not row_text:
            return -1
        first = row_text.split("\n", 1)[0].encode()
        while self.recent:
            lineno, line = self.recent.popleft()
            if line.rstrip(b"\r\n") == first:
                return lineno
        return -1

    def physical_line(self, logical: int) -> int:
        line = logical
        for d in self.dropped:
            if d <= line:
                line += 1
        return line

    def close(self) -> None:
        self.fh.close()
        super().close()


class TextFilesParams(FileReaderParams):
    glob: str = Field("*.txt", description="File name pattern inside the directory, e.g. '*.py' or '*.txt'.")
    max_bytes: int = Field(10_000_000, ge=1, description="Quarantine files larger than this many bytes.")


@register
class TextFilesReader(FileReader):
    name = "read_text_files"
    description = """Read a directory of text files, one row per file with columns `text` and `path`
    (relative to the directory). Files that are not valid UTF-8 or are too large are quarantined."""
    examples = (
        "load a directory of .txt files",
        "one row per text file",
    )
    outputs = ("_id", "text", "path")
    Params = TextFilesParams

    def files(self) -> list[str]:
        p = self.params.path
        if not os.path.isdir(p):
            raise FileNotFoundError(f"{self.name}: {p!r} is not a directory")
        return sorted(os.path.abspath(f) for f in Path(p).rglob(self.params.glob) if f.is_file())

    def source_root(self) -> str:
        return os.path.abspath(self.params.path)

    def shards(self) -> list[list[str]]:
        files = self.files()
        if self.params.limit is not None:
            files = files[: self.params.limit]
        n = self.params.batch_size
        return [files[i : i + n] for i in range(0, len(files), n)]

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        texts, paths, ids = [], [], []
        for path in shard:
            rel = self.relpath(path)
            size = os.path.getsize(path)
            if size > self.params.max_bytes:
                yield Quarantined(path, 0, f"file too large: {size} bytes > max_bytes={self.params.max_bytes}", "")
                continue
            data = Path(path).read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                line = data[: e.start].count(b"\n") + 1
                yield Quarantined(path, line, f"invalid UTF-8 at byte {e.start}", _raw(data[: 200]))
                continue
            texts.append(text)
            paths.append(rel)
            ids.append(row_ids(rel, 0, 1)[0])
        yield pa.table({"_id": pa.array(ids, pa.int64()), "text": texts, "path": paths})


READERS_BY_SUFFIX = {
    ".jsonl": "read_jsonl", ".ndjson": "read_jsonl", ".jsonl.gz": "read_jsonl", ".jsonl.zst": "read_jsonl",
    ".json.gz": "read_jsonl", ".parquet": "read_parquet", ".csv": "read_csv", ".tsv": "read_csv",
    ".csv.gz": "read_csv",
    ".warc": "read_warc", ".warc.gz": "read_warc", ".pdf": "read_pdf", ".html": "read_html", ".htm": "read_html",
}


def guess_reader(path: str) -> str | None:
    """The reader for a path by its extension (for `input: {path: ...}` without a format)."""
    name = path.rstrip("/").lower()
    for suffix, reader in sorted(READERS_BY_SUFFIX.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return reader
    if os.path.isdir(path):
        exts = {"".join(Path(f).suffixes[-2:]).lower() for f in os.listdir(path)}
        for suffix, reader in READERS_BY_SUFFIX.items():
            if suffix in exts:
                return reader
        return "read_text_files"
    return None
