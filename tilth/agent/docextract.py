"""The offline answer of `tilth ask`: pieces of the retrieved passages, each tagged with its source.

A passage is cut into units (prose sentences, list items, table rows, single code lines) and the answer
is the units that share the most words with the question. Two things make that answer useful rather than
merely related:
- continuation: how-to prose states what to do, then how. "Any OpenAI-compatible server works: vLLM,
  ..." is followed by the resolution order it introduces, which shares no word with "how do I use my
  own vLLM server?". So the prose unit after the top passage's best unit is kept too, and a unit ending
  in a colon keeps the list items it introduces (at most three);
- commands: a "how do I ..." question wants the command, so for such questions a `tilth ...` command
  (a code line, or quoted in prose) that itself holds a question word counts that word twice.
Shared words are weighted by their BM25 idf when the caller passes it: "vllm" says more than "use".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

HOW_TO = re.compile(r"\s*how (do|can|should|would) (i|we|you)\b|\s*how to\b", re.I)
LIST_ITEM = re.compile(r"([-*]|\d+\.)\s")


@dataclass(frozen=True)
class Unit:
    text: str
    code: bool = False


def units(text: str) -> list[Unit]:
    """A passage cut into answerable pieces: prose sentences, list items, table rows and single code lines."""
    out: list[Unit] = []
    fenced, para = False, []

    def flush():
        if para:
            out.extend(Unit(s) for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`(*])", " ".join(para)))
            para.clear()

    for line in text.splitlines():
        s = line.strip()
        if s.startswith("```"):
            flush()
            fenced = not fenced
        elif fenced or s.startswith("|"):
            flush()
            out.append(Unit(s, code=fenced))
        elif not s or LIST_ITEM.match(s):
            flush()
            if s:
                para.append(s)
        else:
            para.append(s)
    flush()
    return [Unit(" ".join(u.text.split()), u.code) for u in out
            if len(u.text) >= 15 and not re.fullmatch(r"[|\-: ]+", u.text)]


def extract(question: str, hits: list, max_units: int, tokenize: Callable[[str], list[str]],
            idf: dict[str, float] | None = None) -> str:
    """The top passage's best unit and its continuation, then the best units of all `hits` ((passage,
    score) pairs, best first) up to `max_units`; in passage order, each tagged with its source."""
    q = set(tokenize(question))
    how_to = bool(HOW_TO.match(question))
    cut = [units(p.text) for p, _ in hits]
    w = (lambda t: idf.get(t, 1.0)) if idf else (lambda t: 1.0)

    def score(u: Unit) -> float:
        shared = q & set(tokenize(u.text))
        if how_to and shared:
            command = u.text if u.code and u.text.startswith("tilth ") else " ".join(re.findall(r"`(tilth [^`]*)`", u.text))
            shared = list(shared) + list(shared & set(tokenize(command)))
        return sum(w(t) for t in shared)

    scores = [[score(u) for u in us] for us in cut]
    picked: set[tuple[int, int]] = set()
    top = cut[0] if cut else []
    if top and max(scores[0]) > 0:
        last = max(range(len(top)), key=lambda i: (scores[0][i], -i))
        picked.add((0, last))
        if last + 1 < len(top) and not top[last].code:  # the next code line is another command
            last += 1
            picked.add((0, last))
        items = 0
        while (top[last].text.endswith(":") or items) and items < 3 and last + 1 < len(top) \
                and LIST_ITEM.match(top[last + 1].text):
            last, items = last + 1, items + 1
            picked.add((0, last))
    rest = sorted(((scores[r][i] + hits[r][1], -r, -i, r, i) for r in range(len(cut)) for i in range(len(cut[r]))
                   if scores[r][i] and (r, i) not in picked), reverse=True)
    picked |= {(r, i) for *_, r, i in rest[: max(0, max_units - len(picked))]}
    lines = [f"{cut[r][i].text} [{hits[r][0].source}]" for r, i in sorted(picked)]
    return "\n".join(lines) or (f"See [{hits[0][0].source}]." if hits else "")
