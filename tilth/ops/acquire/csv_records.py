"""A CSV file as chunks of whole records, for read_csv: every physical line ends up in a chunk or in a
quarantine row, so nothing is lost silently.

Arrow's CSV reader cannot say where a record ends before it parses it, and an unterminated quote makes
it read the rest of the file as one value (or fail on a record larger than its block). So the file is
cut here first, a block of bytes at a time:

- lines that are not valid UTF-8 are taken out and quarantined (checked a block at a time; line by
  line only in a block that fails);
- a regular expression that follows the quoting rules of Arrow and Python's csv module (a quote opens
  a value only at the start of a field, `""` inside quotes is a quote) finds where the last whole record
  of the block ends; the rest waits for the next block;
- the rule for broken quotes: a quoted value may span at most `max_lines` lines and must be followed by
  a separator or the end of its line. A quote that is not closed within `max_lines` lines or by the end
  of the file ("unterminated quote"), or that is closed with text after it (usually a stray quote that
  paired with the next quote in the file), breaks its record: the record's lines up to the line where
  that quote opened are quarantined, and reading resumes, outside quotes, at the next line. So a stray
  quote costs its own line, not the rows after it.

Lines are numbered twice: *logical* lines are the lines handed on (invalid UTF-8 lines removed) and
`LineMap.physical` turns one into the file's line number.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tilth.ops.acquire.intake import DATA_ERRORS, describe, open_maybe_compressed, raw_line, unreadable
from tilth.ops.base import Quarantined


@dataclass
class LineMap:
    """Physical line numbers of the lines taken out (invalid UTF-8), sorted, to map logical lines back."""

    dropped: list[int] = field(default_factory=list)

    def physical(self, logical: int) -> int:
        """1-based logical line -> 1-based physical line: add the dropped lines at or before it."""
        k = 0
        while True:
            k2 = bisect.bisect_right(self.dropped, logical + k)
            if k2 == k:
                return logical + k
            k = k2


@dataclass
class Chunk:
    """Whole records (valid UTF-8, ending in a newline); `first` is the logical line (0-based) of its
    first byte."""

    data: bytes
    first: int
    lines: LineMap


def span(first: int, last: int) -> str:
    """A quarantine reason's suffix naming the lines a record covers when it covers more than one."""
    return f" (lines {first}-{last})" if last > first else ""


@functools.lru_cache(maxsize=32)
def patterns(delim: str, max_lines: int) -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """(records, one record, the fields before a broken one, a quoted value) for a delimiter and a
    quoted-value line limit. A quoted value must be followed by a separator or the end of its line.

    All repeats are possessive, so a match never backtracks into a quoted value and re-reads `""` or a
    closing quote as something else; the cost is linear in the bytes."""
    d = re.escape(delim.encode())
    content = rb'(?:[^"\n]++|"")*+'
    quoted = rb'"' + content + rb'(?:\n' + content + rb'){0,%d}+"' % (max_lines - 1)
    fld = rb'(?:' + quoted + rb'|[^"' + d + rb'\r\n][^' + d + rb'\r\n]*+)?+'  # later quotes in a field are text
    fields = rb'(?:' + fld + rb'[' + d + rb'\r])*+'
    record = fields + fld + rb'\n'
    return re.compile(rb'(?:' + record + rb')*+'), re.compile(record), re.compile(fields), re.compile(quoted)


def record_starts(data: bytes, delim: str, max_lines: int) -> list[int]:
    """Offsets of the non-blank records of a chunk (Arrow skips blank lines and numbers the others)."""
    one = patterns(delim, max_lines)[1]
    starts, pos = [], 0
    while pos < len(data):
        end = one.match(data, pos).end()
        if data[pos:end] not in (b"\n", b"\r\n"):
            starts.append(pos)
        pos = end
    return starts


def chunks(path: str, delim: str, max_lines: int, block: int) -> Iterator[Chunk | Quarantined]:
    """The file as chunks of about `block` bytes of whole records, and quarantine rows, in file order."""
    try:
        fh = open_maybe_compressed(path)
    except DATA_ERRORS as e:
        yield unreadable(path, e)
        return
    lines = LineMap()
    reader = _Records(path, delim, max_lines, lines)
    with fh:
        for piece in _valid_lines(fh, path, block, lines):
            if isinstance(piece, Quarantined):
                yield piece
                continue
            yield from reader.feed(piece, block)
        yield from reader.finish()


