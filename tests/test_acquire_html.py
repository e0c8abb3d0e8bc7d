"""html_extract and read_html on real pages of Debian's python3-doc (Sphinx HTML)."""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import pyarrow as pa
import pytest

from tilth.exec.tasks import apply_mapper
from tilth.ops import build
from tilth.ops.acquire.html_extract import extract_html
from tilth.ops.acquire.readers import guess_reader
from tilth.ops.base import Quarantined
from tilth.storage.ids import row_ids

DOC = Path("/usr/share/doc/python3-doc/html")
pytestmark = pytest.mark.skipif(not (DOC / "library" / "textwrap.html").exists(),
                                reason="needs Debian's python3-doc (apt-get install python3-doc; ./tilth.sh installs it)")
PAGES = ["library/textwrap.html", "library/difflib.html", "tutorial/appetite.html"]
SIDEBAR = ["Previous topic", "Next topic", "This Page", "Report a Bug", "Show Source"]


def norm(s: str) -> str:
    return " ".join(s.split())


def main_paragraphs(path: Path) -> list[str]:
    """The page's body paragraphs, found independently of trafilatura (Sphinx marks role="main")."""
    root = lxml.html.fromstring(path.read_bytes())
    return [norm(p.text_content()) for p in root.xpath('//div[@role="main"]//p') if len(p.text_content().split()) >= 8]


@pytest.mark.parametrize("page", PAGES)
def test_extract_keeps_body_text_and_drops_sidebar(page):
    path = DOC / page
    raw = path.read_text(encoding="utf-8")
    doc = extract_html(path.read_bytes())
    text = norm(doc.text)
    paras = main_paragraphs(path)
    assert len(paras) >= 3
    assert all(p in text for p in paras[:3])  # the first body paragraphs, verbatim
    present = [s for s in SIDEBAR if s in raw]
    assert present and not any(s in doc.text for s in present)
    h1 = norm(lxml.html.fromstring(raw).xpath("//h1")[0].text_content()).rstrip("¶")
    assert doc.title.rstrip("¶") == h1


def test_html_extract_mapper_handles_empty_and_missing_html():
    html = (DOC / PAGES[0]).read_text(encoding="utf-8")
    table = pa.table({"_id": pa.array([5, 6, 7, 8], pa.int64()),
                      "html": [html, "", None, "<html><body><nav>menu</nav><p>Just one line.</p></body></html>"]})
    out, lineage = apply_mapper(build("html_extract", {}), table)
    assert out.column("_id").equals(table.column("_id")) and lineage.num_rows == 0
    texts = out.column("text").to_pylist()
    assert texts[0] == extract_html(html).text and texts[1] == "" and texts[2] == ""
    assert "Just one line." in texts[3]  # trafilatura finds no article here; the <body> fallback does
    none = build("html_extract", {"fallback_plain": False, "title_field": None}).map(table.slice(3))
    assert none.column("text").to_pylist() == [extract_html(table["html"][3].as_py(), fallback_plain=False).text]
    assert "title" not in none.column_names


def test_read_html_one_row_per_file_and_oversized_files_quarantined(tmp_path):
    for page in PAGES:
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DOC / page, tmp_path / page)
    sizes = {p: (tmp_path / p).stat().st_size for p in PAGES}
    biggest = max(sizes, key=sizes.get)
    reader = build("read_html", {"path": str(tmp_path), "max_bytes": sorted(sizes.values())[-2], "batch_size": 2})
    assert [len(s) for s in reader.shards()] == [2, 1]
    items = [x for shard in reader.shards() for x in reader.read(shard)]
    bad = [x for x in items if isinstance(x, Quarantined)]
    rows = pa.concat_tables([x for x in items if not isinstance(x, Quarantined)]).to_pylist()
    assert [b.file for b in bad] == [str(tmp_path / biggest)] and "file too large" in bad[0].error
    assert sorted(r["path"] for r in rows) == sorted(p for p in PAGES if p != biggest)
    for r in rows:
        assert r["_id"] == row_ids(r["path"], 0, 1)[0]
        assert r["text"] == extract_html((tmp_path / r["path"]).read_bytes()).text
    assert guess_reader(str(tmp_path / "library")) == "read_html"
    assert guess_reader(str(tmp_path / PAGES[0])) == "read_html"
