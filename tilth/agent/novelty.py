"""Words in a request that neither the operator catalogue nor an English dictionary knows.

"Check every answer with sympy", "run our RoBERTa classifier", "push it into Zendesk", "count tokens with
cl100k_base": the job names a tool or a thing Tilth has no operator for. Embedding similarity cannot see
that (the rest of the sentence still looks like some operator's job), so the planner asks this module
which words are *novel*: not in any operator's card or parameter choices, not an English word (WordNet,
Debian's `wordnet-base`, the same files `synonym_substitute` reads), not a column of the data, not a
language name, and not a typo of a known word ("grammer", "reveiws"). A novel word makes the planner say
what it did not understand instead of quietly planning the nearest operator.

Without WordNet on the machine every non-catalogue word would look novel, so the check is off there.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from tilth.agent.dates import mask as mask_dates

# function words, contractions and request glue that a dictionary of content words does not list
FUNCTION_WORDS = frozenset("""
the a an and or but nor of to in on at by for with from into onto over under about after before between
through during without within upon via per than then this that these those there here it its it's they them
their theirs we us our ours you your yours i me my mine he she his her who whom whose which what when where
why how whether if else also just only very really quite rather so such too not no yes don't doesn't didn't
can't cannot won't isn't aren't wasn't weren't i'd i'm i've i'll we'd we're we've we'll you'd you're they're
let's that's there's what's it'd would could should might must shall will can may do does did done be been
being is are was were am has have had having got get gets getting each every all any some many much more most
few fewer less least other others another same own both either neither one ones something anything
everything nothing someone anyone everyone whatever whichever etc e.g i.e vs
""".split())
# data and ML jargon users write that neither WordNet nor the operator cards spell out
JARGON = frozenset("""
sft rlhf dpo ppo llm llms nlp ml ai gpu cpu json jsonl csv tsv parquet arrow html xml pdf url urls uri http https
nav navbar footer header boilerplate dedup dedupe dedupes deduped deduping dataset datasets corpus corpora
tokenizer tokenize tokenized detokenize embedding embeddings minilm smollm webpage webpages unicode utf utf8 ascii
regex regexes eval evals finetune finetuning pretraining pretrain instruct chatbot repo repos
fullwidth halfwidth hashtag hashtags emoji emojis
""".split())
_PREFIXES = ("re", "pre", "mis", "non", "over", "under", "out")
_QUOTED = re.compile(r"(?<!\w)'(?:[^'\n]|(?<=\w)'(?=\w)){1,200}'(?!\w)|\"[^\"]{1,200}\"|`[^`]{1,200}`")
_WORD = re.compile(r"[^\W\d_][\w'./+-]*", re.UNICODE)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """WordNet's lemmas (multi-word lemmas split), or an empty set where WordNet is not installed."""
    folder = Path(os.environ.get("TILTH_WORDNET_DIR", "/usr/share/wordnet"))
    words: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        path = folder / f"index.{pos}"
        if not path.exists():
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith(" "):
                    words.update(line.split(" ", 1)[0].split("_"))
        exceptions = folder / f"{'adj' if pos == 'adj' else pos}.exc"  # irregular forms: "ran", "geese", "better"
        if exceptions.exists():
            with open(exceptions, encoding="utf-8", errors="replace") as f:
                words.update(w for line in f for w in line.split(" ", 1)[0].split("_") if w)
    return frozenset(words)


def _forms(word: str) -> list[str]:
    """The word and the lemmas it may be an inflection of (pdfs -> pdf, shorter -> short, tried -> try)."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"), ("d", ""),
                         ("ing", ""), ("ing", "e"), ("er", ""), ("er", "e"), ("est", ""), ("ily", "y"), ("ically", "ic"), ("ly", ""), ("'s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            out.append(word[: -len(suffix)] + repl)
    out += [w[:-1] for w in out if len(w) > 3 and w[-1] == w[-2]]  # "swapped" -> "swapp" -> "swap"
    return out


def _near(word: str, vocabulary: frozenset[str] | set[str]) -> bool:
    """One edit away from a known word of five letters or more: a typo ("grammer", "reveiws", "evry")."""
    if len(word) < 4:
        return False
    letters = "abcdefghijklmnopqrstuvwxyz"
    edits = {word[:i] + word[i + 1:] for i in range(len(word))}  # deletion
    edits |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}  # swap
    edits |= {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in letters}  # substitution
    edits |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}  # insertion
    # "reveiws" -> "reviews" -> review: a plural is the one inflection a typo's correction may carry
    return any(len(e) >= 4 and (e in vocabulary or e.endswith("s") and e[:-1] in vocabulary) for e in edits)


class NoveltyCheck:
    """`novel(text)` lists the words of `text` nobody here knows (module docstring)."""

    def __init__(self, catalogue_texts: list[str], extra_known: set[str] | None = None):
        self.english = english_words()
        known: set[str] = set()
        for text in catalogue_texts:
            known.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text))
        self.catalogue = frozenset(known | JARGON | (extra_known or set()))

    @property
    def enabled(self) -> bool:
        return bool(self.english)

    def known(self, word: str, columns: set[str] = frozenset()) -> bool:
        if word in FUNCTION_WORDS or word in columns or len(word) < 3:
            return True
        if any(f in self.english or f in self.catalogue for f in _forms(word)):
            return True
        # a known word with a productive prefix: "retyped", "misspelt", "oversized", "nonstandard"
        prefix = next((p for p in _PREFIXES if word.startswith(p) and len(word) - len(p) >= 4), None)
        if prefix and any(f in self.english for f in _forms(word[len(prefix):])):
            return True
        # "unreturned", "unpaid", "unanswered": un- before a participle or adjective that is known, or a column
        # (not before any word: "unsloth" is a tool's name, not un- and sloth)
        rest = word[2:] if word.startswith("un") and len(word) >= 6 else ""
        if rest and (rest in columns or re.search(r"(?:ed|d|able|ible|ful|ing|ive|al)$", rest)
                     and any(f in self.english or f in columns for f in _forms(rest))):
            return True
        # a prefix of a catalogue word: "smollm" of "smollm2"
        if len(word) >= 4 and any(k.startswith(word) for k in self.catalogue if len(k) <= len(word) + 2):
            return True
        return _near(word, self.english) or _near(word, self.catalogue)

    def novel(self, text: str, columns: list[str] | None = None) -> list[str]:
        if not self.enabled:
            return []
        cols = {p for c in (columns or []) for p in re.split(r"[_\W]+", c.lower()) if p}
        text = unicodedata.normalize("NFKC", text)  # full-width letters are the user's example, in plain letters
        out = []
        text = mask_dates(text)  # "2026-11-20T12:00:00Z" is a date, not the unknown word "T12"
        for raw in _WORD.findall(_QUOTED.sub(" ", text)):  # quoted literals are data, not words
            word = raw.lower().strip("'.-/+")
            parts = [p for p in re.split(r"[-_/.+]", word) if p]
            if parts and not all(self.known(p, cols) or p.isdigit() for p in parts):
                out.append(raw.strip("'.,-/+"))
        return list(dict.fromkeys(out))
