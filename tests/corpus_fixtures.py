"""Small real-text corpora for tests, built from the Python standard library that runs the tests."""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path


def stdlib_paragraphs(n: int, min_words: int = 8) -> list[str]:
    """The first `n` distinct paragraphs (>= min_words words) of standard-library modules, in a fixed order,
    so that tests can plant duplicates and short rows and know the exact counts."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out: list[str] = []
    seen: set[str] = set()
    for path in sorted(root.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for para in text.split("\n\n"):
            para = para.strip()
            key = " ".join(para.split())
            if len(para.split()) >= min_words and key not in seen:
                seen.add(key)
                out.append(para)
                if len(out) >= n:
                    return out
    return out


def write_corpus(path: Path, n: int, duplicates_every: int = 10, short_every: int = 7) -> Path:
    """JSONL of real paragraphs with planted exact duplicates and too-short rows (known counts)."""
    paras = stdlib_paragraphs(n)
    with open(path, "w") as f:
        for i, p in enumerate(paras):
            f.write(json.dumps({"content": p, "source": os.path.basename(str(i % 3))}) + "\n")
            if duplicates_every and i % duplicates_every == 0:
                f.write(json.dumps({"content": "  " + p + "  ", "source": "dup"}) + "\n")
            if short_every and i % short_every == 0:
                f.write(json.dumps({"content": "too short", "source": "short"}) + "\n")
    return path
