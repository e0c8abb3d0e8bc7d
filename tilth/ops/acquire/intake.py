"""One path from a broken input record to a quarantine row, shared by every reader in tilth/ops/acquire.

Readers do not decide on their own how to report bad input: they call these helpers, so every reader
quarantines the same things the same way, each with its file, line (0: the whole file; for Parquet and
Arrow files the 1-based row) and a reason, and the run goes on.

- `read_lines(path)`: a file's physical lines (plain, .gz, .zst). A file that cannot be opened, or
  compressed data that is truncated or corrupt, gives ONE quarantine row and ends the file; every line
  before it is kept.
- `unreadable(path, exc)`: a file that cannot be opened or parsed at all (line 0).
- `records_to_table(records, ...)`: parsed JSON records to an Arrow table, column by column. A record
  whose value conflicts with the type of the other records' values in a column is quarantined instead of
  failing the whole block (Arrow raises) or being silently coerced (Arrow truncates 1.5 to 1 in int64).
- `check_text(table, field, required)`: the contract every reader's output meets: the text field holds
  strings or nothing. A number, boolean, object or list there is quarantined. A null text is kept: a claim
  without a note is still a claim (a newcomer's "the 10 biggest claims" lost the biggest, whose note was
  null, and a CSV's empty cell was kept all along). When the text is required (the recipe names the field
  with `input.text`), a file without that field at all quarantines its records (a misspelt field name).
- `DATA_ERRORS`: the exception types that mean "this input is broken", as opposed to a bug in Tilth,
  which still raises.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator

import pyarrow as pa

from tilth.lazy import LazyModule
from tilth.ops.base import Quarantined

pc = LazyModule("pyarrow.compute")  # imported on first use (~0.1 s), not by every run

RAW_LIMIT = 2000  # characters of a bad record kept in quarantine


def _zstd_error() -> type[Exception]:
    try:
        import zstandard

        return zstandard.ZstdError
    except ImportError:  # pragma: no cover - zstandard is a dependency
        return OSError


# OSError covers unreadable files and BadGzipFile; EOFError a truncated gzip stream; zlib.error corrupt
# deflate data; ValueError (with ArrowInvalid) and ArrowException malformed Arrow, Parquet and CSV data.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, zlib.error, ValueError, UnicodeError, pa.ArrowException, _zstd_error(),
)


def describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"[:500]


def unreadable(path: str, exc: BaseException, what: str = "file") -> Quarantined:
    return Quarantined(path, 0, f"unreadable {what}: {describe(exc)}", head(path))


def head(path: str, n: int = 200) -> str:
    """The first bytes of a file, for a quarantine row's `raw` (empty if the file cannot be read)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n).decode("utf-8", errors="replace")
    except OSError:
        return ""


def raw_line(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r\n")[:RAW_LIMIT]


def raw_row(row: dict) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)[:RAW_LIMIT]


# -- compressed files ---------------------------------------------------------------------------------
class _ZstdStream(io.RawIOBase):
    """zstd frames decompressed one after another. Unlike zstandard's stream_reader, this notices a file
    that ends inside a frame (a truncated download) and raises EOFError instead of returning a short file."""

    def __init__(self, fh):
        import zstandard

        self.fh, self.dctx = fh, zstandard.ZstdDecompressor()
        self.dobj, self.out, self.in_frame = self.dctx.decompressobj(), b"", False
        self.error: Exception | None = None  # raised once the data decompressed before it is read

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.out:
            if self.error is not None:
                raise self.error
            chunk = self.fh.read(1 << 17)
            if not chunk:
                if self.in_frame:
                    raise EOFError("zstd data ended inside a frame (the file is truncated)")
                return 0
            while chunk:
                self.in_frame = True
                try:
                    self.out += self.dobj.decompress(chunk)
                except Exception as e:  # corrupt data (or garbage after a frame): keep what came before it
                    self.error = e
                    break
                if not self.dobj.eof:
                    break
                self.in_frame = False
                chunk = self.dobj.unused_data
                self.dobj = self.dctx.decompressobj()
        n = min(len(b), len(self.out))
        b[:n] = self.out[:n]
        self.out = self.out[n:]
        return n

    def close(self) -> None:
        self.fh.close()
        super().close()


GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


def compression(path: str) -> str | None:
    """"gzip", "zstd" or None, by the file's first bytes, not its name: a gzip file saved as data.jsonl is
    common (a download kept the server's encoding), and read as text every line of it would be garbage."""
    named = "gzip" if path.endswith(".gz") else "zstd" if path.endswith((".zst", ".zstd")) else None
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return named
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if named is None:
        return None
    if head and (GZIP_MAGIC if named == "gzip" else ZSTD_MAGIC).startswith(head):
        return named  # a stream cut inside its magic number: truncated, as the decompressor says
    # named compressed but written plain ("{...", "text,n": UTF-8 text without control characters); anything
    # else (a stream cut inside its magic, garbage) goes to the decompressor the name says, which reports it
    try:  # (a character cut at the 64th byte is no error: final=False)
        text = codecs.getincrementaldecoder("utf-8")().decode(head.removeprefix(b"\xef\xbb\xbf"), final=False)
    except UnicodeDecodeError:
        text = ""
    plain = bool(text) and all(c >= " " or c in "\t\r\n" for c in text)
    return None if plain else named


def open_maybe_compressed(path: str) -> io.BufferedIOBase:
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "zstd":
        return io.BufferedReader(_ZstdStream(open(path, "rb")))
    return open(path, "rb")


def read_lines(path: str) -> Iterator[tuple[int, bytes] | Quarantined]:
    """(0-based line number, line) for each physical line. An unreadable file (line 0) or a compressed
    stream that breaks (the line where it breaks) is yielded as one Quarantined, and the file ends there."""
    try:
        fh = open_maybe_compressed(path)
    except DATA_ERRORS as e:
        yield unreadable(path, e)
        return
    lineno = 0
    with fh:
        try:
            for line in fh:
                yield lineno, line
                lineno += 1
        except DATA_ERRORS as e:
            if lineno == 0:
                yield unreadable(path, e)
            else:
                yield Quarantined(path, lineno + 1, f"file breaks after line {lineno} (truncated or corrupt): "
                                  f"{describe(e)}", "")


# -- types ----------------------------------------------------------------------------------------------
def kind(value) -> str:
    """A JSON value's kind in words, for quarantine reasons."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def type_kind(t: pa.DataType) -> str:
    """An Arrow type's kind in the same words as `kind`."""
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_boolean(t):
        return "a boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "a number"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "a string"
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return "an object"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "a list"
    return f"a {t}"


