"""`read_pdf`: PDF files -> text with pypdf, one row per document or one per page.

A file pypdf cannot open (not a PDF, truncated, encrypted without an empty password) is quarantined whole
(line 0); a single page whose text cannot be extracted is quarantined with its 1-based page number and the
other pages are kept. pypdf runs in non-strict mode, so recoverable damage is repaired, not reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.acquire.html_reader import DocFileReader, DocReaderParams
from tilth.ops.acquire.intake import describe, head
from tilth.ops.acquire.readers import _ids_for_records
from tilth.ops.base import Quarantined
from tilth.ops.registry import register


class PdfParams(DocReaderParams):
    unit: Literal["document", "page"] = Field("document", description="One row per PDF file, or one row per page.")
    layout: bool = Field(False, description="Use pypdf's layout mode (keeps columns and indentation; slower).")


@register
class PdfReader(DocFileReader):
    name = "read_pdf"
    description = """Read PDF files with pypdf: one row per document (`unit: document`, pages joined by
    blank lines) or per page (`unit: page`), with `path`, `page` (1-based; 0 for whole documents),
    `n_pages`, `title` (from the PDF metadata) and `text`. Unreadable files and pages are quarantined, and so
    is an encrypted PDF that needs a password; a PDF without a text layer (a scan) gives an empty `text`."""
    examples = (
        "read PDF documents",
        "one row per page of each PDF",
        "extract the text of scanned reports (with a text layer)",
    )
    patterns = ("*.pdf", "*.PDF")
    outputs = ("_id", "path", "page", "n_pages", "title", "text")
    Params = PdfParams

    def shards(self) -> list[list[str]]:
        """Per-page mode: a file per shard. Document mode: up to batch_size files per shard."""
        files = self.files()
        n = 1 if self.params.unit == "page" else self.params.batch_size
        return [files[i : i + n] for i in range(0, len(files), n)]

    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        rows: list[tuple[str, int, int, str | None, str]] = []
        yielded = False
        for path in shard:
            for item in self._read_file(path):
                if isinstance(item, Quarantined):
                    yield item
                    continue
                rows.append(item)
                if len(rows) >= self.params.batch_size:
                    yield self._table(rows)
                    rows, yielded = [], True
        if rows or not yielded:  # an empty table still tells validation (peek) the reader's columns
            yield self._table(rows)

    def _table(self, rows: list[tuple[str, int, int, str | None, str]]) -> pa.Table:
        table = pa.table({
            "path": pa.array([r[0] for r in rows], pa.string()),
            "page": pa.array([r[1] for r in rows], pa.int32()),
            "n_pages": pa.array([r[2] for r in rows], pa.int32()),
            "title": pa.array([r[3] for r in rows], pa.string()),
            "text": pa.array([r[4] for r in rows], pa.string()),
        })
        ids = [_ids_for_records(r[0], np.asarray([max(r[1] - 1, 0)], np.int64))[0] for r in rows]
        return table.add_column(0, "_id", pa.array(ids, pa.int64()))

    def _read_file(self, path: str) -> Iterator[tuple | Quarantined]:
        """(relpath, page, n_pages, title, text) per document or page; page 0 means the whole document."""
        from pypdf import PdfReader as _Pdf

        p = self.params
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            pdf = _Pdf(path, strict=False)
            if pdf.is_encrypted and not pdf.decrypt(""):
                raise ValueError("encrypted PDF (needs a password)")
            n_pages = len(pdf.pages)
            title = _title(pdf)
        except Exception as e:  # pypdf raises many types for broken files; quarantine, never crash
            yield Quarantined(path, 0, f"unreadable PDF: {describe(e)}", _head(path))
            return
        rel = self.relpath(path)
        last = min(n_pages, p.limit) if p.limit and p.unit == "page" else n_pages
        texts: list[tuple[int, str]] = []
        for i in range(last):
            try:
                page = pdf.pages[i]
                text = page.extract_text(extraction_mode="layout") if p.layout else page.extract_text()
            except Exception as e:
                yield Quarantined(path, i + 1, f"page {i + 1}: {type(e).__name__}: {e}", "")
                continue
            if p.unit == "page":
                yield (rel, i + 1, n_pages, title, (text or "").strip())
            else:
                texts.append((i + 1, (text or "").strip()))
        if p.unit == "document" and (texts or n_pages == 0):
            yield (rel, 0, n_pages, title, "\n\n".join(t for _, t in texts if t))  # no text: '', not blank lines


def _title(pdf) -> str | None:
    try:
        meta = pdf.metadata
        return str(meta.title) if meta is not None and meta.title else None
    except Exception:  # broken metadata dictionaries are common and harmless
        return None


def _head(path: str) -> str:
    return head(path)
