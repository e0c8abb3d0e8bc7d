"""The real-text variant of the benchmark, built only from corpora already on this machine.

Domains: `code` (the Python standard library's sources), `prose` (Python's built-in help topics and the
system's licence texts), `dictionary` (the GCIDE dictionary shipped with dictd). No floors are known, so
reports show raw held-out loss. Each source is cut into documents of `doc_chars` characters.
"""

from __future__ import annotations

import gzip
import sysconfig
from pathlib import Path

import pyarrow as pa

GCIDE = Path("/usr/share/dictd/gcide.dict.dz")
LICENSES = Path("/usr/share/common-licenses")


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


def documents(docs_per_domain: int = 200, doc_chars: int = 2000) -> pa.Table:
    sources = {"code": _code(), "prose": _prose(), "dictionary": _dictionary(docs_per_domain * doc_chars * 2)}
    rows = [(t, d) for d, src in sources.items() for t in _chunks(src, doc_chars, docs_per_domain)]
    missing = [d for d in sources if not any(r[1] == d for r in rows)]
    if missing:
        raise FileNotFoundError(f"no local text for domains {missing}")
    return pa.table({"text": [r[0] for r in rows], "domain": [r[1] for r in rows]})


def write_dataset(ws, name: str = "local_text", **kw) -> str:
    """Register the corpus as a workspace dataset (a new version each call)."""
    ws.write_table(name, documents(**kw))
    return name
