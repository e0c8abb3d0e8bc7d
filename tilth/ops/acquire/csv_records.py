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
  that quote opened are quarantined, and reading goes on, outside quotes, from the next line. So a stray
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
    """Cuts a stream of whole lines into chunks of whole records, applying the broken-quote rule.

    The lines of a broken record are cut out and noted in the LineMap as taken out, like invalid UTF-8
    lines, so a chunk is the whole records around them and its lines keep their physical numbers."""

    def __init__(self, path: str, delim: str, max_lines: int, lines: LineMap):
        self.path, self.max_lines, self.lines = path, max_lines, lines
        self.records, _, self.fields, self.quoted = patterns(delim, max_lines)
        self.pending, self.pos = b"", 0  # lines read; pending[pos:] is not handed on yet (starts a record)
        self.first = 0  # logical line (0-based) at pos
        self.complete, self.complete_lines = 0, 0  # pending[pos:complete] is whole records, of this many lines
        self.parts: list[bytes] = []  # whole records before the lines cut out since the last chunk
        self.parts_first = 0

    def feed(self, data: bytes, block: int) -> Iterator[Chunk | Quarantined]:
        """Take more lines; hand on the whole records once there are `block` bytes of them."""
        all_whole = self.complete == len(self.pending)
        self.pending = self.pending[self.pos:] + data
        self.complete -= self.pos
        self.pos = 0
        if all_whole and b'"' not in data:  # no quote: every line is a record (the common case)
            self.complete, self.complete_lines = len(self.pending), self.complete_lines + data.count(b"\n")
        else:
            yield from self._scan()
        if sum(map(len, self.parts)) + self.complete - self.pos >= block:
            yield self._take()

    def finish(self) -> Iterator[Chunk | Quarantined]:
        """The end of the file: a quote still open now is unterminated; hand on the rest."""
        yield from self._scan(at_end=True)
        if self.parts or self.complete > self.pos:
            yield self._take()

    def _scan(self, at_end: bool = False) -> Iterator[Quarantined]:
        """Find where the whole records end. A record whose quoted value is broken (not closed within
        max_lines lines or by the end of the file, or closed with text after it) is quarantined through
        the line where that quote opened, and the scan goes on at the next line."""
        while True:
            end = self.records.match(self.pending, self.complete).end()
            self.complete_lines += self.pending.count(b"\n", self.complete, end)
            self.complete = end
            if end == len(self.pending):
                return
            quote = self.fields.match(self.pending, end).end()  # the broken quoted value
            if self.quoted.match(self.pending, quote):
                why = "text after the closing quote of a value (a stray quote?)"
            elif _has_lines(self.pending, quote, self.max_lines):
                why = f"unterminated quote (not closed within {self.max_lines} lines)"
            elif at_end:
                why = "unterminated quote (not closed by the end of the file)"
            else:
                return  # the value may still close in lines not read yet
            yield self._cut(self.pending.index(b"\n", quote) + 1, why)

    def _cut(self, end: int, why: str) -> Quarantined:
        """Quarantine pending[complete:end] (a broken record's first lines) and take them out of the stream."""
        start, before = self.complete, self.first + self.complete_lines
        n = self.pending.count(b"\n", start, end)
        physical = [self.lines.physical(before + k) for k in range(1, n + 1)]
        q = Quarantined(self.path, physical[0], f"CSV: {why}{span(physical[0], physical[-1])}",
                        raw_line(self.pending[start:end]))
        for line in physical:
            bisect.insort(self.lines.dropped, line)
        if start > self.pos:
            if not self.parts:
                self.parts_first = self.first
            self.parts.append(self.pending[self.pos:start])
        self.pos, self.first, self.complete, self.complete_lines = end, before, end, 0
        return q

    def _take(self) -> Chunk:
        first = self.parts_first if self.parts else self.first
        chunk = Chunk(b"".join([*self.parts, self.pending[self.pos:self.complete]]), first, self.lines)
        self.parts, self.pos = [], self.complete
        self.first, self.complete_lines = self.first + self.complete_lines, 0
        return chunk


def _has_lines(data: bytes, start: int, n: int) -> bool:
    """Whether data[start:] has n newlines, looking no further than the n-th (not data.count: with many
    broken quotes in one block, counting to the end each time would be quadratic)."""
    pos = start
    for _ in range(n):
        pos = data.find(b"\n", pos) + 1
        if not pos:
            return False
    return True


def _valid_lines(fh, path: str, block: int, lines: LineMap) -> Iterator[bytes | Quarantined]:
    """Whole lines of the file (each ending in a newline), about `block` bytes at a time, without the
    lines that are not valid UTF-8 (quarantined, and noted in `lines`). A file that breaks (truncated
    compression) ends at its last whole line, with one quarantine row at the line where it broke."""
    carry, n_lines = b"", 0  # n_lines: physical lines handed on or dropped so far
    while True:
        buf, error = _read_block(fh, block)
        data = carry + buf
        cut = data.rfind(b"\n") + 1
        if cut:
            yield from _checked(data[:cut], path, n_lines, lines)
            n_lines += data.count(b"\n", 0, cut)
        carry = data[cut:]  # (a line longer than a block waits for the rest)
        if error is not None:  # the partial line where it broke is the quarantined one
            yield Quarantined(path, n_lines + 1, f"file breaks after line {n_lines} (truncated or corrupt): "
                              f"{describe(error)}", "")
            return
        if not buf:
            if carry:  # the last line has no newline: it is still a line, and gets one here
                yield from _checked(carry + b"\n", path, n_lines, lines)
            return


def _read_block(fh, block: int) -> tuple[bytes, BaseException | None]:
    """Up to `block` bytes in the stream's own reads (read1), so a stream that breaks (a truncated .gz)
    keeps what it gave before; and the error, if it broke."""
    parts, n = [], 0
    try:
        while n < block:
            piece = fh.read1(block - n)
            if not piece:
                break
            parts.append(piece)
            n += len(piece)
    except DATA_ERRORS as e:
        return b"".join(parts), e
    return b"".join(parts), None


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
