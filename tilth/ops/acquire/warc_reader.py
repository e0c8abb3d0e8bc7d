"""`read_warc`: WARC files (plain or .gz), one row per HTML response record, text by trafilatura.

Only `response` records whose HTTP content type is HTML (and, by default, whose status is 2xx) become
rows; request, metadata and warcinfo records are normal WARC content and are skipped. A record that cannot
be parsed, is truncated (fewer bytes than its Content-Length, or a file that ends inside a record's headers
or gzip member), or a file whose gzip/WARC framing breaks, is quarantined with its 1-based record number and the rows read
before it are kept; junk between records is quarantined as one record and reading goes on at the next. A file
with no WARC records at all is quarantined whole (line 0). warcio prints its own warnings about junk.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator

import pyarrow as pa
from pydantic import Field

from tilth.ops.acquire.html_extract import Favor, decode_html, extract_html
from tilth.ops.acquire.html_reader import DocFileReader, DocReaderParams, not_html
from tilth.ops.acquire.intake import head, unreadable
from tilth.ops.base import Quarantined
from tilth.ops.registry import register

HTML_TYPES = ("text/html", "application/xhtml+xml")


class WarcParams(DocReaderParams):
    keep_html: bool = Field(False, description="Also store the raw HTML (decoded) in an `html` column.")
    only_ok: bool = Field(True, description="Keep only responses with HTTP status 200-299 (redirects and errors are skipped).")
    favor: Favor = Field("balanced", description="trafilatura's trade-off: 'precision' drops more boilerplate, 'recall' keeps more text.")
    max_bytes: int = Field(20_000_000, ge=1, description="Quarantine HTML records larger than this many bytes (not read: "
                           "extraction time grows faster than the page, so one huge page could stall a worker for minutes).")


@register
class WarcReader(DocFileReader):
    name = "read_warc"
    description = """Read WARC archives (.warc, .warc.gz): one row per HTML response record with `url`,
    `date` (WARC-Date), `status`, `title` and `text` (main content by trafilatura); optional raw `html`.
    Broken or truncated records (also a file cut inside a record's headers), HTML records larger than
    `max_bytes` or binary (a NUL byte), or a corrupt archive are quarantined with the record number; earlier rows are kept."""
    examples = (
        "read WARC archives from a crawl",
        "extract pages from Common Crawl WARC files",
    )
    patterns = ("*.warc", "*.warc.gz")
    outputs = ("_id", "url", "date", "status", "title", "text")
    Params = WarcParams

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        for path in shard:
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[pa.Table | Quarantined]:
        from warcio.archiveiterator import ArchiveIterator

        p = self.params
        cols = ["url", "date", "status", "title", "text"] + (["html"] if p.keep_html else [])
        rows: dict[str, list] = {c: [] for c in cols}
        records: list[int] = []
        number, kept, broken, yielded = 0, 0, False, False
        skipped = None  # the last record, when it made no row (not HTML): checked for truncation at the end
        try:
            fh = open(path, "rb")
        except OSError as e:  # removed or unreadable since listing
            yield unreadable(path, e, "WARC file")
            return
        whole = None  # a .warc.gz compressed as one gzip stream (gzip of the whole file): read decompressed
        with fh:
            archive = ArchiveIterator(fh)
            it = iter(archive)
            while True:
                try:
                    record = next(it)
                except StopIteration:
                    break
                except Exception as e:
                    if whole is None and path.endswith(".gz") and "non-chunked gzip" in str(e):
                        whole = _Inflated(path)  # warcio seeks per gzip member and refuses one stream
                        archive = ArchiveIterator(whole)
                        it = _after(iter(archive), number)  # the records already read are not read twice
                        continue
                    if whole is not None:  # a cut or corrupt stream: nothing after this point can be found
                        yield Quarantined(path, number + 1, f"unreadable WARC record {number + 1} in a .gz that is one "
                                          f"gzip stream: {type(e).__name__}: {e}", "")
                        broken = True
                        break
                    # warcio raises several types for broken framing; none may crash a run
                    # (warcio's offsets are positions in the file, also for an iterator started after junk)
                    at = _next_record(fh, archive.offset + 1, path.endswith(".gz"))
                    yield Quarantined(path, number + 1, f"unreadable WARC record {number + 1}: {type(e).__name__}: {e}"
                                      + (f"; reading goes on at byte {at}" if at is not None else ""), "")
                    if at is None:
                        broken = True
                        break
                    number += 1
                    fh.seek(at)
                    archive = ArchiveIterator(fh)
                    it = iter(archive)
                    continue
                length = (record.rec_headers.get_header("Content-Length") or "").strip()
                if not length.isdigit() and record.format == "warc" and record.rec_headers.protocol.startswith("WARC/"):
                    # a WARC record always has a Content-Length; warcio yields a file cut inside the headers
                    # as a record without one (type None, or cut short: 'respon') or with an empty one
                    yield Quarantined(path, number + 1, f"file ends inside the headers of WARC record {number + 1} "
                                      "(truncated: no Content-Length)", "")
                    broken = True
                    break
                if record.rec_type is None:  # only blank lines left: warcio yields an empty pseudo-record
                    continue
                if record.format != "warc":  # warcio falls back to parsing junk as legacy ARC headers
                    yield Quarantined(path, number + 1, f"record {number + 1} is not a WARC record (parsed as {record.format!r})",
                                      _head(path) if number == 0 else "")
                    broken = True
                    break
                number += 1
                try:
                    row = self._row(record)
                except Exception as e:  # a truncated or undecodable payload
                    yield Quarantined(path, number, f"bad WARC record {number}: {type(e).__name__}: {e}", "")
                    skipped = None
                    continue
                if row is None:
                    skipped = record
                    continue
                skipped = None
                for c in cols:
                    rows[c].append(row[c])
                records.append(number - 1)
                kept += 1
                at_limit = p.limit is not None and kept >= p.limit
                if len(records) >= p.batch_size or at_limit:
                    yield self._table(rows, path, records)
                    if at_limit:
                        return
                    rows, records, yielded = {c: [] for c in cols}, [], True
            if whole is not None:
                whole.close()
                if whole.cut and not broken:
                    yield Quarantined(path, number + 1, f"the gzip stream is cut short after WARC record {number} "
                                      "(truncated download?): the rest of the file cannot be read", "")
                    broken = True
            size = os.fstat(fh.fileno()).st_size
            missing = getattr(getattr(skipped, "raw_stream", None), "limit", 0)
            if missing and not broken:  # a skipped record (not HTML, or cut in its HTTP headers) that is cut short
                yield Quarantined(path, number, f"bad WARC record {number}: EOFError: record truncated: {missing} "
                                  f"of {skipped.length} bytes missing", "")
            elif number and not broken and whole is None and archive.offset < size and \
                    _cut_record(fh, archive.offset, path):
                yield Quarantined(path, number + 1, f"file ends inside WARC record {number + 1} (truncated: bytes "
                                  f"{archive.offset}-{size} are not a whole record)", "")
        if number == 0 and not broken and os.path.getsize(path) > 0:
            if _starts_like_warc(path):  # a WARC file cut inside its first record, not some other file
                yield Quarantined(path, 1, "file ends inside WARC record 1 (truncated: no whole record)", "")
            else:
                yield Quarantined(path, 0, "no WARC records found: not a WARC file", _head(path))
        if records or not yielded:  # an empty table still tells validation (peek) the reader's columns
            yield self._table(rows, path, records)

    def _row(self, record) -> dict | None:
        if record.rec_type != "response" or record.http_headers is None:
            return None
        ctype = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in HTML_TYPES:
            return None
        status = int(record.http_headers.get_statuscode() or 0)
        if self.params.only_ok and not 200 <= status < 300:
            return None
        if record.length is not None and record.length > self.params.max_bytes:
            raise ValueError(f"record too large: {record.length} bytes > max_bytes={self.params.max_bytes}")
        data = record.content_stream().read()
        missing = getattr(record.raw_stream, "limit", 0)
        if missing:  # warcio returns a truncated block without complaint; the WARC Content-Length knows
            raise EOFError(f"record truncated: {missing} of {record.length} bytes missing")
        if (reason := not_html(data)) is not None:  # served as HTML, but an image or UTF-16 without a BOM
            raise ValueError(reason)
        url = record.rec_headers.get_header("WARC-Target-URI")
        page = decode_html(data, _charset(record))
        doc = extract_html(page, url=url, favor=self.params.favor)
        row = {"url": url, "date": record.rec_headers.get_header("WARC-Date"), "status": status,
               "title": doc.title, "text": doc.text}
        if self.params.keep_html:
            row["html"] = page
        return row

    def _table(self, rows: dict[str, list], path: str, records: list[int]) -> pa.Table:
        types = {"status": pa.int32()}
        table = pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in rows.items()})
        return self.with_ids(table, path, records)


class _Inflated(io.RawIOBase):
    """A .gz file as its decompressed bytes, read in blocks; a cut stream ends early (`cut` says so) instead of
    raising, so the records before the cut are kept."""

    def __init__(self, path: str):
        self._fh = open(path, "rb")
        self._z = zlib.decompressobj(wbits=47)  # gzip or zlib header
        self._buf = b""
        self.cut = self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self._buf:
            if self._ended:
                return 0
            if self._z.eof:  # another gzip member may follow
                rest = self._z.unused_data
                if not rest and not (rest := self._fh.read(1 << 20)):
                    self._ended = True
                    return 0
                self._z = zlib.decompressobj(wbits=47)
                self._buf = self._z.decompress(rest)
                continue
            block = self._fh.read(1 << 20)
            if not block:
                self.cut = self._ended = True  # no end-of-stream marker
                return 0
            try:
                self._buf = self._z.decompress(block)
            except zlib.error:
                self.cut = self._ended = True
                return 0
        n = min(len(out), len(self._buf))
        out[:n], self._buf = self._buf[:n], self._buf[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _after(records: Iterator, n: int) -> Iterator:
    """`records` without its first n WARC records (warcio's empty pseudo-records do not count)."""
    for record in records:
        if n <= 0:
            yield record
        elif record.rec_type is not None:
            n -= 1


def _next_record(fh, start: int, gz: bool) -> int | None:
    """The offset of the next record at or after `start` (junk between records, e.g. a proxy's error page
    pasted into the archive, loses only itself): a line starting with a WARC version, or for .gz the next
    gzip member that inflates to one. None if there is none."""
    fh.seek(start)
    data, pos = fh.read(), start
    needle = b"\x1f\x8b\x08" if gz else b"WARC/1."
    i = data.find(needle)
    while i >= 0:
        if gz:
            try:
                head = zlib.decompressobj(wbits=31).decompress(data[i: i + 4096], 64)
            except zlib.error:
                head = b""
            if head.lstrip()[:5] == b"WARC/":
                return pos + i
        else:  # (junk need not end with a line break)
            return pos + i
        i = data.find(needle, i + 1)
    return None


def _cut_record(fh, offset: int, path: str) -> bool:
    """Whether the bytes after the last record warcio parsed are the start of a record that was cut off.
    warcio stops without a word when a file ends inside a record's headers or inside a gzip member (a
    truncated download); trailing blank lines or an empty gzip member are not a record."""
    fh.seek(offset)
    tail = fh.read(1 << 16)
    if path.endswith(".gz") and tail[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(wbits=31)
        try:
            tail = d.decompress(tail)
        except zlib.error:
            return True
        if not d.eof:
            return True
    return bool(tail.strip())


def _starts_like_warc(path: str) -> bool:
    """Whether the file (gunzipped as far as it goes) begins with a WARC version line."""
    with open(path, "rb") as fh:
        data = fh.read(1 << 12)
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(wbits=31).decompress(data)
        except zlib.error:
            return False
    return data.lstrip()[:5] == b"WARC/"


def _charset(record) -> str | None:
    ctype = record.http_headers.get_header("Content-Type") or ""
    for part in ctype.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "charset" and v:
            try:
                "".encode(v.strip('"'))
                return v.strip('"')
            except LookupError:
                return None
    return None


def _head(path: str) -> str:
    return head(path)
