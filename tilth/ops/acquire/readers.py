"""Readers for local files: JSONL (plain, .gz, .zst), Parquet, CSV, Arrow (Hugging Face `save_to_disk`)
and a directory of text files.

Each input file (or group of small text files) is a shard; shards are read in parallel and cut into parts
of at most `batch_size` rows. A malformed record (broken JSON, bad UTF-8, a CSV row with the wrong number
of fields, a text field that is not a string, a value whose type conflicts with the rest of its column) or
a broken file (unreadable, truncated compression, a corrupt Parquet row group) is quarantined with its file
and line through the one path in `intake.py`, and the run goes on with everything else.
"""

from __future__ import annotations

import collections
import csv
import fnmatch
import glob
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from pydantic import Field

from tilth.lazy import LazyModule
from tilth.ops.acquire import csv_records
from tilth.ops.acquire.intake import (
    DATA_ERRORS,
    RAW_LIMIT,
    RENAMED,
    check_text,
    compression,
    describe,
    open_maybe_compressed,  # noqa: F401 - it lived here; kept importable
    quarantine_rows,
    raw_line,
    raw_row,
    read_lines,
    records_to_table,
    unreadable,
    with_note,
)
from tilth.ops.base import Params, Quarantined, Reader
from tilth.ops.process.arrow_np import from_numpy
from tilth.ops.registry import register
from tilth.storage.ids import row_ids

pc = LazyModule("pyarrow.compute")  # imported on first use (~0.1 s), not by every run

CHUNK_BYTES = 32 << 20  # plain JSONL is parsed this many bytes at a time: memory stays bounded


class FileReaderParams(Params):
    path: str = Field(description="A file, a directory (read recursively) or a glob pattern.")
    batch_size: int = Field(10_000, ge=1, le=10_000_000, description="Rows per part at most: the unit of parallelism "
                            "and resume (plain JSONL parts are also cut at about input bytes / (2 x workers)).")
    text: str | None = Field(None, description="Name of the input field holding the document text; the steps see "
                             "it as `text`, and the dataset written at the end has it under this name again. "
                             "Records where it is not a string are quarantined; a null or missing text is a row "
                             "without one (kept); a file without the field is an error (a misspelt name).")
    limit: int | None = Field(None, ge=1, description="Read at most this many records per file (for sampling).")
    split: str | None = Field(None, description="Only the files of this split of a dataset folder (e.g. a Hugging Face "
                              "dataset): under a `<split>/` folder or named like `<split>-00000-of-00001.parquet`.")



def text_renames(field: str | None) -> dict[str, str]:
    """How a reader renames columns for the text field `field`: the field becomes `text`, and a `text` column
    that is not the text field is kept as `_source_text` (the export maps both back: pipeline.runner)."""
    return {"text": "_source_text", field: "text"} if field and field != "text" else {}


