"""Opposites of words, from WordNet's antonym pointers (Debian's `wordnet-base`, as tilth.agent.novelty reads).

A yes/no column is often named by one word and asked for by its opposite: "the inspections that failed" on
`passed`, "the closed tickets" on `open`, "the invalid rows" on `valid`. WordNet records those pairs for verbs
and adjectives; without WordNet on the machine no word has an opposite, and such a request is not understood
(it says so) rather than guessed.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _pairs() -> dict[str, frozenset[str]]:
    """word -> its antonyms, over WordNet's verbs and adjectives (a few MB, read once per process)."""
    folder = Path(os.environ.get("TILTH_WORDNET_DIR", "/usr/share/wordnet"))
    out: dict[str, set[str]] = {}
    for pos in ("verb", "adj"):
        path = folder / f"data.{pos}"
        if not path.exists():
            continue
        synsets: dict[str, list[str]] = {}
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith(" ") and " !" in line:  # (only synsets with an antonym, and their targets)
                    fields = line.split(" ")
                    synsets[fields[0]] = fields
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(" ") or " ! " not in line:
                    continue
                fields = line.split(" ")
                words = _words(fields)
                k = 4 + 2 * len(words)
                for i in range(int(fields[k])):
                    symbol, target, _, where = fields[k + 1 + 4 * i: k + 5 + 4 * i]
                    if symbol != "!":
                        continue
                    other = synsets.get(target) or _synset(path, target)
                    if other is None:
                        continue
                    src, dst = int(where[:2], 16), int(where[2:], 16)
                    theirs = _words(other)
                    a = words[src - 1] if src else words[0]
                    b = theirs[dst - 1] if dst and dst <= len(theirs) else theirs[0]
                    out.setdefault(a.lower(), set()).add(b.lower())
                    # the opposite's synonyms in that sense oppose it too ("accept" / "reject": "decline", "refuse"),
                    # both ways ("a declined offer" on `accepted`)
                    for mate in theirs:
                        if "_" not in mate and mate.lower() != a.lower():
                            out[a.lower()].add(mate.lower())
                            out.setdefault(mate.lower(), set()).add(a.lower())
    return {w: frozenset(v) for w, v in out.items()}


def _words(fields: list[str]) -> list[str]:
    """A synset line's words (adjective markers such as "(a)" removed)."""
    n = int(fields[3], 16)
    return [fields[4 + 2 * i].split("(")[0] for i in range(n)]


def _synset(path: Path, offset: str) -> list[str] | None:
    """The synset line at a byte offset (a target that has no antonym of its own)."""
    with open(path, "rb") as f:
        f.seek(int(offset))
        line = f.readline().decode("utf-8", errors="replace")
    return line.split(" ") if line.startswith(offset) else None


def antonyms(word: str) -> frozenset[str]:
    """The opposites of a word, or of its lemma ("failed" -> pass, "closed" -> open); empty if none is known."""
    pairs = _pairs()
    w = word.lower()
    found: set[str] = set(pairs.get(w, ()))
    for suffix, repl in (("ed", ""), ("ed", "e"), ("d", ""), ("s", ""), ("ing", ""), ("ing", "e")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            found |= pairs.get(w[: -len(suffix)] + repl, frozenset())
    return frozenset(found)


def opposed(a: str, b: str) -> bool:
    """Whether one word is an antonym of the other, in any of their forms ("failed" and `passed`)."""
    forms = {b.lower()} | {b.lower()[: -len(s)] + r for s, r in (("ed", ""), ("ed", "e"), ("d", ""), ("s", ""))
                           if b.lower().endswith(s) and len(b) - len(s) >= 3}
    return bool(antonyms(a) & forms)