def _unify(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    """The type both fit in without loss (int + float -> float, struct fields merged); TypeError if none."""
    if a == b:
        return a
    try:
        merged = pa.unify_schemas([pa.schema([("c", a)]), pa.schema([("c", b)])], promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid) as e:
        raise TypeError(str(e)) from None
    return merged.field("c").type


def no_field(field: str, fields: list[str]) -> str:
    return f"no field {field!r} (fields: {', '.join(fields)})"


def not_text(field: str, what: str) -> str:
    return f"field {field!r} is {what}, not a string"


def records_to_table(records: list[dict], schema: pa.Schema | None, text_field: str,
                     required: bool) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Build a table of `records` (parsed JSON objects). Returns the table of the good records, in order,
    and (index, reason) for every record that was left out. `schema` is the previous block's, so a
    column keeps its type across blocks where the values allow it (it may widen, never narrow)."""
    bad: dict[int, str] = {}
    names: dict[str, None] = dict.fromkeys(schema.names) if schema is not None else {}
    for r in records:
        names.update(dict.fromkeys(r))
    absent = text_field not in names
    for i, r in enumerate(records):
        v = r.get(text_field)
        if v is None:
            if required and absent:  # (a null or missing text in a file that has the field is kept)
                bad[i] = no_field(text_field, list(names))
        elif not isinstance(v, str):
            bad[i] = not_text(text_field, kind(v))
    types: dict[str, pa.DataType] = {}
    mixed: dict[str, dict] = {}  # columns of numbers made text by a few strings among them
    for name in names:
        if name == text_field:
            types[name] = pa.string()
            continue
        prev = schema.field(name).type if schema is not None and name in schema.names else None
        good = [i for i in range(len(records)) if i not in bad]
        try:
            values = [records[i].get(name) for i in good]
            arr = pa.array(values)
            # Arrow's inference may coerce inside a nested value ([0.0, False] -> [0.0, 0.0]): check it kept them
            if pa.types.is_nested(arr.type) and not _kept(arr.to_pylist(), values):
                raise ValueError("lossy nested inference")
            types[name] = arr.type if prev is None else _unify(prev, arr.type)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            scalar_before = prev is None or pa.types.is_string(prev) or pa.types.is_integer(prev) \
                or pa.types.is_floating(prev) or pa.types.is_boolean(prev)
            if scalar_before and (_strings_among_scalars(values) or prev is not None and not pa.types.is_string(prev)
                                  and _strings_among_scalars([*values, 0])):
                # "A-1" then 10,000 numbers, or numbers for 36 MB and then "v2": every record kept, the column
                # text, numbers as their JSON text (earlier blocks' parts are made text too: unify_reader_parts)
                types[name] = pa.string()
                texts = [v for i in good if isinstance(v := records[i].get(name), str)]
                numbers = sum(1 for i in good if records[i].get(name) is not None) - len(texts)
                if numbers:  # (said after the read: see TEXT_AMONG_NUMBERS)
                    mixed[name] = {"numbers": numbers, "texts": len(texts), "shown": list(dict.fromkeys(texts))[:3]}
                for i in good:
                    v = records[i].get(name)
                    if v is not None and not isinstance(v, str):
                        records[i][name] = json.dumps(v)
            else:
                types[name] = _column_type_by_record(records, good, name, prev, bad)
    while True:
        good = [i for i in range(len(records)) if i not in bad]
        try:
            columns = {name: pa.array([records[i].get(name) for i in good], type=t) for name, t in types.items()}
            break
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            # a value that its column's type cannot hold exactly (an integer above 2**53 in a float column)
            found = _values_that_do_not_fit(records, good, types, bad)
            if not found:
                raise
    table = pa.table(columns) if columns else pa.table({"_": pa.nulls(len(good))}).drop_columns(["_"])
    return with_note(table, TEXT_AMONG_NUMBERS, mixed), sorted(bad.items())


# Schema metadata of a reader's part that the runner says after the read: the columns of numbers that some strings
# among them made text, every record kept ({"stars": {"numbers": 44, "texts": 1, "shown": ["five"]}}); the columns a
# reader renamed ({"Stars": "Stars_2", "_id": "_source_id"})
TEXT_AMONG_NUMBERS = b"tilth.text_among_numbers"
RENAMED = b"tilth.renamed"


def _strings_among_scalars(values: list) -> bool:
    """Strings and numbers (or booleans) in one column, nothing nested: text is the type that holds them all."""
    seen = {type(v) for v in values if v is not None}
    return str in seen and len(seen) > 1 and seen <= {str, int, float, bool}


def _values_that_do_not_fit(records, good, types, bad) -> bool:
    """Quarantine each record with a value its column's type cannot hold; whether any was found."""
    found = False
    for name, t in types.items():
        for i in good:
            if i in bad:
                continue
            try:
                pa.array([records[i].get(name)], type=t)
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
                bad[i] = f"field {name!r}: does not fit the column's type {t}: {describe(e)}"
                found = True
    return found


def _column_type_by_record(records, good, name, prev, bad) -> pa.DataType:
    """One column's type, record by record in file order: the first value (or the previous block) sets
    the type, later values may widen it; a value that does not fit is its record's quarantine reason."""
    t = prev
    for i in good:
        v = records[i].get(name)
        if v is None:
            continue
        try:
            one = pa.array([v])
            tv = one.type
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
            bad[i] = f"field {name!r}: {describe(e)}"
            continue
        if pa.types.is_nested(tv) and not _kept(one.to_pylist(), [v]):
            bad[i] = f"field {name!r}: mixed value types inside one value (e.g. numbers and booleans in a list)"
            continue
        if t is None:
            t = tv
            continue
        try:
            t = _unify(t, tv)
        except TypeError:
            here, before = kind(v), type_kind(t)
            bad[i] = (f"field {name!r} is {here} here but {before} in earlier records" if here != before else
                      f"field {name!r} is {tv} here but {t} in earlier records")
    return t if t is not None else pa.null()


def check_text(table: pa.Table, field: str, required: bool,
               per_record: bool = False) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Keep the rows whose `field` is a string or null (binary is decoded as UTF-8); return the kept table,
    with that column typed string, and (row index, reason) for every other row. A table without the column
    passes when the text is not required; when it is, every row is reported, unless the fields are
    `per_record` (JSON: rows without the field are rows without a text, given a null one)."""
    n = table.num_rows
    if field not in table.column_names:
        if not required or n == 0 or per_record:
            if required:
                table = table.append_column(field, pa.nulls(n, pa.string()))
            return table, []
        return table.slice(0, 0).append_column(field, pa.array([], pa.string())), \
            [(i, no_field(field, table.column_names)) for i in range(n)]
    col = table.column(field)
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = col.cast(t.value_type), t.value_type
    reasons: list[str | None] = [None] * n
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = col
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        values = col.to_pylist()
        decoded = []
        for i, v in enumerate(values):
            try:
                decoded.append(None if v is None else v.decode("utf-8"))
            except UnicodeDecodeError as e:
                reasons[i] = f"field {field!r} is not valid UTF-8 (byte {e.start})"
                decoded.append(None)
        text = pa.array(decoded, pa.string())
    elif pa.types.is_null(t):
        text = pa.nulls(n, pa.string())
    else:
        valid = pc.is_valid(col).to_pylist()
        what = type_kind(t)
        for i in range(n):
            if valid[i]:
                reasons[i] = not_text(field, what)
        text = pa.nulls(n, pa.string())
    table = table.set_column(table.column_names.index(field), field, text)
    bad = [(i, r) for i, r in enumerate(reasons) if r is not None]
    if bad:
        mask = pa.array([r is None for r in reasons])
        table = table.filter(mask)
    return table, bad


def quarantine_rows(path: str, bad: list[tuple[int, str]], line_of: Callable[[int], int],
                    raw_of: Callable[[int], str]) -> list[Quarantined]:
    return [Quarantined(path, line_of(i), reason, raw_of(i)) for i, reason in bad]


def _kept(got, want) -> bool:
    """Arrow gave back the same values: booleans stay booleans, numbers stay numbers (int/float may widen)."""
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, int | float) and isinstance(got, int | float):
        return float(got) == float(want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_kept, got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and all(_kept(got.get(k), v) for k, v in want.items())
    return got == want or (want is None and got is None)


def with_note(table: pa.Table, key: bytes, note: dict) -> pa.Table:
    """`table` with `note` merged into its schema metadata under `key` (what the runner tells the user after the
    read: see TEXT_AMONG_NUMBERS, RENAMED)."""
    if not note:
        return table
    meta = dict(table.schema.metadata or {})
    meta[key] = json.dumps({**json.loads(meta.get(key, b"{}")), **note}).encode()
    return table.replace_schema_metadata(meta)
