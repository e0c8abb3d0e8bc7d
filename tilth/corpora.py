"""Real-text corpora built at run time from what is installed on this machine (no downloads, no fixtures).

Why: dedup and filter operators must be measured on real documents, and the tests, the benchmarks and the
peers must all read the same bytes. Sources, used when present:

- `python-stdlib`: the CPython standard library sources (`*.py`), packed into documents.
- `python-docs`: the reStructuredText sources of the Python docs (Debian `python3-doc`).
- `package-docs`: README/METADATA/*.md/*.rst/*.txt shipped in the virtualenv's site-packages.
- `package-code`: the `*.py` sources of the virtualenv's site-packages (torch, transformers, ...).
- `fortunes`: one document per fortune cookie (Debian `fortunes`; the offensive set is skipped).
- `gcide`: one document per dictionary article (Debian `dict-gcide`, Webster 1913 + GCIDE).
- `debian-reference`: the Debian Reference manual text (Debian `debian-reference-en`).

`build_corpus(n_docs, path, seed)` writes JSONL with `text` and `source`. `plant_near_duplicates` adds copies
of real documents with random word edits, and `jaccard_pairs` gives the exact ground truth (every pair with
Jaccard >= t on whatever shingling the caller uses) by a prefix-filtered similarity join in DuckDB.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PY_DOCS = Path("/usr/share/doc/python3-doc/html/_sources")
FORTUNES = Path("/usr/share/games/fortunes")
GCIDE_DICT = Path("/usr/share/dictd/gcide.dict.dz")
GCIDE_INDEX = Path("/usr/share/dictd/gcide.index")
DEBREF = Path("/usr/share/debian-reference/debian-reference.en.txt.gz")

# Share of documents per source (renormalised over the sources present).
DEFAULT_WEIGHTS = {
    "python-stdlib": 0.30,
    "python-docs": 0.20,
    "package-docs": 0.10,
    "package-code": 0.15,
    "fortunes": 0.15,
    "gcide": 0.15,
    "debian-reference": 0.10,
}

_PARA = re.compile(r"\n[ \t]*\n")


def _pack(text: str, max_chars: int) -> Iterator[str]:
    """Split text at blank lines and pack consecutive paragraphs into documents of at most ~max_chars."""
    buf: list[str] = []
    size = 0
    for para in _PARA.split(text):
        if not para.strip():
            continue
        if buf and size + len(para) > max_chars:
            yield "\n\n".join(buf)
            buf, size = [], 0
        buf.append(para)
        size += len(para) + 2
    if buf:
        yield "\n\n".join(buf)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _files_source(files: list[Path], rng: random.Random, max_chars: int) -> Iterator[str]:
    files = sorted(files)
    rng.shuffle(files)
    for f in files:
        yield from _pack(_read(f), max_chars)


def _stdlib_files() -> list[Path]:
    return [p for p in STDLIB.rglob("*.py") if "site-packages" not in p.parts and "__pycache__" not in p.parts]


def _site_packages() -> list[Path]:
    roots = {Path(p) for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}
    roots.add(Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages")
    return sorted(r for r in roots if r.is_dir())


def _package_code_files() -> list[Path]:
    return [p for root in _site_packages() for p in root.rglob("*.py") if "__pycache__" not in p.parts]


def _package_doc_files() -> list[Path]:
    out: set[Path] = set()
    for root in _site_packages():
        for pattern in ("*.md", "*.rst", "*.txt", "METADATA"):
            for p in root.rglob(pattern):
                if p.is_file() and p.stat().st_size > 200 and "LICENSE" not in p.name.upper():
                    out.add(p)
    return list(out)


def _fortunes(rng: random.Random, max_chars: int) -> Iterator[str]:
    files = sorted(p for p in FORTUNES.iterdir() if p.is_file() and not p.suffix) if FORTUNES.is_dir() else []
    cookies = [c.strip() for f in files for c in _read(f).split("\n%\n") if c.strip()]
    rng.shuffle(cookies)
    yield from cookies


_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _b64(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64[c]
    return n


def _gcide(rng: random.Random, max_chars: int) -> Iterator[str]:
    """One document per dictionary article, located through the dictd index (several headwords may
    point at one article: each article is used once)."""
    if not (GCIDE_DICT.exists() and GCIDE_INDEX.exists()):
        return
    data = gzip.open(GCIDE_DICT).read()
    spans = set()
    for line in GCIDE_INDEX.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not parts[0].startswith("00-"):
            spans.add((_b64(parts[1]), _b64(parts[2])))
    spans = sorted(spans)
    rng.shuffle(spans)
    for off, length in spans:
        yield data[off : off + length].decode("utf-8", errors="replace").strip()


def _debref(rng: random.Random, max_chars: int) -> Iterator[str]:
    if not DEBREF.exists():
        return
    docs = list(_pack(gzip.open(DEBREF, "rt", encoding="utf-8", errors="replace").read(), max_chars))
    rng.shuffle(docs)
    yield from docs


def sources(max_chars: int = 6000) -> dict[str, Callable[[random.Random], Iterator[str]]]:
    """The sources present on this machine, each a function rng -> iterator of documents."""
    out: dict[str, Callable[[random.Random], Iterator[str]]] = {}
    std = _stdlib_files()
    if std:
        out["python-stdlib"] = lambda rng: _files_source(std, rng, max_chars)
    if PY_DOCS.is_dir():
        docs = list(PY_DOCS.rglob("*.txt"))
        out["python-docs"] = lambda rng: _files_source(docs, rng, max_chars)
    pkg = _package_doc_files()
    if pkg:
        out["package-docs"] = lambda rng: _files_source(pkg, rng, max_chars)
    code = _package_code_files()
    if code:
        out["package-code"] = lambda rng: _files_source(code, rng, max_chars)
    if FORTUNES.is_dir():
        out["fortunes"] = lambda rng: _fortunes(rng, max_chars)
    if GCIDE_DICT.exists():
        out["gcide"] = lambda rng: _gcide(rng, max_chars)
    if DEBREF.exists():
        out["debian-reference"] = lambda rng: _debref(rng, max_chars)
    return out


def sample_documents(n_docs: int, seed: int = 0, weights: dict[str, float] | None = None,
                     min_words: int = 20, max_chars: int = 6000) -> list[dict]:
    """`n_docs` real documents ({"text", "source"}), mixed across sources by `weights`, deterministic for a
    seed. A source that runs out hands its remaining share to the others; raises if all run out."""
    weights = {k: v for k, v in (weights or DEFAULT_WEIGHTS).items() if v > 0}
    avail = {k: f for k, f in sources(max_chars).items() if k in weights}
    if not avail:
        raise RuntimeError("no text sources found on this machine")
    rng = random.Random(seed)
    iters = {k: f(random.Random(f"{seed}:{k}")) for k, f in sorted(avail.items())}
    docs: list[dict] = []
    while len(docs) < n_docs and iters:
        need = n_docs - len(docs)
        total = sum(weights[k] for k in iters)
        quotas = {k: max(1, math.ceil(need * weights[k] / total)) for k in iters}
        for k, q in quotas.items():
            got = 0
            for text in iters[k]:
                if len(text.split()) >= min_words:
                    docs.append({"text": text, "source": k})
                    got += 1
                    if got == q:
                        break
            if got < q:
                del iters[k]
    if len(docs) < n_docs:
        raise RuntimeError(f"only {len(docs)} documents available, {n_docs} asked")
    rng.shuffle(docs)
    return docs[:n_docs]


def write_jsonl(docs: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return path


def read_jsonl(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def build_corpus(n_docs: int, path: str | Path, seed: int = 0, **kw) -> Path:
    """Write `n_docs` real documents as JSONL (`text`, `source`) to `path`; see `sample_documents`."""
    return write_jsonl(sample_documents(n_docs, seed, **kw), path)


def edit_words(text: str, n_edits: int, rng: random.Random, vocab: list[str]) -> str:
    """Apply n random word edits (substitute, delete or insert a vocabulary word); words are re-joined
    by single spaces, as a scraper that re-flows text would."""
    words = text.split()
    for _ in range(n_edits):
        op = rng.choice(("sub", "del", "ins")) if len(words) > 1 else "ins"
        i = rng.randrange(len(words)) if words else 0
        if op == "sub":
            words[i] = rng.choice(vocab)
        elif op == "del":
            del words[i]
        else:
            words.insert(i, rng.choice(vocab))
    return " ".join(words)


def plant_near_duplicates(docs: list[dict], n_planted: int, seed: int = 0,
                          edit_fraction: tuple[float, float] = (0.0, 0.05)) -> tuple[list[dict], list[tuple[int, int]]]:
    """Return (docs + planted copies, shuffled; [(copy index, original index)]).

    Each copy is a real document with round(f * words) random word edits, f uniform in `edit_fraction`, so
    copies fall on both sides of a Jaccard threshold. Copies may be of earlier copies (chains), which is
    what transitive duplicate collapse must handle. Documents carry `planted_from` (index or -1)."""
    rng = random.Random(seed)
    vocab = sorted({w for d in docs[: min(len(docs), 2000)] for w in d["text"].split()})
    out = [dict(d, planted_from=-1) for d in docs]
    for _ in range(n_planted):
        src = rng.randrange(len(out))
        words = len(out[src]["text"].split())
        n_edits = round(rng.uniform(*edit_fraction) * words)
        text = edit_words(out[src]["text"], n_edits, rng, vocab)
        out.append({"text": text, "source": "planted:" + out[src]["source"], "planted_from": src})
    order = list(range(len(out)))
    rng.shuffle(order)
    new_index = {old: new for new, old in enumerate(order)}
    shuffled = []
    for old in order:
        d = dict(out[old])
        if d["planted_from"] >= 0:
            d["planted_from"] = new_index[d["planted_from"]]
        shuffled.append(d)
    pairs = [(i, d["planted_from"]) for i, d in enumerate(shuffled) if d["planted_from"] >= 0]
    return shuffled, pairs


def jaccard_pairs(sets: list[np.ndarray], threshold: float) -> np.ndarray:
    """Every pair (i < j) whose sets have exact Jaccard >= threshold, as a structured array (i, j, jaccard).

    Exact, not sampled: prefix filtering (a pair with |A∩B| >= t|A| must share one of A's
    |A| - floor(t|A|) + 1 rarest elements) finds all candidates, which are then verified by counting the
    full intersection. Runs in DuckDB so a few hundred thousand set elements are cheap."""
    import duckdb
    import pyarrow as pa

    lens = np.array([len(np.unique(s)) for s in sets], dtype=np.int64)
    doc = np.repeat(np.arange(len(sets), dtype=np.int64), [len(s) for s in sets])
    elems = np.concatenate([np.asarray(s, dtype=np.uint64) for s in sets]) if sets else np.zeros(0, np.uint64)
    con = duckdb.connect()
    try:
        con.register("raw", pa.table({"doc": doc, "h": elems}))
        con.execute("CREATE TABLE s AS SELECT DISTINCT doc, h FROM raw")
        con.execute("CREATE TABLE f AS SELECT h, count(*) AS freq FROM s GROUP BY h")
        con.register("lens", pa.table({"doc": np.arange(len(sets), dtype=np.int64), "n": lens}))
        con.execute(
            """CREATE TABLE p AS SELECT doc, h FROM (
                 SELECT s.doc, s.h, l.n, row_number() OVER (PARTITION BY s.doc ORDER BY f.freq, s.h) AS r
                 FROM s JOIN f USING (h) JOIN lens l USING (doc))
               WHERE r <= n - floor(? * n) + 1""",
            [threshold],
        )
        rows = con.execute(
            """WITH cand AS (
                 SELECT DISTINCT a.doc AS i, b.doc AS j FROM p a JOIN p b ON a.h = b.h AND a.doc < b.doc),
               inter AS (
                 SELECT c.i, c.j, count(*) AS k FROM cand c
                 JOIN s a ON a.doc = c.i JOIN s b ON b.doc = c.j AND a.h = b.h GROUP BY c.i, c.j)
               SELECT i, j, k::DOUBLE / (li.n + lj.n - k) AS jac FROM inter
               JOIN lens li ON li.doc = i JOIN lens lj ON lj.doc = j
               WHERE k::DOUBLE / (li.n + lj.n - k) >= ? ORDER BY i, j""",
            [threshold],
        ).fetchall()
    finally:
        con.close()
    return np.array(rows, dtype=[("i", np.int64), ("j", np.int64), ("jaccard", np.float64)])


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_docs", type=int)
    ap.add_argument("path")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(build_corpus(a.n_docs, a.path, a.seed))
