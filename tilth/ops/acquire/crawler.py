"""`read_crawl`: a local crawler over HTML files, from a root directory, an index page or a sitemap.

- Directory: walk the tree; a page's depth is how many folders below the root it lies.
- Index HTML file: breadth-first over local `<a href>` links (fragments and queries dropped, remote
  schemes skipped); depth 0 is the index page. Links leaving the index page's folder are not followed,
  so every page has a stable path relative to the crawl root (its `_id` source).
- sitemap.xml: every `<loc>` (a relative path, a file:// URL, or an http(s) URL whose path is taken
  relative to the sitemap's folder, i.e. a local mirror) is a depth-0 seed; links are followed from there.
- Nothing outside the root is read: every path is checked with symlinks resolved, so a symlink out of the
  root is not followed (a symlinked file found by the walk is quarantined) and a symlink loop is walked once.

`include` / `exclude` are glob patterns on the path relative to the root (`*` also matches `/`). Discovery
happens once in `shards()` (cheap: only hrefs are parsed); text extraction runs per shard in parallel.
Each shard item is "<depth>|<absolute path>" so workers need not crawl again.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.acquire.html_extract import Favor, extract_html
from tilth.ops.acquire.html_reader import DocFileReader, DocReaderParams, not_html
from tilth.ops.acquire.intake import raw_line
from tilth.ops.acquire.readers import _ids_for_records, inside
from tilth.ops.base import Quarantined
from tilth.ops.registry import register


class CrawlParams(DocReaderParams):
    batch_size: int = Field(100, ge=1, le=1_000_000, description="Pages per part: the unit of parallelism and resume (extraction costs ~0.2 CPU-s per documentation page, so parts stay small).")
    path: str = Field(description="Root directory, index HTML file, or sitemap.xml to start from.")
    max_depth: int = Field(3, ge=0, le=100, description="Follow links (or descend folders) at most this many steps from the start.")
    include: list[str] = Field(["*.html", "*.htm"], description="Glob patterns (relative path) a page must match.")
    exclude: list[str] = Field([], description="Glob patterns (relative path) of pages to skip, e.g. 'genindex*'.")
    max_pages: int | None = Field(None, ge=1, description="Stop discovery after this many pages (breadth-first order).")
    favor: Favor = Field("balanced", description="trafilatura's trade-off: 'precision' drops more boilerplate, 'recall' keeps more text.")
    max_bytes: int = Field(20_000_000, ge=1, description="Quarantine pages larger than this many bytes.")


_HREF = re.compile(rb"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_LOC = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)


@register
class CrawlReader(DocFileReader):
    name = "read_crawl"
    description = """Crawl local HTML: walk a directory tree, or follow `<a href>` links from an index page
    or a sitemap.xml, breadth-first up to `max_depth`, keeping pages that match `include` and not
    `exclude`. One row per page: `url` (relative path), `depth`, `title`, `text` (trafilatura). Nothing
    outside the root is read: links (file://, ../, or through a symlink) leaving it are not followed, a
    symlinked page outside it is quarantined, and a page reached again through a symlink loop is skipped.
    Binary pages (a NUL byte) and pages over `max_bytes` are quarantined."""
    examples = (
        "crawl a local mirror of a website",
        "follow links from an index page",
        "read every page of a sitemap",
    )
    outputs = ("_id", "url", "depth", "title", "text")
    Params = CrawlParams

    # -- discovery ------------------------------------------------------------------------------------
    def source_root(self) -> str:
        p = os.path.abspath(self.params.path)
        return p if os.path.isdir(p) else os.path.dirname(p)

    def crawl(self) -> list[tuple[str, int]]:
        """(absolute path, depth) of every page, in breadth-first discovery order (cached)."""
        if getattr(self, "_pages", None) is None:
            p = self.params.path
            if os.path.isdir(p):
                pages = self._walk()
            elif os.path.isfile(p):
                pages = self._follow(self._seeds())
            else:
                raise FileNotFoundError(f"{self.name}: input {p!r} does not exist")
            self._pages = pages[: self.params.max_pages] if self.params.max_pages else pages
        return self._pages

    def files(self) -> list[str]:
        return sorted(path for path, _ in self.crawl())

    def shards(self) -> list[list[str]]:
        items = [f"{depth}|{path}" for path, depth in self.crawl()]
        n = self.params.batch_size
        return [items[i : i + n] for i in range(0, len(items), n)]

    def _wanted(self, path: str) -> bool:
        rel = os.path.relpath(path, self.source_root()).replace(os.sep, "/")
        if rel.startswith("../"):
            return False
        ok = any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(os.path.basename(rel), g) for g in self.params.include)
        return ok and not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(os.path.basename(rel), g) for g in self.params.exclude)

    def _walk(self) -> list[tuple[str, int]]:
        """Folder symlinks are followed only into folders inside the root not yet walked: a link out of
        the root is not entered, and a symlink loop is walked once."""
        root = self.source_root()
        out = []
        walked = {os.path.realpath(root)}
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            depth = 0 if dirpath == root else os.path.relpath(dirpath, root).count(os.sep) + 1
            if depth >= self.params.max_depth:
                dirnames.clear()
            keep = []
            for d in sorted(dirnames):
                real = os.path.realpath(os.path.join(dirpath, d))
                if real not in walked and inside(real, root):
                    walked.add(real)
                    keep.append(d)
            dirnames[:] = keep
            for f in sorted(filenames):
                full = os.path.join(dirpath, f)
                if self._wanted(full):
                    out.append((full, depth))
        return sorted(out, key=lambda x: (x[1], x[0]))

    def _seeds(self) -> list[str]:
        p = os.path.abspath(self.params.path)
        if not p.lower().endswith(".xml"):
            return [p]
        root = self.source_root()
        seeds = []
        for m in _LOC.finditer(Path(p).read_bytes()):
            target = _local_target(m.group(1).decode("utf-8", "replace"), root, from_sitemap=True)
            if target:
                seeds.append(target)
        return seeds

    def _follow(self, seeds: list[str]) -> list[tuple[str, int]]:
        """Breadth-first over links. `seen` holds real paths (symlinks resolved), so a page reached through
        a symlink loop or an alias is visited once; a link whose real target is outside the root is not
        followed (nor is a sitemap seed outside it, so no outside page is even read for its links)."""
        seen: set[str] = set()
        queue: deque[tuple[str, int]] = deque()
        out: list[tuple[str, int]] = []
        start = os.path.abspath(self.params.path)
        for s in seeds:
            real = os.path.realpath(s)
            if real not in seen and os.path.isfile(s) and (s == start or self._inside(s)):
                seen.add(real)
                queue.append((s, 0))
        while queue:
            path, depth = queue.popleft()
            if self._wanted(path) or depth == 0 and path == os.path.abspath(self.params.path):
                out.append((path, depth))
            if depth >= self.params.max_depth or not path.lower().endswith((".html", ".htm", ".xhtml")):
                continue
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue
            for m in _HREF.finditer(data):
                href = (m.group(1) or m.group(2) or m.group(3) or b"").decode("utf-8", "replace")
                target = _local_target(href, os.path.dirname(path))
                if target and os.path.isfile(target) and self._inside(target):
                    real = os.path.realpath(target)
                    if real not in seen:
                        seen.add(real)
                        queue.append((target, depth + 1))
        return out

    def _inside(self, path: str) -> bool:
        """Inside the root both by its path and by its real path (a symlink may point anywhere)."""
        return not os.path.relpath(path, self.source_root()).startswith("..") and inside(path, self.source_root())

    # -- reading --------------------------------------------------------------------------------------
    def read(self, shard: list[str]) -> Iterator[pa.Table | Quarantined]:
        p = self.params
        urls, depths, titles, texts = [], [], [], []
        for item in shard[: p.limit] if p.limit else shard:
            depth_s, _, path = item.partition("|")
            if (escaped := self.outside_root(path)) is not None:
                yield escaped
                continue
            try:
                size = os.path.getsize(path)
                if size > p.max_bytes:
                    yield Quarantined(path, 0, f"file too large: {size} bytes > max_bytes={p.max_bytes}", "")
                    continue
                data = Path(path).read_bytes()
            except OSError as e:  # removed or unreadable since discovery
                yield Quarantined(path, 0, f"unreadable page: {e}", "")
                continue
            if (reason := not_html(data)) is not None:
                yield Quarantined(path, 0, reason, raw_line(data[:200]))
                continue
            doc = extract_html(data, favor=p.favor)
            urls.append(self.relpath(path).replace(os.sep, "/"))
            depths.append(int(depth_s))
            titles.append(doc.title)
            texts.append(doc.text)
        ids = [_ids_for_records(u, np.zeros(1, np.int64))[0] for u in urls]
        yield pa.table({
            "_id": pa.array(ids, pa.int64()), "url": pa.array(urls, pa.string()),
            "depth": pa.array(depths, pa.int32()), "title": pa.array(titles, pa.string()),
            "text": pa.array(texts, pa.string()),
        })


def _local_target(href: str, base_dir: str, from_sitemap: bool = False) -> str | None:
    """The absolute local path a link points to, or None for remote links, anchors and mail links."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and from_sitemap:
        rel = unquote(parts.path).lstrip("/")
    elif parts.scheme == "file":
        return os.path.normpath(unquote(parts.path))
    elif parts.scheme or parts.netloc:
        return None  # remote or mailto:/javascript:
    else:
        rel = unquote(parts.path)
    if not rel:
        return None
    target = os.path.normpath(os.path.join(base_dir, rel))
    if os.path.isdir(target):
        target = os.path.join(target, "index.html")
    return target
