"""The real-text variant of the benchmark, built only from corpora already on this machine.

Domains: `code` (the Python standard library's sources), `prose` (Python's built-in help topics and the
system's licence texts), `dictionary` (the GCIDE dictionary shipped with dictd). No floors are known, so
reports show raw held-out loss. Each source is cut into documents of `doc_chars` characters.

The skewed variant (`skewed_documents`, SlimPajama-like sizes) has five domains: `web` (text extracted from
HTML pages: the Debian Reference, Node.js's and Python's library documentation, taken in turn), `code`,
`dictionary` (GCIDE, the books-like domain), `papers` (Python's HOWTO articles: long expository texts with
authors and abstracts, the nearest to papers this machine has) and `qa` (Python's FAQ pages: questions
each followed by its answer), each with its own number of documents.
"""

from __future__ import annotations

import gzip
import html.parser
import re
import sysconfig
from pathlib import Path

import pyarrow as pa

GCIDE = Path("/usr/share/dictd/gcide.dict.dz")
LICENSES = Path("/usr/share/common-licenses")
PYDOC_HTML = Path("/usr/share/doc/python3.11/html")
WEB_DIRS = (Path("/usr/share/doc/debian-reference-en/docs"), Path("/usr/share/doc/nodejs/api"),
            PYDOC_HTML / "library")
SKEWED_DOMAINS = ("code", "dictionary", "papers", "qa", "web")


class _HTMLText(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(path: Path) -> str:
    """The visible text of an HTML page (scripts and styles dropped), one non-empty line per text line,
    runs of spaces collapsed: roughly what a web-crawl text extractor keeps, navigation included."""
    p = _HTMLText()
    p.feed(path.read_text(errors="replace"))
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(p.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _html_pages(folder: Path):
    yield from (html_text(p) for p in sorted(folder.glob("*.html")))


def _web():
    """Pages of the three HTML collections in turn (one of each, then the next of each, ...)."""
    sources = [_html_pages(d) for d in WEB_DIRS if d.is_dir()]
    while sources:
        for src in list(sources):
            page = next(src, None)
            if page is None:
                sources.remove(src)
            else:
                yield page


def _chunks(texts, doc_chars: int, limit: int) -> list[str]:
    out: list[str] = []
    for t in texts:
        for i in range(0, len(t) - doc_chars + 1, doc_chars):
            out.append(t[i: i + doc_chars])
            if len(out) >= limit:
                return out
    return out


def _code():
    for p in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        yield p.read_text(errors="replace")


def _prose():
    import pydoc_data.topics as topics

    yield from (topics.topics[k] for k in sorted(topics.topics))
    if LICENSES.is_dir():
        yield from (p.read_text(errors="replace") for p in sorted(LICENSES.iterdir()) if p.is_file())


def _dictionary(max_chars: int):
    if GCIDE.exists():
        with gzip.open(GCIDE, "rt", errors="replace") as f:  # dictzip is gzip-compatible
            f.read(50_000)  # skip the front matter (licence and credits)
            yield f.read(max_chars)


def skewed_documents(domain_docs: dict[str, int], doc_chars: int = 2000) -> pa.Table:
    """The five-domain corpus with `domain_docs[d]` documents of `doc_chars` characters in domain d (a domain
    left out of `domain_docs` is left out of the corpus). Raises when a source has fewer documents."""
    unknown = set(domain_docs) - set(SKEWED_DOMAINS)
    if unknown:
        raise ValueError(f"unknown domains {sorted(unknown)}; known: {SKEWED_DOMAINS}")
    sources = {"web": lambda: _web(), "code": _code,
               "dictionary": lambda: _dictionary(domain_docs.get("dictionary", 0) * doc_chars * 2),
               "papers": lambda: _html_pages(PYDOC_HTML / "howto"), "qa": lambda: _html_pages(PYDOC_HTML / "faq")}
    rows = []
    for d in sorted(domain_docs):
        got = _chunks(sources[d](), doc_chars, domain_docs[d])
        if len(got) < domain_docs[d]:
            raise FileNotFoundError(f"domain {d!r}: {len(got)} documents of {doc_chars} characters on this "
                                    f"machine, {domain_docs[d]} asked for")
        rows += [(t, d) for t in got]
    return pa.table({"text": [r[0] for r in rows], "domain": [r[1] for r in rows]})


def documents(docs_per_domain: int = 200, doc_chars: int = 2000) -> pa.Table:
    sources = {"code": _code(), "prose": _prose(), "dictionary": _dictionary(docs_per_domain * doc_chars * 2)}
    rows = [(t, d) for d, src in sources.items() for t in _chunks(src, doc_chars, docs_per_domain)]
    missing = [d for d in sources if not any(r[1] == d for r in rows)]
    if missing:
        raise FileNotFoundError(f"no local text for domains {missing}")
    return pa.table({"text": [r[0] for r in rows], "domain": [r[1] for r in rows]})


def write_dataset(ws, name: str = "local_text", domain_docs: dict[str, int] | None = None, **kw) -> str:
    """Register the corpus as a workspace dataset (a new version each call); with `domain_docs`, the
    skewed five-domain corpus (`skewed_documents`)."""
    if domain_docs is not None:
        kw.pop("docs_per_domain", None)
        ws.write_table(name, skewed_documents(domain_docs, **kw))
    else:
        ws.write_table(name, documents(**kw))
    return name
