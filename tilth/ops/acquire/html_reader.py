"""`read_html`: a directory (or glob) of HTML files, one row per file with its title and main text.

Also the small base shared by the document readers (HTML, WARC, PDF, crawl): their parameters and the
`_id` scheme (file path relative to the input root + record number within the file, as for every reader).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.acquire.html_extract import Favor, decode_html, extract_html
from tilth.ops.acquire.intake import raw_line, unreadable
from tilth.ops.acquire.readers import FileReader, _ids_for_records
from tilth.ops.base import Params, Quarantined
from tilth.ops.registry import register


class DocReaderParams(Params):
    path: str = Field(description="A file, a directory (read recursively) or a glob pattern.")
    batch_size: int = Field(1000, ge=1, le=1_000_000, description="Rows per part: the unit of parallelism and resume.")
    limit: int | None = Field(None, ge=1, description="Read at most this many documents per file or shard (for sampling).")


class HtmlParams(DocReaderParams):
    batch_size: int = Field(100, ge=1, le=1_000_000, description="Pages per part: the unit of parallelism and resume (extraction costs ~0.2 CPU-s per documentation page, so parts stay small).")
    keep_html: bool = Field(False, description="Also store the raw HTML in an `html` column.")
    favor: Favor = Field("balanced", description="trafilatura's trade-off: 'precision' drops more boilerplate, 'recall' keeps more text.")
    max_bytes: int = Field(20_000_000, ge=1, description="Quarantine files larger than this many bytes.")


def not_html(data: bytes) -> str | None:
    """Why a page's bytes are not an HTML document, or None. A NUL byte means a binary file (an image or an
    archive saved as .html) or UTF-16 without a byte order mark: extraction would turn either into garbage
    text, so the page is quarantined, as read_text_files does with binary files. UTF-16/32 with a byte order
    mark, and gzip (trafilatura decompresses it), are fine."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"\x1f\x8b") or data[:4] == b"\x00\x00\xfe\xff":
        return None
    nul = data.find(b"\x00")
    return None if nul < 0 else f"binary file, not HTML (NUL byte at byte {nul})"


class DocFileReader(FileReader):
    """FileReader without the JSON-field renaming: documents get `_id` from (relative path, record)."""

    Params = DocReaderParams

    def with_ids(self, table: pa.Table, path: str, records: list[int]) -> pa.Table:
        ids = _ids_for_records(self.relpath(path), np.asarray(records, dtype=np.int64))
        return table.add_column(0, "_id", pa.array(ids, pa.int64()))


@register
class HtmlReader(DocFileReader):
    name = "read_html"
    description = """Read HTML files (a directory, recursively, or a glob), one row per file with `path`
    (relative), `title` and `text` (main content extracted by trafilatura). Files that are too large are
    quarantined, and so is a binary file (a NUL byte; UTF-16 needs its byte order mark) and a symlink whose
    target lies outside the input folder (it is not read); folder symlinks are not followed. A page without
    text gives an empty `text`."""
    examples = (
        "load a folder of HTML files",
        "one row per saved web page",
    )
    patterns = ("*.html", "*.htm", "*.xhtml")
    outputs = ("_id", "path", "title", "text")
    Params = HtmlParams

    def shards(self) -> list[list[str]]:
        files = self.files()
        n = self.params.batch_size
        return [files[i : i + n] for i in range(0, len(files), n)]

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        p = self.params
        rows: dict[str, list] = {"path": [], "title": [], "text": []}
        if p.keep_html:
            rows["html"] = []
        ids = []
        for path in shard[: p.limit] if p.limit else shard:
            if (escaped := self.outside_root(path)) is not None:
                yield escaped
                continue
            try:
                size = os.path.getsize(path)
                if size > p.max_bytes:
                    yield Quarantined(path, 0, f"file too large: {size} bytes > max_bytes={p.max_bytes}", "")
                    continue
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as e:  # removed or unreadable since listing
                yield unreadable(path, e)
                continue
            if (reason := not_html(data)) is not None:
                yield Quarantined(path, 0, reason, raw_line(data[:200]))
                continue
            page = decode_html(data)
            doc = extract_html(page, favor=p.favor)
            rel = self.relpath(path)
            rows["path"].append(rel)
            rows["title"].append(doc.title)
            rows["text"].append(doc.text)
            if p.keep_html:
                rows["html"].append(page)
            ids.append(_ids_for_records(rel, np.zeros(1, np.int64))[0])
        table = pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})
        yield table.add_column(0, "_id", pa.array(ids, pa.int64()))
