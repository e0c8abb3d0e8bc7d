"""read_crawl: link-following over python3-doc from its index page, and over a small site built from real
paragraphs with cycles, remote links, folder links and excluded pages; directory walks; sitemaps."""

from __future__ import annotations

import os
from pathlib import Path

import lxml.html
import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs

from tilth.ops import build
from tilth.ops.acquire.html_extract import extract_html
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace
from tilth.storage.ids import row_ids

DOC = Path("/usr/share/doc/python3-doc/html")
needs_doc = pytest.mark.skipif(not (DOC / "index.html").exists(),
                               reason="needs Debian's python3-doc (apt-get install python3-doc; ./tilth.sh installs it)")


def local_links(page: Path, root: Path) -> set[str]:
    """Local .html targets of a page's <a href>s, found with lxml (independent of the crawler's regex)."""
    out = set()
    for href in lxml.html.fromstring(page.read_bytes()).xpath("//a/@href"):
        if "://" in href or href.startswith(("#", "mailto:")):
            continue
        target = os.path.normpath(page.parent / href.split("#")[0].split("?")[0])
        if target.endswith(".html") and os.path.isfile(target) and not os.path.relpath(target, root).startswith(".."):
            out.add(os.path.relpath(target, root))
    return out


def crawl(**params) -> list[tuple[str, int]]:
    reader = build("read_crawl", params)
    return [(os.path.relpath(p, reader.source_root()), d) for p, d in reader.crawl()]


@needs_doc
def test_breadth_first_levels_match_the_link_graph():
    pages = crawl(path=str(DOC / "index.html"), max_depth=2, exclude=["genindex*"])
    level = {d: {p for p, dd in pages if dd == d} for d in (0, 1, 2)}
    assert level[0] == {"index.html"}
    level1 = {p for p in local_links(DOC / "index.html", DOC) if not p.startswith("genindex")} - level[0]
    assert level[1] == level1 and len(level1) > 10
    reached = set().union(*(local_links(DOC / p, DOC) for p in level1))
    assert level[2] == {p for p in reached if not os.path.basename(p).startswith("genindex")} - level[0] - level1
    assert len(pages) == len({p for p, _ in pages})  # each page once
    assert max(d for _, d in pages) == 2


@pytest.fixture()
def site(tmp_path):
    """index -> a/one (-> index: a cycle; -> a/deep/two -> a/deep/three), b/ (folder link), skip.html,
    remote and mail links, and a link out of the root."""
    paras = stdlib_paragraphs(6, min_words=20)
    root = tmp_path / "site"

    def page(rel: str, title: str, body: str, links: list[str]) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        anchors = "".join(f'<li><a href="{h}">link</a></li>' for h in links)
        p.write_text(f"<html><head><title>{title}</title></head><body><nav><ul>{anchors}</ul></nav>"
                     f"<article><h1>{title}</h1><p>{body}</p></article></body></html>")

    page("index.html", "Home", paras[0], ["a/one.html#top", "b/", "skip.html", "https://example.com/x.html",
                                          "mailto:someone@example.com", "../outside.html", "#local"])
    page("a/one.html", "One", paras[1], ["../index.html", "deep/two.html?x=1"])
    page("a/deep/two.html", "Two", paras[2], ["three.html"])
    page("a/deep/three.html", "Three", paras[3], [])
    page("b/index.html", "B", paras[4], ["../a/one.html"])
    page("skip.html", "Skip", paras[5], [])
    (tmp_path / "outside.html").write_text("<html><body><p>outside the root</p></body></html>")
    return root


def test_follows_local_links_with_depth_cycles_and_filters(site):
    got = crawl(path=str(site / "index.html"), max_depth=2, exclude=["skip*"])
    assert got == [("index.html", 0), ("a/one.html", 1), ("b/index.html", 1), ("a/deep/two.html", 2)]
    assert crawl(path=str(site / "index.html"), max_depth=0) == [("index.html", 0)]
    deeper = crawl(path=str(site / "index.html"), max_depth=5, include=["a/*"])
    assert deeper == [("index.html", 0), ("a/one.html", 1), ("a/deep/two.html", 2), ("a/deep/three.html", 3)]
    assert crawl(path=str(site / "index.html"), max_depth=5, max_pages=2) == [("index.html", 0), ("a/one.html", 1)]


def test_directory_walk_depth_is_folder_depth(site):
    assert crawl(path=str(site), max_depth=1) == [
        ("index.html", 0), ("skip.html", 0), ("a/one.html", 1), ("b/index.html", 1)]
    assert crawl(path=str(site), max_depth=9, exclude=["*/deep/*"], include=["*.html"]) == [
        ("index.html", 0), ("skip.html", 0), ("a/one.html", 1), ("b/index.html", 1)]
    assert [p for p, _ in crawl(path=str(site), max_depth=9)][-2:] == ["a/deep/three.html", "a/deep/two.html"]


def test_sitemap_seeds_are_depth_zero(site):
    (site / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://docs.example.org/a/deep/three.html</loc></url>"
        f"<url><loc>file://{site}/b/index.html</loc></url><url><loc>skip.html</loc></url></urlset>")
    assert crawl(path=str(site / "sitemap.xml"), max_depth=1) == [
        ("a/deep/three.html", 0), ("b/index.html", 0), ("skip.html", 0), ("a/one.html", 1)]


def test_rows_carry_url_depth_title_text_and_stable_ids(site):
    reader = build("read_crawl", {"path": str(site / "index.html"), "max_depth": 3, "batch_size": 2})
    shards = reader.shards()
    assert [len(s) for s in shards] == [2, 2, 2]  # 6 pages within depth 3
    rows = pa.concat_tables([t for s in shards for t in reader.read(s)]).to_pylist()
    assert [(r["url"], r["depth"]) for r in rows] == [
        (os.path.relpath(p, site), d) for p, d in reader.crawl()]
    for r in rows:
        want = extract_html((site / r["url"]).read_bytes())
        assert (r["title"], r["text"]) == (want.title, want.text) and r["_id"] == row_ids(r["url"], 0, 1)[0]
        assert "link" not in r["text"]  # the <nav> list is boilerplate
    assert sorted(reader.files()) == reader.files() and len(reader.files()) == len(rows)


def test_recipe_with_format_crawl(site, tmp_path):
    recipe = Recipe.model_validate({"name": "c", "workers": 1, "steps": [{"length_filter": {"min": 20}}],
                                    "input": {"path": str(site / "index.html"), "format": "crawl", "max_depth": 1}})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    assert [s.rows_out for s in res.steps] == [4, 4]
    got = Workspace(tmp_path / "ws").sql("SELECT url, depth FROM c ORDER BY url").to_pylist()
    assert got == [{"url": "a/one.html", "depth": 1}, {"url": "b/index.html", "depth": 1},
                   {"url": "index.html", "depth": 0}, {"url": "skip.html", "depth": 1}]


def test_a_page_removed_after_discovery_is_quarantined(site):
    reader = build("read_crawl", {"path": str(site / "index.html"), "max_depth": 1})
    shard = reader.shards()[0]
    (site / "b" / "index.html").unlink()
    items = list(reader.read(shard))
    (bad,) = [x for x in items if not isinstance(x, pa.Table)]
    assert bad.file.endswith("b/index.html") and bad.error.startswith("unreadable page")
    assert items[-1].column("url").to_pylist() == ["index.html", "a/one.html", "skip.html"]
