"""Real text for classifier tests: "educational" prose from the Python documentation shipped with the
standard library (pydoc_data.topics) against "boilerplate" (the licence text, generated codec tables)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def educational(n: int) -> list[str]:
    """Documentation paragraphs of >= 25 words that read as sentences, in a fixed order."""
    from pydoc_data.topics import topics

    out: list[str] = []
    for key in sorted(topics):
        for para in topics[key].split("\n\n"):
            para = " ".join(para.split())
            if len(para.split()) >= 25 and para.count(". ") >= 1 and para not in out:
                out.append(para)
                if len(out) >= n:
                    return out
    return out


def boilerplate(n: int) -> list[str]:
    """Licence paragraphs, then distinct 8-line chunks of generated codec tables, in a fixed order."""
    out = [" ".join(p.split()) for p in (STDLIB / "LICENSE.txt").read_text().split("\n\n") if len(p.split()) >= 8]
    for path in sorted((STDLIB / "encodings").glob("cp*.py")):
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if "#  0x" in ln]
        chunks = ("\n".join(lines[i:i + 8]) for i in range(0, len(lines) - 8, 8))
        out.extend(c for c in chunks if c not in out)  # codepages share their ASCII half: no copies
        if len(out) >= n:
            break
    return out[:n]