class FileReader(Reader):
    """Shared behaviour: file discovery, stable ids, the text contract, renaming the text field."""

    patterns: tuple[str, ...] = ()
    Params = FileReaderParams
    outputs = ("_id",)
    # the fields are the file's (a header, a schema): a named text field the file lacks quarantines its records.
    # JSON records each have their own (a record without the field is a row without a text, kept); validation
    # names a text field that no record read has (tilth.pipeline.validate)
    fields_per_file = True

    def source_root(self) -> str:
        p = self.params.path
        if os.path.isdir(p):
            return os.path.abspath(p)
        if not os.path.exists(p) and any(ch in p for ch in "*?["):  # an existing path is never a pattern
            return os.path.abspath(_glob_base(p))
        return os.path.abspath(os.path.dirname(p) or ".")

    def files(self) -> list[str]:
        p = self.params.path
        if os.path.isdir(p):
            found = data_files(p, self.patterns)
        elif os.path.isfile(p):
            found = [p]
        elif any(ch in p for ch in "*?["):
            found = [f for f in glob.glob(p, recursive=True) if os.path.isfile(f)]
        else:
            raise FileNotFoundError(f"{self.name}: input {p!r} does not exist")
        return self._in_split(sorted({os.path.abspath(f) for f in found}))

    def _in_split(self, files: list[str]) -> list[str]:
        split = getattr(self.params, "split", None)
        if not split:
            return files
        return [f for f in files if in_split(self.relpath(f), split)]

    def shards(self) -> list[list[str]]:
        return [[f] for f in self.files()]

    def rows_per_part(self, n_rows: int, n_bytes: int) -> int:
        """Rows per part of a chunk of n_rows: at most batch_size, and about the runner's `part_bytes` of input,
        so that a small input still makes a part per worker; the chunk's parts are of equal size (a 11,200-row
        chunk in parts of 10,000 left a part of 1,200 beside each: workers finished unevenly)."""
        rows = self.params.batch_size
        target = self.context.part_bytes if self.context is not None else 0
        if target and n_bytes > target:
            rows = min(rows, max(1, -(-n_rows * target // n_bytes)))
        parts = max(1, -(-n_rows // rows))
        return max(1, -(-n_rows // parts))

    def relpath(self, path: str) -> str:
        return os.path.relpath(path, self.source_root())

    def outside_root(self, path: str) -> Quarantined | None:
        """A quarantine row for a file found under the input folder whose real path (symlinks resolved)
        lies outside that folder, else None. The readers of document folders (text, HTML, crawl) call it,
        so a link planted in a folder cannot pull /etc/passwd or a home directory into a dataset. A file
        named directly as `path` is always read."""
        if os.path.abspath(path) == os.path.abspath(self.params.path):
            return None
        real = os.path.realpath(path)
        if inside(real, self.source_root()):
            return None
        return Quarantined(path, 0, f"symlink to a file outside the input folder ({real}): not read", "")

    def emit(self, table: pa.Table, path: str, records: np.ndarray, line_of: Callable[[int], int] | None = None,
             raw_of: Callable[[int], str] | None = None) -> Iterator[pa.Table | Quarantined]:
        """The one exit of every file reader: quarantine the rows that break the text contract (see
        intake.check_text), then yield the rest with `_id` and the text field renamed. `records` are the
        rows' record numbers (they make the ids); `line_of`/`raw_of` describe a row for quarantine
        (default: 1-based record number, the row as JSON)."""
        field = self.params.text or "text"
        # a CSV header "text,text": the second is text_2; "Text" beside "text" is Text_2, since DuckDB, where
        # datasets live, does not tell names apart by case (its view and export showed the text as text_1)
        moved: dict[str, str] = {}
        meta = table.schema.metadata  # (the notes of the parse: see intake.TEXT_AMONG_NUMBERS)
        if len({c.lower() for c in table.column_names}) < table.num_columns:
            new = _distinct(table.column_names, keep=field)
            moved = {a: b for a, b in zip(table.column_names, new, strict=True) if a != b}
            table = table.rename_columns(new)
        table = _empty_objects_as_text(table)
        checked, bad = check_text(table, field, required=self.params.text is not None,
                                  per_record=not self.fields_per_file)
        if meta:  # (renaming and checking let go of the schema's metadata)
            checked = checked.replace_schema_metadata({**meta, **(checked.schema.metadata or {})})
        checked = with_note(checked, RENAMED, moved)  # (said after the read)
        if bad:
            records = np.asarray(records, dtype=np.int64)
            yield from quarantine_rows(
                path, bad, line_of or (lambda i: int(records[i]) + 1),
                raw_of or (lambda i: raw_row(table.slice(i, 1).to_pylist()[0])))
            keep = np.ones(len(records), dtype=bool)
            keep[[i for i, _ in bad]] = False
            records = records[keep]
        yield self.finish(checked, path, records)

    def finish(self, table: pa.Table, path: str, records: np.ndarray) -> pa.Table:
        """Add `_id` (from file and record number) and rename the text field (a `text` column that is not
        the text field is kept as `_source_text`, as an input `_id` is kept as `_source_id`)."""
        rename = {"_id": "_source_id", **text_renames(self.params.text)}
        if any(c in rename for c in table.column_names):
            moved = {c: rename[c] for c in table.column_names if c in rename and rename[c] != "text"}
            meta = table.schema.metadata  # (rename_columns lets go of it)
            table = with_note(table.rename_columns([rename.get(c, c) for c in table.column_names])
                              .replace_schema_metadata(meta), RENAMED, moved)
        ids = _ids_for_records(self.relpath(path), np.asarray(records, dtype=np.int64))
        return table.add_column(0, "_id", from_numpy(ids.astype(np.int64, copy=False)))


def _has_empty_struct(t: pa.DataType) -> bool:
    if pa.types.is_struct(t):
        return t.num_fields == 0 or any(_has_empty_struct(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _has_empty_struct(t.value_type)
    if pa.types.is_map(t):
        return _has_empty_struct(t.item_type)
    return False


def _empty_objects_as_text(table: pa.Table) -> pa.Table:
    """A column holding `{}` (a struct without fields, which Parquet cannot store) becomes its JSON text."""
    for i, f in enumerate(table.schema):
        if _has_empty_struct(f.type):
            text = [None if v is None else json.dumps(v, default=str) for v in table.column(i).to_pylist()]
            table = table.set_column(i, f.name, pa.array(text, pa.string()))
    return table


def data_files(root: str, patterns: tuple[str, ...] | list[str]) -> list[str]:
    """Files under `root` whose name matches a pattern in any case (DATA.JSONL is JSON lines, as it is when named
    directly); hidden files and folders (.git, .cache, editor swap files) are not data."""
    out = []
    for folder, dirs, names in os.walk(root):  # (a symlinked folder is not followed: loops, escapes)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out += [os.path.join(folder, n) for n in names if not n.startswith(".")
                and any(fnmatch.fnmatch(n.lower(), pat) for pat in patterns) and os.path.isfile(os.path.join(folder, n))]
    return out


def _distinct(names: list[str], keep: str | None = None) -> list[str]:
    """Column names made unique in order, ignoring case: a repeated name gets _2, _3, ... (never one that
    exists); `keep` (the text field), if present, keeps its name and the others that clash with it move."""
    taken = {keep.lower()} if keep in names else set()
    every = {n.lower() for n in names}
    out: list[str] = []
    for name in names:
        if name == keep and keep.lower() in taken and keep not in out:
            out.append(name)
            continue
        new, k = name, 1
        while new.lower() in taken or (new != name and new.lower() in every):
            k += 1
            new = f"{name}_{k}"
        taken.add(new.lower())
        out.append(new)
    return out


def inside(path: str, root: str) -> bool:
    """Whether `path` resolves to `root` or below it (both with symlinks resolved)."""
    real, root = os.path.realpath(path), os.path.realpath(root)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def in_split(relpath: str, split: str) -> bool:
    """Whether a file belongs to a dataset split: a folder named like the split, or the split as a word of
    the file name (`train-00000-of-00002.parquet`, `imdb-train.arrow`, `train.jsonl`)."""
    parts = Path(relpath).parts
    if split in parts[:-1]:
        return True
    stem = parts[-1].split(".", 1)[0]
    return split in re.split(r"[-_]", stem)


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


@register
class JsonlReader(FileReader):
    name = "read_jsonl"
    description = """Read JSON Lines files (plain, .gz or .zst), one object per line. Broken JSON and
    invalid UTF-8 lines are quarantined with file and line; blank lines are skipped; a UTF-8 byte order
    mark at the start of the file is dropped."""
    examples = (
        "load JSON lines",
        "read a .jsonl.gz dump",
    )
    patterns = ("*.jsonl", "*.jsonl.gz", "*.jsonl.zst", "*.json.gz", "*.ndjson")
    fields_per_file = False

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        for path in shard:
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[pa.Table | Quarantined]:
        if self.params.limit is None and compression(path) is None:
            yield from self._read_chunks(path)
        else:
            yield from self._read_lines(path)

    def _read_chunks(self, path: str) -> Iterator[pa.Table | Quarantined]:
        """A plain file in chunks of whole lines. A chunk whose lines are all `{...}` goes to Arrow's
        multi-threaded JSON parser in one call (no Python per line); any other chunk (blank lines, a
        broken record, a type conflict) takes the line-by-line path, which quarantines exactly the bad lines."""
        try:
            fh = open(path, "rb")
        except DATA_ERRORS as e:
            yield unreadable(path, e)
            return
        schema, first_line, carry = None, 0, b""
        with fh:
            buf = self._read_or_quarantine(fh, path, first_line)
            if isinstance(buf, bytes):
                buf = strip_bom(buf)
            while isinstance(buf, bytes) and (buf or carry):
                data = carry + buf if carry else buf
                # read ahead: the last chunk takes the file's unterminated last line with it, so that line
                # is parsed with its neighbours (as the line path does), not alone
                nxt = self._read_or_quarantine(fh, path, first_line) if buf else b""
                if isinstance(nxt, bytes) and nxt:
                    cut = data.rfind(b"\n") + 1
                    if not cut:  # one line longer than a chunk: read on
                        carry, buf = data, nxt
                        continue
                    chunk, carry = memoryview(data)[:cut], data[cut:]  # the chunk without a copy
                else:
                    chunk, carry = data, b""
                items, schema, n_lines = self._parse_chunk(path, chunk, first_line, schema)
                yield from items
                first_line += n_lines
                if isinstance(nxt, Quarantined):
                    yield nxt
                    return
                buf = nxt
            if isinstance(buf, Quarantined):
                yield buf

    def _chunk_bytes(self) -> int:
        """Bytes parsed at a time: about a part (the runner's part_bytes), so that the first part is being
        written while the next is parsed (one 32 MB parse before any write cost a 25 MB file 0.06 s of its
        0.6 s run); at least 4 MB (Arrow's parser is slower on smaller blocks) and at most CHUNK_BYTES."""
        part = self.context.part_bytes if self.context is not None else 0
        return min(CHUNK_BYTES, max(4 << 20, part)) if part else CHUNK_BYTES

    def _read_or_quarantine(self, fh, path: str, first_line: int) -> bytes | Quarantined:
        try:
            return fh.read(self._chunk_bytes())
        except DATA_ERRORS as e:
            return Quarantined(path, first_line + 1, f"file breaks after line {first_line}: {describe(e)}", "")

    def _parse_chunk(self, path: str, chunk: bytes | memoryview, first_line: int, schema):
        """(items, schema for the next chunk, physical lines in the chunk)."""
        view = np.frombuffer(chunk, np.uint8)
        newlines = _newlines(view)
        n_lines = newlines.size + (not view.size or view[-1] != 10)  # an unterminated last line counts
        field = self.params.text or "text"
        after = newlines[newlines + 1 < view.size] + 1
        # no blank line, every line starts with `{`, and none nests too deep for Arrow
        if chunk[:1] == b"{" and (view[after] == 123).all() and not _nests_deeper(view, newlines):
            try:
                table = _read_json_block(chunk, schema, block_size=4 << 20)
                table.validate(full=True)  # Arrow's JSON parser lets invalid UTF-8 through into strings
            except (pa.ArrowException, UnicodeDecodeError):  # (invalid UTF-8 in a key raises the latter)
                table = None
            # a table without columns (every line `{}`) is left to the line path: pyarrow's slice of a
            # zero-column table does not clamp its length
            if table is not None and table.num_rows == n_lines and table.num_columns:
                lines: list[bytes] = []

                def raw_of(i: int, lo: int) -> str:  # only bad rows ask for their line
                    if not lines:
                        lines.extend(bytes(chunk).split(b"\n"))
                    return raw_line(lines[lo + i])

                items: list[pa.Table | Quarantined] = []
                step = self.rows_per_part(table.num_rows, len(chunk))
                for lo in range(0, table.num_rows, step):
                    part = table.slice(lo, step)
                    records = np.arange(first_line + lo, first_line + lo + part.num_rows, dtype=np.int64)
                    items += self.emit(part, path, records, raw_of=lambda i, lo=lo: raw_of(i, lo))
                return items, _text_as_string(table.schema, field), n_lines
        items = []
        lines, numbers = [], []
        for k, line in enumerate(bytes(chunk).split(b"\n")[:n_lines]):
            if line.strip():
                lines.append(line)
                numbers.append(first_line + k)
            if len(lines) >= self.params.batch_size:
                parsed, schema = self._parse(path, lines, numbers, schema)
                items += parsed
                lines, numbers = [], []
        if lines:
            parsed, schema = self._parse(path, lines, numbers, schema)
            items += parsed
        return items, schema, n_lines

    def _read_lines(self, path: str) -> Iterator[pa.Table | Quarantined]:
        """Compressed files and `limit`: line by line, parsed in blocks of batch_size lines."""
        schema = None
        lines: list[bytes] = []
        numbers: list[int] = []
        seen = 0
        limit = self.params.limit
        broken: Quarantined | None = None
        source = read_lines(path)
        for item in source:
            if isinstance(item, Quarantined):  # unreadable file or a compressed stream that breaks
                broken = item
                break
            lineno, line = item
            if lineno == 0:
                line = strip_bom(line)
            if limit is not None and seen >= limit:
                break
            if not line.strip():
                continue
            seen += 1
            lines.append(line)
            numbers.append(lineno)
            if len(lines) >= self.params.batch_size:
                items, schema = self._parse(path, lines, numbers, schema)
                yield from items
                lines, numbers = [], []
        source.close()
        if lines:
            items, schema = self._parse(path, lines, numbers, schema)
            yield from items
        if broken is not None:
            yield broken

    def _parse(self, path, lines, numbers, schema) -> tuple[list[pa.Table | Quarantined], pa.Schema | None]:
        """Fast path: Arrow's JSON parser on the whole block. Slow path only if the block has a bad line."""
        field = self.params.text or "text"
        # Only blocks whose lines are all objects go to Arrow: it reads a `null` line as a row of nulls, and
        # a block that starts with one crashes the process (segfault in pyarrow 26's read_json).
        if all(ln[:1] == b"{" or ln.lstrip()[:1] == b"{" for ln in lines) and \
                not any(_too_deep(ln) for ln in lines):  # see _nests_deeper
            block = b"".join(ln if ln.endswith(b"\n") else ln + b"\n" for ln in lines)
            try:
                block.decode("utf-8")  # Arrow's JSON parser lets invalid UTF-8 through into string columns
                table = _read_json_block(block, schema)
                if table.num_rows == len(lines):
                    items = list(self.emit(table, path, np.asarray(numbers, dtype=np.int64),
                                           raw_of=lambda i: raw_line(lines[i])))
                    return items, _text_as_string(table.schema, field)
            except (pa.ArrowException, UnicodeDecodeError):
                pass
        import orjson

        bad: list[Quarantined] = []
        records, where = [], []
        for k, (ln, num) in enumerate(zip(lines, numbers, strict=True)):
            try:
                ln.decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append(Quarantined(path, num + 1, f"invalid UTF-8 at byte {e.start}", raw_line(ln)))
                continue
            try:
                obj = orjson.loads(ln)
            except orjson.JSONDecodeError as e:
                bad.append(Quarantined(path, num + 1, f"invalid JSON: {e}", raw_line(ln)))
                continue
            if not isinstance(obj, dict):
                bad.append(Quarantined(path, num + 1, f"expected a JSON object, got {type(obj).__name__}", raw_line(ln)))
                continue
            if levels(obj, PARQUET_LEVELS) > PARQUET_LEVELS:
                bad.append(Quarantined(path, num + 1, f"nested too deep: over {PARQUET_LEVELS} levels (an object "
                                       "counts one, a list two; Parquet stores 100)", raw_line(ln)))
                continue
            records.append(obj)
            where.append(k)
        table, conflicts = records_to_table(records, schema, field, required=False)
        left_out = {j for j, _ in conflicts}
        bad += [Quarantined(path, numbers[where[j]] + 1, reason, raw_line(lines[where[j]])) for j, reason in conflicts]
        bad.sort(key=lambda q: q.line)
        kept = [where[j] for j in range(len(records)) if j not in left_out]
        items = bad + list(self.emit(table, path, np.asarray([numbers[k] for k in kept], dtype=np.int64),
                                     raw_of=lambda i: raw_line(lines[kept[i]])))
        return items, _text_as_string(table.schema, field) if table.num_columns else schema


def strip_bom(data: bytes) -> bytes:
    """`data` without a leading UTF-8 byte order mark. Windows tools (Notepad, PowerShell, Excel) start
    UTF-8 files with one; it is not part of the first record, and JSON parsers reject it."""
    return data[3:] if data[:3] == b"\xef\xbb\xbf" else data


def _newlines(view: np.ndarray, block: int = 1 << 22) -> np.ndarray:
    """Positions of the b"\\n" bytes of `view`, found a few MB at a time: `view == 10` over a whole 32 MB chunk
    would allocate (and page-fault in) a 32 MB mask per chunk; one block-sized mask is reused instead."""
    mask = np.empty(min(block, view.size), dtype=bool)
    found = []
    for lo in range(0, view.size, block):
        part = mask[: min(block, view.size - lo)]
        np.equal(view[lo:lo + block], 10, out=part)
        found.append(np.flatnonzero(part) + lo)
    return np.concatenate(found) if found else np.empty(0, np.int64)


# A record nesting deeper than this cannot be stored: Parquet holds 100 levels, an object takes one and a list
# two. Such a line is not given to Arrow (which also overflows its stack some 16,000 levels down); the line
# path quarantines it, and the rest of the file is read.
PARQUET_LEVELS = 96
JSON_DEPTH = PARQUET_LEVELS  # (brackets counted per line: an upper bound of its levels, checked exactly above it)


def _nests_deeper(view: np.ndarray, newlines: np.ndarray, limit: int = JSON_DEPTH, block: int = 1 << 22) -> bool:
    """Whether some line may nest deeper than `limit` Parquet levels (see PARQUET_LEVELS): only a line with
    more than limit/2 `[` and `{` bytes can (a list is two levels), and such a line is measured (_too_deep).
    Parquet refuses the part (the run failed), and Arrow's JSON parser, far deeper, overflows its stack (a
    segfault). Such a chunk takes the line path, which quarantines the too-deep lines. The brackets are found
    a few MB at a time in reused masks (as in _newlines), and counted per line from their positions."""
    if view.size <= limit // 2:
        return False
    mask, folded = np.empty(min(block, view.size), dtype=bool), np.empty(min(block, view.size), dtype=np.uint8)
    found = []
    for lo in range(0, view.size, block):
        part = view[lo:lo + block]
        m, f = mask[:part.size], folded[:part.size]
        np.bitwise_or(part, 0x20, out=f)  # `[` (0x5B) and `{` (0x7B) differ only in bit 0x20
        np.equal(f, 0x7B, out=m)
        found.append(np.flatnonzero(m) + lo)
    opens = np.concatenate(found)
    if opens.size <= limit // 2:
        return False
    per_line = np.diff(np.searchsorted(opens, newlines), prepend=0, append=opens.size)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.append(newlines, view.size)
    return any(_too_deep(view[starts[i]:ends[i]].tobytes(), limit) for i in np.flatnonzero(per_line > limit // 2))


def _too_deep(line: bytes, limit: int = JSON_DEPTH) -> bool:
    """Whether a line may nest deeper than `limit` Parquet levels. Counting `[` and `{` bounds its depth
    from above; a line over that bound (code in a text field holds thousands of brackets inside strings) is
    parsed by orjson (its own limit: 1024) and measured. The line path quarantines what is too deep."""
    if 2 * line.count(b"[") + line.count(b"{") <= limit:  # (a list is two levels)
        return False
    import orjson

    try:
        return levels(orjson.loads(line), limit) > limit
    except orjson.JSONDecodeError:
        return True


def levels(value, stop: int = 1 << 30) -> int:
    """Parquet nesting levels of a parsed JSON value: an object one, a list two; walked without recursion,
    and given up once past `stop`."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, dict):
            d += 1
            todo += [(x, d) for x in v.values() if isinstance(x, (dict, list))]
        elif isinstance(v, list):
            d += 2
            todo += [(x, d) for x in v if isinstance(x, (dict, list))]
        if d > deepest:
            deepest = d
            if deepest > stop:
                break
    return deepest


def _text_as_string(schema: pa.Schema, field: str) -> pa.Schema:
    """The schema the next block of the file is parsed with: the text field is always a string."""
    i = schema.get_field_index(field)
    return schema if i < 0 else schema.set(i, pa.field(field, pa.string()))


def _read_json_block(data: bytes | memoryview, schema: pa.Schema | None, block_size: int = 1 << 26) -> pa.Table:
    """Arrow's JSON reader on whole lines. A string it would turn into a timestamp ("2026-10-20") stays the
    string the file holds: a pipeline without steps must give back the values it read (value_filter and the
    agent compare ISO text as dates)."""
    def read(schema):
        opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer") if schema else None
        # an Arrow buffer over the bytes: Arrow slices it without copying and without calling back into Python
        # (a BytesIO is read block by block through Python, each block copied)
        return pajson.read_json(pa.BufferReader(pa.py_buffer(data)), parse_options=opts,
                                read_options=pajson.ReadOptions(block_size=block_size))

    table = read(schema)
    dated = [f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)]
    if dated:  # parse again with those fields as strings (the next chunk inherits the schema: parsed once)
        fields = {f.name: (pa.field(f.name, pa.string()) if f.name in dated else f) for f in table.schema}
        fields.update({f.name: f for f in (schema or []) if f.name not in fields})  # (the file's column order)
        table = read(pa.schema(list(fields.values())))
    return table


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
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[pa.Table | Quarantined]:
        try:
            pf = pq.ParquetFile(path)
        except DATA_ERRORS as e:
            yield unreadable(path, e, "Parquet file")
            return
        try:
            groups = [pf.metadata.row_group(g).num_rows for g in range(pf.num_row_groups)]
            yield from read_row_groups(self, path, groups,
                                       lambda g: pf.iter_batches(batch_size=self.params.batch_size, row_groups=[g]),
                                       pf.schema_arrow)
        finally:
            pf.close()


def read_row_groups(reader: FileReader, path: str, groups: list[int], batches_of: Callable[[int], Iterator],
                    schema: pa.Schema) -> Iterator[pa.Table | Quarantined]:
    """Rows of a columnar file group by group, `_id` by row number. A group that cannot be decoded is
    quarantined (line: its first row, 1-based) with the rows read before it kept; the next group goes on."""
    p = reader.params
    field = p.text or "text"
    if p.text is not None and field not in schema.names:
        yield Quarantined(path, 0, f"no column {field!r} (columns: {', '.join(schema.names)})", "")
        return
    start, emitted = 0, False
    for g, n_rows in enumerate(groups):
        if p.limit is not None and start >= p.limit:
            break
        row = start
        try:
            for batch in batches_of(g):
                n = batch.num_rows if p.limit is None else min(batch.num_rows, p.limit - row)
                if n <= 0:
                    break
                yield from reader.emit(pa.Table.from_batches([batch.slice(0, n)]), path, np.arange(row, row + n))
                row += n
                emitted = True
        except DATA_ERRORS as e:
            yield Quarantined(path, row + 1, f"unreadable row group {g} (rows {row + 1}-{start + n_rows} lost): "
                              f"{describe(e)}", "")
        start += n_rows
    if not emitted:  # an empty table still tells validation (peek) the file's columns
        yield from reader.emit(schema.empty_table(), path, np.arange(0))


class CsvParams(FileReaderParams):
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator.")
    max_quoted_lines: int = Field(10_000, ge=1, description="A quoted value may span at most this many lines. A "
                                  "quote not closed within them (or by the end of the file) is unterminated: its "
                                  "row's lines up to the quote's line are quarantined and reading goes on from the "
                                  "next line, so the rows that follow a stray quote are kept.")


@register
class CsvReader(FileReader):
    name = "read_csv"
    description = """Read CSV files with a header row, streaming. Every line ends up in a kept row or in
    quarantine with its line number: rows with the wrong number of fields, lines that are not valid UTF-8,
    and rows with a broken quote (not closed within `max_quoted_lines` lines or by the end of the file, or
    text after a closing quote) are quarantined, and reading goes on from the line below a broken quote."""
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
        """The file's batches re-cut into parts of batch_size rows (ids: index among good rows), at most
        `limit` rows."""
        record, pending, pending_rows, schema, emitted = 0, [], 0, None, False
        limit = self.params.limit
        for item in self._batches(path):
            if isinstance(item, Quarantined):
                yield item
                continue
            if isinstance(item, pa.Schema):
                schema = item
                continue
            full = limit is not None and record + pending_rows + item.num_rows >= limit
            if full:  # the sample is complete: the rest of the file is not read
                item = item.slice(0, limit - record - pending_rows)
            pending.append(item)
            pending_rows += item.num_rows
            while pending_rows >= self.params.batch_size:
                table = pa.Table.from_batches(pending).combine_chunks()
                head, rest = table.slice(0, self.params.batch_size), table.slice(self.params.batch_size)
                yield from self.emit(head, path, np.arange(record, record + head.num_rows), line_of=lambda i: -1)
                record += head.num_rows
                emitted = True
                pending = rest.to_batches()
                pending_rows = rest.num_rows
            if full:
                break
        if schema is not None and (pending_rows or not emitted):
            table = pa.Table.from_batches(pending, schema=schema)
            yield from self.emit(table, path, np.arange(record, record + table.num_rows), line_of=lambda i: -1)

    def _batches(self, path: str) -> Iterator[pa.RecordBatch | pa.Schema | Quarantined]:
        """The file's schema, then its batches and quarantined rows in file order. Column types are inferred
        from the first chunk with rows (about CSV_BLOCK_SIZE bytes); a later chunk with a value that does not convert
        (an 'abc' in an int64 column) goes through Python's csv module, which quarantines exactly the rows
        that do not fit (Arrow can only fail the whole chunk)."""
        p = self.params
        field = p.text or "text"
        delim = "\t" if path.endswith(".tsv") and p.delimiter == "," else p.delimiter
        header, schema = None, None
        for chunk in csv_records.chunks(path, delim, p.max_quoted_lines, CSV_BLOCK_SIZE):
            if isinstance(chunk, Quarantined):
                yield chunk
                continue
            if header is None:
                header, chunk = _csv_header(chunk, delim, p.max_quoted_lines)
                if header is None:
                    continue  # only blank lines so far
            if schema is None:
                try:
                    table, bad = _csv_arrow(path, delim, header, chunk, p.max_quoted_lines, {field: pa.string()})
                except DATA_ERRORS as e:  # the first chunk decides the columns: without it, nothing can be read
                    yield unreadable(path, e, "CSV file")
                    return
                if not table.num_rows:  # nothing to infer the column types from yet
                    yield from bad
                    continue
                table = _nulls_as_strings(_exact_numbers(table, path, delim, header, chunk, p.max_quoted_lines))
                schema = table.schema
                if p.text is not None and field not in schema.names:
                    yield Quarantined(path, 0, f"no column {field!r} in the header (columns: "
                                      f"{', '.join(schema.names)})", "")
                    return
                yield schema
            else:
                try:
                    table, bad = _csv_arrow(path, delim, header, chunk, p.max_quoted_lines,
                                            dict(zip(schema.names, schema.types, strict=True)))
                except DATA_ERRORS:  # a value that does not convert: this chunk row by row
                    table, bad = _csv_python(path, delim, schema, chunk)
            yield from bad
            yield from table.to_batches()
        if header is not None and schema is None:  # a header and no rows
            try:
                table, _ = _csv_arrow(path, delim, header, csv_records.Chunk(b"", 0, csv_records.LineMap()),
                                      p.max_quoted_lines, {field: pa.string()})
            except DATA_ERRORS as e:
                yield unreadable(path, e, "CSV file")
                return
            yield _nulls_as_strings(table).schema


CSV_BLOCK_SIZE = 1 << 22  # bytes of whole records parsed at once; column types are inferred from the first
_CSV_NULLS = frozenset(pacsv.ConvertOptions().null_values)
_CSV_BOOLS = {**dict.fromkeys(pacsv.ConvertOptions().true_values, True),
              **dict.fromkeys(pacsv.ConvertOptions().false_values, False)}


# number-looking text that a number type would change: zip codes and ids with leading zeros, phone numbers with
# a "+", integers past float precision, exponents past float range, words Arrow reads as floats
_LOSSY_NUMBER = r"^\s*(?:[+-]?0\d|\+|[+-]?\d{16,}|[+-]?(?:inf|nan)|.*[eE][+-]?\d{3,})"


def _exact_numbers(table: pa.Table, path: str, delim: str, header: bytes, chunk: csv_records.Chunk,
                   max_lines: int) -> pa.Table:
    """Columns inferred as numbers whose text a number would not give back ("02134", "+4917612345678",
    "12345678901234567890") are kept as the text (the same chunk read again as strings)."""
    numeric = [i for i, f in enumerate(table.schema) if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
    if not numeric:
        return table
    text = _csv_arrow(path, delim, header, chunk, max_lines, dict.fromkeys(table.column_names, pa.string()))[0]
    for i in numeric:
        if pc.any(pc.match_substring_regex(text.column(i), _LOSSY_NUMBER, ignore_case=True)).as_py():
            table = table.set_column(i, table.schema.field(i).name, text.column(i))
    return table


def _nulls_as_strings(table: pa.Table) -> pa.Table:
    """A column with no value in the first chunk is typed string, not null: a later value then fits."""
    return table.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                                 for f in table.schema]))


def _csv_header(chunk: csv_records.Chunk, delim: str,
                max_lines: int) -> tuple[bytes | None, csv_records.Chunk]:
    """(the header record, the chunk after it); blank lines before the header are skipped, as Arrow does."""
    one = csv_records.patterns(delim, max_lines)[1]
    pos = 0
    while pos < len(chunk.data):
        end = one.match(chunk.data, pos).end()
        if chunk.data[pos:end] not in (b"\n", b"\r\n"):
            first = chunk.first + chunk.data.count(b"\n", 0, end)
            return chunk.data[pos:end], csv_records.Chunk(chunk.data[end:], first, chunk.lines)
        pos = end
    return None, chunk


def _csv_arrow(path: str, delim: str, header: bytes, chunk: csv_records.Chunk, max_lines: int,
               types: dict) -> tuple[pa.Table, list[Quarantined]]:
    """One chunk (the header put in front) through Arrow in one block (so a record never straddles two):
    rows with the wrong number of fields are quarantined with their lines."""
    invalid: list[tuple[str, int, int]] = []

    def on_invalid(row) -> str:
        invalid.append((row.text or "", row.expected_columns, row.actual_columns))
        return "skip"

    data = header + chunk.data
    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pacsv.ReadOptions(block_size=len(data) + 1),
        parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=on_invalid, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False, column_types=types))
    bad = []
    find = _RecordFinder(chunk.data, csv_records.record_starts(chunk.data, delim, max_lines) if invalid else [])
    counted, newlines = 0, 0  # newlines in chunk.data[:counted]: counted on from the last row, not from 0
    for text, expected, actual in invalid:
        start = find(text.encode())  # -1: a row Arrow cut from the header's line with a lone \r
        if start >= counted:
            counted, newlines = start, newlines + chunk.data.count(b"\n", counted, start)
        first = chunk.first + (chunk.data.count(b"\n", 0, start) + 1 if 0 <= start < counted else
                               newlines + 1 if start >= 0 else 0)
        first, last = chunk.lines.physical(first), chunk.lines.physical(first + text.count("\n"))
        bad.append(Quarantined(path, first, f"CSV: expected {expected} fields, got {actual}"
                               f"{csv_records.span(first, last)}", text[:RAW_LIMIT]))
    return table, bad


class _RecordFinder:
    """Where Arrow's invalid rows start in a chunk. Arrow reports them in order, with no row number when it
    runs threaded: each is the next record that is its text. A lone \\r ends a row for Arrow but not a
    line, so a row that is not a whole record is found by its text after the last one found."""

    def __init__(self, data: bytes, starts: list[int]):
        self.data, self.starts, self.k = data, starts, 0

    def __call__(self, text: bytes) -> int:
        data = self.data
        for k in range(self.k, len(self.starts)):
            start, end = self.starts[k], self.starts[k] + len(text)
            if data[start:end] == text and (data[end:end + 1] == b"\n" or data[end:end + 2] == b"\r\n"):
                self.k = k + 1
                return start
        return data.find(text, self.starts[self.k - 1] if self.k else 0)


def _csv_python(path: str, delim: str, schema: pa.Schema,
                chunk: csv_records.Chunk) -> tuple[pa.Table, list[Quarantined]]:
    """One chunk parsed by Python's csv module and converted to `schema` value by value: a row with the
    wrong number of fields or a value that does not convert is quarantined alone."""
    bad: list[Quarantined] = []
    good: list[tuple[int, int, list[str]]] = []
    if csv.field_size_limit() < len(chunk.data):  # (128 KB by default) Arrow reads a value of any length
        csv.field_size_limit(len(chunk.data))
    rows = csv.reader(io.StringIO(chunk.data.decode("utf-8")), delimiter=delim)
    done = 0  # lines of the chunk read so far

    def lines() -> tuple[int, int]:
        return chunk.lines.physical(chunk.first + done + 1), chunk.lines.physical(chunk.first + rows.line_num)

    while True:
        try:
            row = next(rows, None)
        except csv.Error as e:
            first, last = lines()
            bad.append(Quarantined(path, first, f"CSV: {e}{csv_records.span(first, last)}", ""))
            done = rows.line_num
            continue
        if row is None:
            break
        first, last = lines()
        done = rows.line_num
        if not row:
            continue  # a blank line
        if len(row) != len(schema):
            bad.append(Quarantined(path, first, f"CSV: expected {len(schema)} fields, got {len(row)}"
                                   f"{csv_records.span(first, last)}", delim.join(row)[:RAW_LIMIT]))
        else:
            good.append((first, last, row))
    batch, wrong = _csv_convert(path, delim, schema, good)
    return pa.Table.from_batches([batch]), sorted(bad + wrong, key=lambda q: q.line)


def _csv_convert(path: str, delim: str, schema: pa.Schema,
                 rows: list[tuple[int, int, list[str]]]) -> tuple[pa.RecordBatch, list[Quarantined]]:
    """Rows of strings (with their first and last line) to a batch of `schema`; a value that does not
    convert quarantines its row."""
    reasons: dict[int, str] = {}
    arrays = []
    for j, f in enumerate(schema):
        strings = [r[j] for _, _, r in rows]
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            arrays.append(pa.array(strings, f.type))
            continue
        values = []
        for k, v in enumerate(strings):
            if v in _CSV_NULLS:
                values.append(None)
            elif pa.types.is_boolean(f.type):
                values.append(_CSV_BOOLS.get(v))
                if v not in _CSV_BOOLS:
                    reasons.setdefault(k, f"CSV: column {f.name!r}: {v[:80]!r} is not {f.type} like the rows before")
            elif pa.types.is_null(f.type):
                values.append(None)
                reasons.setdefault(k, f"CSV: column {f.name!r}: {v[:80]!r} where the rows before are empty")
            else:
                try:
                    values.append(pc.cast(pa.array([v], pa.string()), f.type)[0].as_py())
                except (pa.ArrowException, ValueError):
                    values.append(None)
                    reasons.setdefault(k, f"CSV: column {f.name!r}: {v[:80]!r} is not {f.type} like the rows before")
        arrays.append(pa.array(values, f.type))
    batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
    if reasons:
        batch = batch.filter(pa.array([k not in reasons for k in range(len(rows))]))
    return batch, [Quarantined(path, rows[k][0], reasons[k] + csv_records.span(rows[k][0], rows[k][1]),
                               delim.join(rows[k][2])[:RAW_LIMIT]) for k in sorted(reasons)]


class TextFilesParams(FileReaderParams):
    glob: str = Field("*.txt", description="File name pattern inside the directory, e.g. '*.py' or '*.txt'.")
    max_bytes: int = Field(10_000_000, ge=1, description="Quarantine files larger than this many bytes.")


@register
class TextFilesReader(FileReader):
    name = "read_text_files"
    description = """Read a directory of text files, one row per file with columns `text` and `path`
    (relative to the directory). Files that are not valid UTF-8 or are too large are quarantined, and so
    is a symlink whose target lies outside the directory (it is not read); folder symlinks are not
    followed. A UTF-8 byte order mark at the start of a file is dropped."""
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
        return self._in_split(sorted(os.path.abspath(f) for f in Path(p).rglob(self.params.glob) if f.is_file()))

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
            if (escaped := self.outside_root(path)) is not None:
                yield escaped
                continue
            try:
                size = os.path.getsize(path)
                if size > self.params.max_bytes:
                    yield Quarantined(path, 0, f"file too large: {size} bytes > max_bytes={self.params.max_bytes}", "")
                    continue
                data = Path(path).read_bytes()
            except OSError as e:  # removed or unreadable since listing
                yield unreadable(path, e)
                continue
            text = decode_text(path, data)
            if isinstance(text, Quarantined):
                yield text
                continue
            texts.append(text)
            paths.append(rel)
            ids.append(row_ids(rel, 0, 1)[0])
        yield pa.table({"_id": pa.array(ids, pa.int64()), "text": pa.array(texts, pa.string()),
                        "path": pa.array(paths, pa.string())})


@register
class ArrowReader(FileReader):
    name = "read_arrow"
    description = """Read Arrow IPC files (stream or file format, `.arrow`/`.feather`), e.g. a Hugging Face
    dataset saved with `save_to_disk` or its cache: a folder is read through its `state.json` files when it
    has them (only the dataset's data files, never `cache-*.arrow`). A file that cannot be opened is
    quarantined whole; a batch that cannot be decoded, or a cut file (stream or file format), ends its
    file with the rows before it kept."""
    patterns = ("*.arrow", "*.feather")

    def files(self) -> list[str]:
        p = self.params.path
        if not os.path.isdir(p):
            return super().files()
        found: set[str] = set()
        listed_dirs: set[Path] = set()
        for state in Path(p).rglob("state.json"):
            try:
                entries = json.loads(state.read_text()).get("_data_files") or []
            except (OSError, ValueError, AttributeError):
                continue
            listed_dirs.add(state.parent)
            found.update(str(state.parent / e["filename"]) for e in entries if isinstance(e, dict) and "filename" in e)
        for pat in self.patterns:
            for f in Path(p).rglob(pat):
                if f.is_file() and f.parent not in listed_dirs and not f.name.startswith("cache-"):
                    found.add(str(f))
        return self._in_split(sorted({os.path.abspath(f) for f in found if os.path.isfile(f)}))

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        for path in shard:
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[pa.Table | Quarantined]:
        try:
            source = pa.OSFile(path, "rb")  # not a memory map: batches outlive the file here
        except DATA_ERRORS as e:
            yield unreadable(path, e, "Arrow file")
            return
        with source:
            yield from self._read_source(path, source)

    def _read_source(self, path: str, source) -> Iterator[pa.Table | Quarantined]:
        try:
            try:
                ipc = pa.ipc.open_file(source)
                batches = (ipc.get_batch(i) for i in range(ipc.num_record_batches))
            except pa.ArrowInvalid:  # not the file format: the stream format (what `datasets` writes)
                source.seek(0)
                # ... or a file-format file whose footer is cut or broken (a truncated copy): its body after
                # the 8-byte magic is a stream, so the batches before the cut are still read
                source.seek(8 if source.read(8)[:6] == b"ARROW1" else 0)
                ipc = pa.ipc.open_stream(source)
                batches = iter(ipc)
            schema = ipc.schema
        except DATA_ERRORS as e:
            yield unreadable(path, e, "Arrow file")
            return
        p = self.params
        field = p.text or "text"
        if p.text is not None and field not in schema.names:
            yield Quarantined(path, 0, f"no column {field!r} (columns: {', '.join(schema.names)})", "")
            return
        row, pending, emitted = 0, [], False
        pending_rows = 0
        while p.limit is None or row + pending_rows < p.limit:
            try:
                batch = next(batches, None)
            except DATA_ERRORS as e:
                if pending:
                    yield from self.emit(pa.Table.from_batches(pending, schema), path, np.arange(row, row + pending_rows))
                    row, pending, pending_rows, emitted = row + pending_rows, [], 0, True
                yield Quarantined(path, row + 1, f"file breaks after row {row}: {describe(e)}", "")
                return
            if batch is None:
                break
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= p.batch_size or (p.limit is not None and row + pending_rows >= p.limit):
                n = p.batch_size if p.limit is None else min(p.batch_size, p.limit - row)
                table = pa.Table.from_batches(pending, schema)
                yield from self.emit(table.slice(0, n), path, np.arange(row, row + n))
                row, emitted = row + n, True
                rest = table.slice(n)
                pending, pending_rows = rest.to_batches(), rest.num_rows
                if p.limit is not None and row >= p.limit:
                    return
        if pending_rows or not emitted:
            yield from self.emit(pa.Table.from_batches(pending, schema), path, np.arange(row, row + pending_rows))


def decode_text(path: str, data: bytes) -> str | Quarantined:
    """A whole file as text, or the reason it is not text (invalid UTF-8, or a NUL byte: a binary file).
    A leading UTF-8 byte order mark (Windows editors write one) is dropped: it is not part of the text."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return Quarantined(path, line, f"invalid UTF-8 at byte {e.start}", raw_line(data[:200]))
    nul = text.find("\x00")
    if nul >= 0:
        return Quarantined(path, 0, f"binary file (NUL byte at character {nul})", raw_line(data[:200]))
    return text


READERS_BY_SUFFIX = {
    ".jsonl": "read_jsonl", ".ndjson": "read_jsonl", ".jsonl.gz": "read_jsonl", ".jsonl.zst": "read_jsonl",
    ".json.gz": "read_jsonl", ".parquet": "read_parquet", ".csv": "read_csv", ".tsv": "read_csv",
    ".csv.gz": "read_csv", ".arrow": "read_arrow", ".feather": "read_arrow",
    ".warc": "read_warc", ".warc.gz": "read_warc", ".pdf": "read_pdf", ".html": "read_html", ".htm": "read_html",
}
SCAN_LIMIT = 10_000  # files looked at to guess a folder's format


def guess_reader(path: str) -> str | None:
    """The reader for a path by its extension (for `input: {path: ...}` without a format). For a folder:
    the format most of its data files have, at any depth (a Hugging Face dataset keeps them under `data/`
    or one folder per split, next to a README and JSON metadata); text files if none has a known one."""
    name = path.rstrip("/").lower()
    for suffix, reader in _by_length():
        if name.endswith(suffix):
            return reader
    if os.path.isdir(path):
        if any(os.path.isfile(os.path.join(path, f)) for f in ("dataset_dict.json", "state.json")):
            return "read_arrow"  # `datasets` save_to_disk
        counts = folder_formats(path)
        if counts:
            order = list(dict.fromkeys(READERS_BY_SUFFIX.values()))
            return max(counts, key=lambda r: (counts[r], -order.index(r)))
        return "read_text_files"
    return None


def folder_formats(path: str) -> collections.Counter[str]:
    """How many data files of each reader's format a folder holds, at any depth (the first SCAN_LIMIT files)."""
    counts: collections.Counter[str] = collections.Counter()
    for i, f in enumerate(_walk(path)):
        if i >= SCAN_LIMIT:
            break
        low = f.lower()
        reader = next((r for suffix, r in _by_length() if low.endswith(suffix)), None)
        if reader is not None and not os.path.basename(low).startswith("cache-"):
            counts[reader] += 1
    return counts


def _by_length() -> list[tuple[str, str]]:
    return sorted(READERS_BY_SUFFIX.items(), key=lambda kv: -len(kv[0]))


def _walk(root: str) -> Iterator[str]:
    """File names under `root` (top-down), skipping hidden folders (.git, .cache, .huggingface)."""
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield from sorted(filenames)
