"""read_pdf on PDFs generated at test time with matplotlib's PDF backend (known text per page)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pyarrow as pa
import pytest

from tilth.ops import build
from tilth.ops.acquire.readers import guess_reader
from tilth.ops.base import Quarantined
from tilth.storage.ids import row_ids

matplotlib.use("pdf")

DOCS = {
    "report.pdf": ("Soil report", ["Tilth reads the first page.", "The second page speaks of soil and seeds.",
                                   "Page three ends the report."]),
    "notes/memo.pdf": ("Memo", ["A one page memo about compost."]),
}


def write_pdf(path: Path, title: str, pages: list[str]) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata={"Title": title}) as pdf:
        for line in pages:
            fig = plt.figure(figsize=(5, 2))
            fig.text(0.05, 0.5, line)
            pdf.savefig(fig)
            plt.close(fig)


@pytest.fixture()
def pdf_dir(tmp_path):
    for name, (title, pages) in DOCS.items():
        write_pdf(tmp_path / name, title, pages)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    (tmp_path / "empty.pdf").write_bytes(b"")
    return tmp_path


def read_all(reader):
    items = [x for shard in reader.shards() for x in reader.read(shard)]
    tables = [x for x in items if not isinstance(x, Quarantined)]
    return pa.concat_tables(tables).to_pylist(), [x for x in items if isinstance(x, Quarantined)]


def test_one_row_per_document_with_pages_joined(pdf_dir):
    rows, bad = read_all(build("read_pdf", {"path": str(pdf_dir)}))
    assert [(r["path"], r["page"], r["n_pages"], r["title"], r["text"]) for r in rows] == [
        (name, 0, len(pages), title, "\n\n".join(pages)) for name, (title, pages) in sorted(DOCS.items())
    ]
    assert [r["_id"] for r in rows] == [row_ids(name, 0, 1)[0] for name in sorted(DOCS)]
    assert sorted((Path(b.file).name, b.line) for b in bad) == [("broken.pdf", 0), ("empty.pdf", 0)]
    assert all(b.error.startswith("unreadable PDF") for b in bad)


def test_one_row_per_page_with_stable_ids(pdf_dir):
    rows, _ = read_all(build("read_pdf", {"path": str(pdf_dir), "unit": "page"}))
    want = [(name, i + 1, text) for name, (_, pages) in sorted(DOCS.items()) for i, text in enumerate(pages)]
    assert [(r["path"], r["page"], r["text"]) for r in rows] == want
    assert [r["_id"] for r in rows] == [row_ids(name, page - 1, 1)[0] for name, page, _ in want]
    limited, _ = read_all(build("read_pdf", {"path": str(pdf_dir / "report.pdf"), "unit": "page", "limit": 2}))
    assert [r["page"] for r in limited] == [1, 2]


def test_document_shards_group_files_and_batches_split_rows(pdf_dir):
    reader = build("read_pdf", {"path": str(pdf_dir), "batch_size": 3})
    assert [len(s) for s in reader.shards()] == [3, 1]  # broken, empty, notes/memo | report
    parts = [x.num_rows for s in reader.shards() for x in reader.read(s) if not isinstance(x, Quarantined)]
    assert parts == [1, 1]
    assert guess_reader(str(pdf_dir / "report.pdf")) == "read_pdf" and guess_reader(str(pdf_dir)) == "read_pdf"


def test_a_shard_of_broken_files_still_yields_the_columns(pdf_dir):
    reader = build("read_pdf", {"path": str(pdf_dir / "broken.pdf")})
    items = list(reader.read(reader.shards()[0]))
    assert isinstance(items[0], Quarantined) and items[1].num_rows == 0
    assert items[1].column_names == ["_id", "path", "page", "n_pages", "title", "text"]
