"""What kind of thing a word names, from WordNet's noun hierarchy (Debian's `wordnet-base`, as tilth.agent.novelty
reads): a column called `vet` holds doctors ("the average fee per doctor"), `fee` is a charge, `species` not a
doctor. Only a word's first senses and their hypernyms two levels up are read, so the links are the common
ones; without WordNet on the machine no word is linked and such a request is reported, not guessed.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

SENSES = 2  # the first senses of a word (WordNet orders them by frequency)
LEVELS = 2  # hypernym steps up: vet -> doctor -> medical practitioner


def _folder() -> Path:
    return Path(os.environ.get("TILTH_WORDNET_DIR", "/usr/share/wordnet"))


@lru_cache(maxsize=1)
def _index() -> dict[str, list[int]]:
    """noun lemma -> its synsets' byte offsets in data.noun, most frequent sense first."""
    path = _folder() / "index.noun"
    out: dict[str, list[int]] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(" "):
                continue
            fields = line.split()
            n_synsets, n_pointers = int(fields[2]), int(fields[3])
            out[fields[0]] = [int(x) for x in fields[6 + n_pointers: 6 + n_pointers + n_synsets]]
    return out


@lru_cache(maxsize=4096)
def _synset(offset: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(its lemmas, its hypernyms' offsets) for the synset at `offset` in data.noun."""
    with open(_folder() / "data.noun", "rb") as f:
        f.seek(offset)
        fields = f.readline().decode("utf-8", errors="replace").split()
    n_words = int(fields[3], 16)
    words = tuple(fields[4 + 2 * i].lower() for i in range(n_words))
    k = 4 + 2 * n_words
    ups = tuple(int(fields[k + 2 + 4 * i]) for i in range(int(fields[k]))
                if fields[k + 1 + 4 * i] in ("@", "@i"))
    return words, ups


def _lemma(word: str) -> str | None:
    w, index = word.lower().strip(), _index()
    for form in (w, w[:-1] if w.endswith("s") else "", w[:-2] if w.endswith("es") else "",
                 w[:-3] + "y" if w.endswith("ies") else ""):
        if form and form in index:
            return form
    return None


def kinds(word: str) -> frozenset[str]:
    """The word's synonyms and what they are kinds of ("vet": veterinarian, doctor, medical practitioner, ...),
    over its first SENSES noun senses; empty for a word WordNet does not know."""
    lemma = _lemma(word)
    if lemma is None:
        return frozenset()
    out: set[str] = set()
    frontier = list(_index()[lemma][:SENSES])
    for _ in range(LEVELS + 1):
        nxt = []
        for off in frontier:
            words, ups = _synset(off)
            out |= {w for w in words if "_" not in w}
            nxt += list(ups)
        frontier = nxt
    return frozenset(out)


def is_kind_of(word: str, general: str) -> bool:
    """Whether `word` names a kind of `general` or a synonym of it ("vet" and "doctor"; "fee" and "charge")."""
    lemma = _lemma(general)
    return lemma is not None and lemma in kinds(word)


@lru_cache(maxsize=1)
def _adjectives() -> frozenset[str]:
    path = _folder() / "index.adj"
    if not path.exists():
        return frozenset()
    with open(path, encoding="utf-8", errors="replace") as f:
        return frozenset(line.split(" ", 1)[0] for line in f if not line.startswith(" "))


def adjective_only(word: str) -> bool:
    """An adjective WordNet knows that names no thing ("serious", not "penthouse" or "express"): a word that
    describes rows, never a label of a column of kinds."""
    w = word.lower().strip()
    return w in _adjectives() and _lemma(w) is None
