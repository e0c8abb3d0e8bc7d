"""read_warc on WARC files built with warcio from real python3-doc pages, including broken archives."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tilth.ops import build
from tilth.ops.acquire.html_extract import extract_html
from tilth.ops.acquire.readers import guess_reader
from tilth.ops.base import Quarantined
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace
from tilth.storage.ids import row_ids

DOC = Path("/usr/share/doc/python3-doc/html")
pytestmark = pytest.mark.skipif(not (DOC / "library" / "textwrap.html").exists(),
                                reason="needs Debian's python3-doc (apt-get install python3-doc; ./tilth.sh installs it)")
PAGES = ["library/textwrap.html", "library/difflib.html", "tutorial/appetite.html"]
BASE = "https://docs.python.org/3.11/"


def record_bytes(kind: str, url: str, body: bytes = b"", status: str = "200 OK", ctype: str = "text/html; charset=utf-8",
                 date: str = "2024-05-01T12:00:00Z", gzip: bool = True) -> bytes:
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gzip)
    if kind == "request":
        http = StatusAndHeaders(f"GET /{url} HTTP/1.1", [("Host", "docs.python.org")], is_http_request=True)
    else:
        http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
    w.write_record(w.create_warc_record(url, kind, payload=io.BytesIO(body), http_headers=http,
                                        warc_headers_dict={"WARC-Date": date}))
    return buf.getvalue()


def crawl_records(gzip: bool = True) -> tuple[list[bytes], list[tuple[str, str, bytes]]]:
    """A realistic capture: per page a request and a 200 response, plus a 404, a redirect and a PNG.
    Returns (record bytes in order, the (url, date, html) of the pages that must become rows)."""
    recs, pages = [], []
    for i, page in enumerate(PAGES):
        url, date, html = BASE + page, f"2024-05-0{i + 1}T12:00:00Z", (DOC / page).read_bytes()
        recs.append(record_bytes("request", url, gzip=gzip))
        recs.append(record_bytes("response", url, html, date=date, gzip=gzip))
        pages.append((url, date, html))
    recs.append(record_bytes("response", BASE + "missing.html", b"<html><body>Not Found</body></html>", status="404 Not Found", gzip=gzip))
    recs.append(record_bytes("response", BASE, b"", status="301 Moved Permanently", gzip=gzip))
    recs.append(record_bytes("response", BASE + "logo.png", (DOC / "_static" / "py.svg").read_bytes()[:200], ctype="image/png", gzip=gzip))
    return recs, pages


def read_all(reader) -> tuple[list[dict], list[Quarantined]]:
    items = [x for shard in reader.shards() for x in reader.read(shard)]
    bad = [x for x in items if isinstance(x, Quarantined)]
    tables = [x for x in items if not isinstance(x, Quarantined)]
    return (pa.concat_tables(tables).to_pylist() if tables else []), bad


@pytest.mark.parametrize("gzip", [True, False])
def test_one_row_per_ok_html_response(tmp_path, gzip):
    recs, pages = crawl_records(gzip)
    path = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    path.write_bytes(b"".join(recs))
    rows, bad = read_all(build("read_warc", {"path": str(path), "keep_html": True}))
    assert bad == []
    assert [(r["url"], r["date"], r["status"]) for r in rows] == [(u, d, 200) for u, d, _ in pages]
    for r, (url, _, html) in zip(rows, pages, strict=True):
        want = extract_html(html, url=url)
        assert (r["title"], r["text"]) == (want.title, want.text) and len(r["text"]) > 1000
        assert r["html"] == html.decode("utf-8")
    # ids: (file, record number); the responses are records 2, 4, 6 of the archive
    assert [r["_id"] for r in rows] == [row_ids(path.name, n, 1)[0] for n in (1, 3, 5)]
    non_ok, _ = read_all(build("read_warc", {"path": str(path), "only_ok": False}))
    assert [r["status"] for r in non_ok] == [200, 200, 200, 404, 301]


def test_batches_and_ids_do_not_depend_on_batch_size(tmp_path):
    recs, _ = crawl_records()
    (tmp_path / "a.warc.gz").write_bytes(b"".join(recs))
    reader = build("read_warc", {"path": str(tmp_path), "batch_size": 2})
    tables = list(reader.read(reader.shards()[0]))
    assert [t.num_rows for t in tables] == [2, 1]
    one, _ = read_all(build("read_warc", {"path": str(tmp_path)}))
    assert pa.concat_tables(tables).to_pylist() == one


def test_truncated_archive_keeps_earlier_rows_and_quarantines_the_break(tmp_path):
    recs, pages = crawl_records()
    cut = recs[3][: len(recs[3]) // 2]  # the second page's response, cut in the middle of its gzip member
    (tmp_path / "cut.warc.gz").write_bytes(b"".join(recs[:3]) + cut)
    (tmp_path / "garbage.warc").write_bytes(b"this is not a WARC file at all\n" * 20)
    (tmp_path / "ok.warc.gz").write_bytes(b"".join(recs))
    rows, bad = read_all(build("read_warc", {"path": str(tmp_path)}))
    assert [r["url"] for r in rows] == [pages[0][0]] + [u for u, _, _ in pages]
    assert sorted((Path(b.file).name, b.line) for b in bad) == [("cut.warc.gz", 4), ("garbage.warc", 1)]
    assert "truncated" in next(b.error for b in bad if b.line == 4)
    assert "not a WARC record" in next(b.error for b in bad if b.line == 1)
    empty = tmp_path / "sub"
    empty.mkdir()
    (empty / "empty.warc").write_bytes(b"\n\n")
    assert [(b.line, b.error) for b in read_all(build("read_warc", {"path": str(empty)}))[1]] == \
        [(0, "no WARC records found: not a WARC file")]


def test_recipe_reads_a_warc_directory_by_extension(tmp_path):
    recs, pages = crawl_records()
    d = tmp_path / "warcs"
    d.mkdir()
    (d / "a.warc.gz").write_bytes(b"".join(recs))
    (d / "b.warc.gz").write_bytes(b"".join(recs[:2]))
    assert guess_reader(str(d)) == "read_warc"
    recipe = Recipe.model_validate({"name": "w", "input": {"path": str(d)}, "workers": 1,
                                    "steps": [{"length_filter": {"min": 1}}]})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    assert [s.rows_out for s in res.steps] == [len(pages) + 1, len(pages) + 1]
    urls = Workspace(tmp_path / "ws").sql("SELECT url FROM w ORDER BY url").column("url").to_pylist()
    assert urls == sorted([u for u, _, _ in pages] + [pages[0][0]])


def test_limit_counts_rows_across_batches_and_empty_files_still_show_columns(tmp_path):
    recs, pages = crawl_records()
    (tmp_path / "a.warc.gz").write_bytes(b"".join(recs))
    rows, _ = read_all(build("read_warc", {"path": str(tmp_path), "batch_size": 1, "limit": 2}))
    assert [r["url"] for r in rows] == [u for u, _, _ in pages[:2]]
    (tmp_path / "b.warc.gz").write_bytes(b"".join(recs[-3:]))  # a 404, a redirect and an image: no rows
    reader = build("read_warc", {"path": str(tmp_path / "b.warc.gz")})
    (empty,) = list(reader.read(reader.shards()[0]))
    assert empty.num_rows == 0 and empty.column_names == ["_id", "url", "date", "status", "title", "text"]


@pytest.mark.parametrize("gzip", [True, False])
def test_junk_between_records_loses_only_itself(tmp_path, gzip):
    recs, pages = crawl_records(gzip=gzip)
    f = tmp_path / ("x.warc.gz" if gzip else "x.warc")
    # a proxy's error text pasted between records, then binary junk with no line break before the next record
    f.write_bytes(recs[0] + recs[1] + b"GARBAGE LINE here\r\nmore junk\r\n\r\n" + b"".join(recs[2:4]) + b"\x00\x01junk"
                  + b"".join(recs[4:]))
    rows, bad = read_all(build("read_warc", {"path": str(f)}))
    assert [r["url"] for r in rows] == [u for u, _, _ in pages]
    assert [q.line for q in bad] == [3, 6] and all("reading goes on at byte" in q.error for q in bad)
    f.write_bytes(recs[0] + recs[1] + b"junk at the end\n")  # nothing after the junk: quarantined, rows kept
    rows, bad = read_all(build("read_warc", {"path": str(f)}))
    assert len(rows) == 1 and [q.line for q in bad] == [3] and "reading goes on" not in bad[0].error
