"""Sample inputs for the evaluation: math QA, web-like text (with an HTML column) and instruction pairs.

Web text is real prose: paragraphs of the Python standard library's docstrings and comments, the same
source the core tests use, so the heuristics filters see natural language.
"""

from __future__ import annotations

import html
import json
import sysconfig
from pathlib import Path

from tilth.agent.eval.mathqa import make_math_qa


def stdlib_paragraphs(n: int, min_chars: int = 80) -> list[str]:
    out: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        for para in path.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            para = " ".join(para.strip().strip('"').split())
            if len(para) >= min_chars and para[0].isalpha():
                out.append(para)
                if len(out) >= n:
                    return out
    return out


def make_web(path: Path, n: int = 120) -> Path:
    paras = stdlib_paragraphs(n)
    with open(path, "w") as f:
        for i, p in enumerate(paras):
            row = {"text": p, "html": f"<html><head><title>doc {i}</title></head><body><nav>home</nav>"
                   f"<article><p>{html.escape(p)}</p></article></body></html>", "source": f"s{i % 3}"}
            f.write(json.dumps(row) + "\n")
            if i % 10 == 0:
                f.write(json.dumps(row) + "\n")
    return path


def make_instruct(path: Path, n: int = 80) -> Path:
    tmp = path.with_suffix(".math.jsonl")
    make_math_qa(tmp, n=n)
    with open(tmp) as src, open(path, "w") as f:
        for line in src:
            r = json.loads(line)
            f.write(json.dumps({"instruction": r["question"], "output": r["solution"] or r["answer"]}) + "\n")
    tmp.unlink()
    return path


def make_all(root: Path) -> dict[str, str]:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    make_math_qa(root / "math.jsonl")
    return {"math": str(root / "math.jsonl"), "web": str(make_web(root / "web.jsonl")),
            "instruct": str(make_instruct(root / "instruct.jsonl"))}
