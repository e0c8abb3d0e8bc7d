"""HTML -> main text with trafilatura, as a shared function (used by the HTML, WARC and crawl readers)
and as a Mapper (`html_extract`) for datasets that already hold raw HTML in a column.

trafilatura drops navigation, sidebars and footers; on pages where it finds no main content (a bare link
list, an almost empty page) `fallback_plain` falls back to the visible text of <body>, so a row is never
silently emptied when the page does have text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Mapper, Params
from tilth.ops.registry import register

Favor = Literal["balanced", "precision", "recall"]


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str


def extract_html(html: str | bytes, url: str | None = None, favor: Favor = "balanced",
                 include_tables: bool = True, fallback_plain: bool = True) -> Extracted:
    """Title and main text of one HTML document ('' when the page has no text at all)."""
    import trafilatura

    if isinstance(html, bytes):  # (readers that know a declared charset decode first: decode_html)
        html = decode_html(html)
    if not html or not html.strip():
        return Extracted(None, "")
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=include_tables,
            favor_precision=favor == "precision", favor_recall=favor == "recall",
        )
    except Exception:  # trafilatura/htmldate trip over some malformed trees (an AssertionError in lxml's
        doc = None     # drop_tree on '<svg><math>' soup): take the plain-text fallback, never fail the run
    title = getattr(doc, "title", None) if doc is not None else None
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text and fallback_plain:
        text, plain_title = _plain_text(html)
        title = title or plain_title
    title = (title or "").rstrip("¶").strip()  # Sphinx headings end in a permalink pilcrow
    return Extracted(title or None, text.strip())


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# labels browsers read as windows-1252 (WHATWG Encoding): a page that says latin-1 means cp1252
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819", "ibm819",
              "windows-1252", "cp1252", "x-cp1252"}


def decode_html(data: bytes, declared: str | None = None) -> str:
    """A page's bytes as text: a byte order mark, else the charset the server (`declared`, from the HTTP
    Content-Type) or the page's own <meta> names if the bytes fit it, else UTF-8 if they are valid UTF-8, else
    windows-1252, as browsers do. trafilatura guessed from the bytes alone: "très" came out "trčs" (cp775) under a
    declared iso-8859-1."""
    if data[:2] == b"\x1f\x8b":  # a page saved gzip-compressed (as servers send it)
        import zlib

        try:
            data = zlib.decompressobj(wbits=31).decompress(data, 256 << 20)
        except zlib.error:
            pass
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", errors="replace")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    m = _META_CHARSET.search(data[:4096])
    for label in (declared, m[1].decode("ascii", "replace") if m else None):
        if not label:
            continue
        label = label.strip().lower()
        name = "cp1252" if label in _AS_CP1252 else label
        try:
            return data.decode(name)
        except LookupError:  # an unknown label: the next clue
            continue
        except UnicodeDecodeError:  # a page that says UTF-8 but is not: the bytes decide below
            continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_WS = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")


def _plain_text(html: str | bytes) -> tuple[str, str | None]:
    """Visible text of <body> (scripts and styles removed), whitespace tidied. libxml2 drops everything
    nested deeper than 256 elements (2048 with huge_tree), which malformed pages with unclosed tags reach;
    when it finds no text, Python's own HTML parser, which has no depth limit, is asked too."""
    import lxml.html

    title, text = None, ""
    try:
        root = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
        for bad in root.xpath("//script|//style|//noscript|//template"):
            if bad.getparent() is not None:  # lxml asserts on dropping the root
                bad.drop_tree()
            else:
                bad.clear()
        title_el = root.find(".//title")
        title = title_el.text_content().strip() if title_el is not None else None
        body = root.find(".//body")
        text = (body if body is not None else root).text_content()
    except (ValueError, TypeError, AssertionError, lxml.etree.LxmlError):
        pass  # e.g. drop_tree refuses to merge text holding control characters: html.parser below
    if not text.strip():
        text = _text_without_depth_limit(html)
    lines = [_WS.sub(" ", ln).strip() for ln in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip(), title or None


_HIDDEN = {"script", "style", "noscript", "template", "title", "head"}
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "section", "article"}


def _text_without_depth_limit(html: str | bytes) -> str:
    """Visible text by html.parser (stdlib, no nesting limit): data outside hidden elements, a line break
    at block elements; an unclosed comment or tag at the end is not text."""
    from html.parser import HTMLParser

    parts: list[str] = []
    hidden = [0]

    class Text(HTMLParser):
        def handle_starttag(self, tag, attrs):
            hidden[0] += tag in _HIDDEN
            if tag in _BLOCKS:
                parts.append("\n")

        def handle_endtag(self, tag):
            if tag in _HIDDEN and hidden[0]:
                hidden[0] -= 1
            if tag in _BLOCKS:
                parts.append("\n")

        def handle_data(self, data):
            if not hidden[0]:
                parts.append(data)

    parser = Text(convert_charrefs=True)
    parser.feed(html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html)
    return "".join(parts)  # no close(): it would emit an unclosed trailing comment or tag as text


class HtmlExtractParams(Params):
    html_field: str = Field("html", description="Column holding raw HTML (string or binary).")
    text_field: str = Field("text", description="Column to write the extracted main text to.")
    title_field: str | None = Field("title", description="Column to write the page title to (unset: no title column).")
    url_field: str | None = Field(None, description="Optional column with the page URL (helps trafilatura's heuristics).")
    favor: Favor = Field("balanced", description="trafilatura's trade-off: 'precision' drops more boilerplate, 'recall' keeps more text.")
    include_tables: bool = Field(True, description="Keep the text of <table> elements.")
    fallback_plain: bool = Field(True, description="When trafilatura finds no main content, use the visible <body> text instead of ''.")


@register
class HtmlExtract(Mapper):
    name = "html_extract"
    category = "acquire"
    description = """Extract the main text (and title) from raw HTML in a column with trafilatura, dropping
    navigation, sidebars and footers. Empty or unparseable HTML gives an empty text, never an error."""
    examples = (
        "extract the main text from the raw HTML",
        "strip navigation menus, headers and footers from web pages",
        "turn the html column into clean readable text",
        "get the article content out of the page markup",
        "remove tags and boilerplate and keep the body text of each page",
        "parse the HTML column into plain text",
        "convert raw html to text with trafilatura",
        "the dataset has an html field; extract the article text",
        "strip html tags",
        "pull the title and body out of each html document",
        "the text is full of <div> and <p> tags",
        "get plain text from the saved page source",
        "html to text",
        "remove sidebars, ads and nav bars from the page source",
    )
    inputs = ("{html_field}",)
    outputs = ("{text_field}",)
    Params = HtmlExtractParams

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        html = batch.column(p.html_field).to_pylist()
        urls = batch.column(p.url_field).to_pylist() if p.url_field else [None] * len(html)
        out = [extract_html(h or "", url=u, favor=p.favor, include_tables=p.include_tables,
                            fallback_plain=p.fallback_plain) for h, u in zip(html, urls, strict=True)]
        batch = _set(batch, p.text_field, pa.array([e.text for e in out], pa.string()))
        if p.title_field:
            batch = _set(batch, p.title_field, pa.array([e.title for e in out], pa.string()))
        return batch


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