class _Records:
    """Cuts a stream of whole lines into chunks of whole records, applying the unterminated-quote rule."""

    def __init__(self, path: str, delim: str, max_lines: int, lines: LineMap):
        self.path, self.max_lines, self.lines = path, max_lines, lines
        self.records, _, self.fields, self.quoted = patterns(delim, max_lines)
        self.pending = b""  # lines not yet in a chunk, starting at a record
        self.first = 0  # logical line (0-based) of pending's first line
        self.complete = 0  # bytes of pending that are whole records (known from the last scan)

    def feed(self, data: bytes, block: int) -> Iterator[Chunk | Quarantined]:
        """Take more lines; hand on the whole records once there are `block` bytes of them."""
        self.pending += data
        if b'"' not in data and data.endswith(b"\n") and self.complete == len(self.pending) - len(data):
            self.complete = len(self.pending)  # no quote: every line is a record (the common case)
        else:
            yield from self._scan()
        if self.complete >= block:
            yield self._take(self.complete)

    def finish(self) -> Iterator[Chunk | Quarantined]:
        """The end of the file: a quote still open now is unterminated; hand on the rest."""
        if self.pending and not self.pending.endswith(b"\n"):
            self.pending += b"\n"  # the last line has no newline: it is still one line
        yield from self._scan(at_end=True)
        if self.complete:
            yield self._take(self.complete)

    def _scan(self, at_end: bool = False) -> Iterator[Chunk | Quarantined]:
        """Find where the whole records end. A record whose quoted value is broken (not closed within
        max_lines lines or by the end of the file, or closed with text after it) is quarantined through
        the line where that quote opened, and the scan goes on at the next line."""
        while True:
            self.complete = self.records.match(self.pending, self.complete).end()
            if self.complete == len(self.pending):
                return
            quote = self.fields.match(self.pending, self.complete).end()  # the broken quoted value
            closed = self.quoted.match(self.pending, quote)
            if closed:
                why = "text after the closing quote of a value (a stray quote?)"
            elif self.pending.count(b"\n", quote) >= self.max_lines:
                why = f"unterminated quote (not closed within {self.max_lines} lines)"
            elif at_end:
                why = "unterminated quote (not closed by the end of the file)"
            else:
                return  # the value may still close in lines not read yet
            quote -= self.complete
            if self.complete:
                yield self._take(self.complete)
            end = self.pending.index(b"\n", quote) + 1
            n = self.pending.count(b"\n", 0, end)
            yield self._quarantine(end, n, f"CSV: {why}{span(*self._physical(n))}")

    def _physical(self, n: int) -> tuple[int, int]:
        return self.lines.physical(self.first + 1), self.lines.physical(self.first + n)

    def _take(self, end: int) -> Chunk:
        chunk = Chunk(self.pending[:end], self.first, self.lines)
        self._drop(end, chunk.data.count(b"\n"))
        return chunk

    def _quarantine(self, end: int, n_lines: int, reason: str) -> Quarantined:
        q = Quarantined(self.path, self.lines.physical(self.first + 1), reason, raw_line(self.pending[:end]))
        self._drop(end, n_lines)
        return q

    def _drop(self, end: int, n_lines: int) -> None:
        self.pending, self.first = self.pending[end:], self.first + n_lines
        self.complete = max(0, self.complete - end)


def _valid_lines(fh, path: str, block: int, lines: LineMap) -> Iterator[bytes | Quarantined]:
    """Whole lines of the file, about `block` bytes at a time, without the lines that are not valid UTF-8
    (quarantined, and noted in `lines`). A file that breaks (truncated compression) ends at its last
    whole line, plus the partial one, with one quarantine row."""
    carry, n_lines = b"", 0  # n_lines: physical lines handed on or dropped so far
    while True:
        try:
            buf = fh.read(block)
        except DATA_ERRORS as e:
            buf, whole = None, n_lines + carry.count(b"\n")
            broken = Quarantined(path, whole + 1, f"file breaks after line {whole} (truncated or corrupt): "
                                 f"{describe(e)}", "")
        if not buf:
            if carry:
                yield from _checked(carry, path, n_lines, lines)
            if buf is None:
                yield broken
            return
        data = carry + buf
        cut = data.rfind(b"\n") + 1
        if not cut:  # one line longer than a block: read on
            carry = data
            continue
        carry = data[cut:]
        yield from _checked(data[:cut], path, n_lines, lines)
        n_lines += data.count(b"\n", 0, cut)


def _checked(data: bytes, path: str, n_before: int, lines: LineMap) -> Iterator[bytes | Quarantined]:
    """`data` as is when it is valid UTF-8 (one C call), else without its invalid lines."""
    try:
        data.decode("utf-8")
        yield data
        return
    except UnicodeDecodeError:
        pass
    keep = []
    for k, line in enumerate(_lines(data)):
        try:
            line.decode("utf-8")
            keep.append(line)
        except UnicodeDecodeError as e:
            lines.dropped.append(n_before + k + 1)
            yield Quarantined(path, n_before + k + 1, f"invalid UTF-8 at byte {e.start}", raw_line(line))
    yield b"".join(keep)


def _lines(data: bytes) -> list[bytes]:
    """Lines with their newlines; not bytes.splitlines(), which also ends a line at a lone \r."""
    parts = [p + b"\n" for p in data.split(b"\n")]
    parts[-1] = parts[-1][:-1]
    return parts if parts[-1] else parts[:-1]
