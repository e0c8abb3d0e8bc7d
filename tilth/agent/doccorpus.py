"""What `tilth ask` answers from: README.md and every docs/**/*.md, split at headings, plus operator cards.

README.md is part of the corpus because it holds the run model (resume, export, executors, the
workspace), which is what new users ask about first. The docs are found relative to the repository root,
not the working directory: the root is the folder above the `tilth` package when it holds Tilth's
pyproject.toml (a checkout or an editable install), or `$TILTH_DOCS_ROOT`. A wheel installed into
site-packages has no docs next to it; `find_root` then returns None and the caller answers from operator
metadata alone and says so.

docs/operators.md is skipped: it is generated from the same operator metadata that the operator cards are
built from, so indexing it too would only duplicate every operator.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "TILTH_DOCS_ROOT"
SKIP = {"docs/operators.md"}  # generated from operator metadata (`tilth docs`)


@dataclass(frozen=True)
class Passage:
    source: str  # README.md#<anchor>, docs/<file>.md#<anchor> or operator:<name>
    title: str  # the section heading, or the operator's name
    text: str
    kind: str = "section"  # "section", or the operator's kind (reader, filter, mapper, ...)
    context: str = ""  # the headings above this one (document title first), for retrieval only


def find_root() -> Path | None:
    """The folder holding README.md and docs/ for this installation, or None when there is none."""
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).expanduser()
        return root if (root / "README.md").is_file() or (root / "docs").is_dir() else None
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and re.search(r'(?m)^name\s*=\s*"tilth"', pyproject.read_text(encoding="utf-8")):
        return root
    return None


def doc_files(root: Path) -> list[Path]:
    files = [root / "README.md"] if (root / "README.md").is_file() else []
    files += sorted(p for p in (root / "docs").rglob("*.md") if p.relative_to(root).as_posix() not in SKIP)
    return files


def anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (not - or _), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def split_sections(text: str, rel: str) -> list[Passage]:
    """One passage per heading with a non-empty body (text before the first heading cites the file);
    `#` lines inside ``` fences are code, not headings."""
    out: list[Passage] = []
    seen: dict[str, int] = {}
    stack: list[tuple[int, str]] = []  # (level, title) of the headings above the current one
    title, level, source, buf, fenced = Path(rel).stem, 0, rel, [], False
    for line in text.splitlines() + ["# <end>"]:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        m = None if fenced else re.match(r"(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            buf.append(line)
            continue
        body = "\n".join(buf).strip()
        if body:
            out.append(Passage(source, title, body, context=" / ".join(t for lv, t in stack if lv < level)))
        level, title, buf = len(m[1]), m[2].strip(), []
        a = anchor(title)
        n = seen.get(a, 0)
        seen[a] = n + 1
        source = f"{rel}#{a if n == 0 else f'{a}-{n}'}"  # GitHub numbers repeated headings
        stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
    return out


_LABEL = re.compile(r"[-*]\s+\*\*(.+?)\*\*")


def split_labelled(p: Passage) -> list[Passage]:
    """A section whose list items start with a bold label (`- **Resume and caching.** ...`) is a set of
    small sections in one: each such item becomes a passage titled by its label, citing the section, and
    the rest of the section stays one passage. Otherwise the label's words drown in a long section (the
    resume bullet lost to a section that says "run" more often)."""
    items, rest, cur = [], [], None
    for line in p.text.splitlines():
        m = _LABEL.match(line)
        if m:
            cur = [m[1].strip(" .:"), [line]]
            items.append(cur)
        elif cur is not None and line.startswith((" ", "\t")) and line.strip():
            cur[1].append(line)
        else:
            cur = None
            rest.append(line)
    if not items:
        return [p]
    ctx = f"{p.context} / {p.title}" if p.context else p.title
    body = "\n".join(rest).strip()
    return ([Passage(p.source, p.title, body, p.kind, p.context)] if body else []) + [
        Passage(p.source, label, "\n".join(lines), p.kind, ctx) for label, lines in items]


def chunk(p: Passage, max_chars: int = 900) -> list[Passage]:
    """A long section cut at blank lines (never inside a ``` fence) into pieces of about `max_chars`, each
    citing the section. Why: BM25 lets a long section win on sheer repetition (a results section that
    says "loss" a hundred times), and MiniLM reads only the first 256 tokens of a text."""
    blocks, cur, fenced = [], [], False
    for line in p.text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced and cur:
            blocks.append("\n".join(cur))
            cur = []
        elif line.strip() or cur:
            cur.append(line)
    if cur:
        blocks.append("\n".join(cur))
    pieces: list[str] = []
    for b in blocks:
        if pieces and len(pieces[-1]) + len(b) < max_chars:
            pieces[-1] += "\n\n" + b
        else:
            pieces.append(b)
    return [Passage(p.source, p.title, t, p.kind, p.context) for t in pieces] or [p]


def doc_passages(root: Path | None = None) -> list[Passage]:
    """Every section of README.md and docs/**/*.md under `root` (default: `find_root()`), whole."""
    root = root if root is not None else find_root()
    if root is None:
        return []
    out = []
    for path in doc_files(Path(root)):
        out += split_sections(path.read_text(encoding="utf-8"), path.relative_to(root).as_posix())
    return out


def pieces(section: Passage, max_chars: int = 900) -> list[Passage]:
    """What retrieval indexes for a section: its labelled items and the rest, long ones cut in chunks.
    Retrieval ranks pieces; the answer is drawn from the whole section the best piece belongs to."""
    return [c for p in split_labelled(section) for c in chunk(p, max_chars)]
def operator_passages() -> list[Passage]:
    """One card per registered operator, from its metadata, so an operator that lands is answerable at once."""
    from tilth.ops import all_operators

    out = []
    for cls in all_operators():
        m = cls.metadata()
        params = "; ".join(f"`{p['name']}` ({p['type']}, default {p['default']!r}): {p['description']}" for p in m["params"])
        text = (f"{m['name']} is a {m['kind']} in {m['category']}. {m['description']} It reads "
                f"{', '.join(m['inputs']) or 'no columns'} and writes {', '.join(m['outputs']) or 'no new columns'}. "
                f"Parameters: {params}. Use it in a recipe as `- {m['name']}: {{...}}`.")
        out.append(Passage(f"operator:{m['name']}", m["name"], text, kind=m["kind"], context="operator"))
    return out
