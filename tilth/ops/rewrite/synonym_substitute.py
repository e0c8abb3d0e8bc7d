"""Rule-based augmentation: replace random words by WordNet synonyms (EDA's synonym replacement).

WordNet comes from Debian's `wordnet-base` (/usr/share/wordnet/{index,data}.{noun,verb,adj,adv}), read
by the small parser below: a word's synonyms are the other lemmas of its `senses` most frequent synsets in
its dominant part of speech, the one with most corpus-tagged senses (index files list synsets by sense
frequency; data files are addressed by byte offset). Without a POS tagger, the dominant part of speech
and first sense are the safest choice. Function words, words shorter than 3 letters, synonyms that are
proper nouns, numerals or hyphenated, and (unless `allow_phrases`) multi-word synonyms are never used;
the replacement copies the original's capitalisation.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import numpy as np
from pydantic import Field

from tilth.ops.base import Params
from tilth.ops.registry import register
from tilth.ops.rewrite.random_edit import AugmentParams, RuleAugment, RuleParams, RuleRewrite

POS_FILES = ("noun", "verb", "adj", "adv")
TIE_ORDER = ("adj", "noun", "verb", "adv")
DEFAULT_DIR = "/usr/share/wordnet"

# Function words: WordNet has odd senses for many ("a" = vitamin A, "in" = inch, "will" = testament).
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be been before being below between both but
by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves also may
might must shall one two three first new use used using way get got make made per via etc
""".split())


class WordNetMissing(RuntimeError):
    """WordNet's data files are not installed."""


class WordNet:
    """Synonym look-up over the WordNet 3 database files."""

    def __init__(self, directory: str | os.PathLike | None = None, senses: int = 1):
        self.dir = Path(directory or os.environ.get("TILTH_WORDNET_DIR") or DEFAULT_DIR)
        missing = [f"{k}.{pos}" for pos in POS_FILES for k in ("index", "data") if not (self.dir / f"{k}.{pos}").is_file()]
        if missing:
            raise WordNetMissing(
                f"WordNet data not found in {self.dir} (missing {', '.join(missing)}). Install it with "
                "`apt-get install wordnet-base` (Debian/Ubuntu), or set TILTH_WORDNET_DIR to a folder holding "
                "the WordNet 3 files index.noun, data.noun, ... (./tilth.sh installs it when run as root)."
            )
        self.senses = senses
        self.data = {pos: (self.dir / f"data.{pos}").read_bytes() for pos in POS_FILES}
        self.index = {pos: _read_index(self.dir / f"index.{pos}") for pos in POS_FILES}
        self.synonyms = functools.lru_cache(maxsize=200_000)(self._synonyms)

    def _synonyms(self, lemma: str) -> tuple[str, ...]:
        """Other lemmas of `lemma`'s first `senses` synsets in its dominant part of speech (the one with
        most corpus-tagged senses; ties: adjective, noun, verb, adverb), in order, without repeats."""
        key = lemma.lower()
        entries = [(self.index[pos][key], pos) for pos in TIE_ORDER if key in self.index[pos]]
        if not entries:
            return ()
        (tagged, offsets), pos = max(entries, key=lambda e: e[0][0])  # max keeps the first of equals
        out: list[str] = []
        for offset in offsets[: self.senses]:
            for word in self._synset_words(pos, offset):
                if word.lower() != key and word not in out:
                    out.append(word)
        return tuple(out)

    def _synset_words(self, pos: str, offset: int) -> list[str]:
        data = self.data[pos]
        line = data[offset : data.index(b"\n", offset)].decode("utf-8", "replace").split()
        n = int(line[3], 16)
        return [_ADJ_MARKER.sub("", w).replace("_", " ") for w in line[4 : 4 + 2 * n : 2]]


_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")


def _read_index(path: Path) -> dict[str, tuple[int, tuple[int, ...]]]:
    """lemma -> (tagged sense count, synset byte offsets in sense-frequency order); the license header
    lines start with a space."""
    out: dict[str, tuple[int, tuple[int, ...]]] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith(" "):
                continue
            f = line.split()
            n = int(f[2])
            out[f[0]] = (int(f[-n - 1]), tuple(int(x) for x in f[-n:]))
    return out


@functools.lru_cache(maxsize=4)
def load_wordnet(directory: str | None = None, senses: int = 1) -> WordNet:
    """One WordNet per process and setting (reading the files takes about a second)."""
    return WordNet(directory, senses)


_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# Usable synonyms: lower-case letters only (no proper nouns, numerals like "4", hyphenations), or phrases of such.
_PLAIN = re.compile(r"[a-z]+(?:'[a-z]+)?(?: [a-z]+(?:'[a-z]+)?)*$")


class SynonymFields(Params):
    fraction: float = Field(0.15, gt=0, le=1, description="Replace round(fraction x replaceable words) words per variant (at least one).")
    senses: int = Field(1, ge=1, le=10, description="Use synonyms from each word's `senses` most frequent meanings in its dominant part of speech.")
    allow_phrases: bool = Field(False, description="Also use multi-word synonyms ('ice cream').")
    wordnet_dir: str | None = Field(None, description=f"Folder with the WordNet 3 database files (default $TILTH_WORDNET_DIR or {DEFAULT_DIR}).")


class SynonymParams(AugmentParams, SynonymFields):
    pass


class SynonymInPlaceParams(RuleParams, SynonymFields):
    pass


class SynonymLogic:
    """Word choice and replacement, shared by the Generator and the in-place Mapper."""

    def setup(self) -> None:
        self.wordnet = load_wordnet(self.params.wordnet_dir, self.params.senses)

    def candidates(self, word: str) -> tuple[str, ...]:
        """Synonyms usable in place of `word` (empty if the word must not be replaced)."""
        if len(word) < 3 or word.lower() in STOPWORDS or (word.isupper() and len(word) > 1):
            return ()
        if word[0].isupper() and word[1:].islower() is False:
            return ()
        return tuple(s for s in self.wordnet.synonyms(word)
                     if _PLAIN.match(s) and (self.params.allow_phrases or " " not in s))

    def edit(self, text: str, rng: np.random.Generator) -> str:
        spans = [(m.start(), m.end(), c) for m in _WORD.finditer(text) if (c := self.candidates(m.group()))]
        if not spans:
            return text
        n = max(1, round(self.params.fraction * len(spans)))
        chosen = sorted(rng.choice(len(spans), size=min(n, len(spans)), replace=False))
        out, last = [], 0
        for j in chosen:
            start, end, cands = spans[j]
            word = text[start:end]
            syn = cands[int(rng.integers(len(cands)))]
            out += [text[last:start], syn[0].upper() + syn[1:] if word[0].isupper() else syn]
            last = end
        out.append(text[last:])
        return "".join(out)


@register
class SynonymSubstitute(SynonymLogic, RuleAugment):
    name = "synonym_substitute"
    description = """Augment text by replacing a random fraction of its words with WordNet synonyms (first
    sense of the dominant part of speech; needs Debian's wordnet-base), seeded per row so re-runs are
    identical. Function words and proper nouns are left alone; capitalisation is kept. Optionally only
    rows with where_column >= where_min. New rows carry `_parent_id`."""
    examples = (
        "augment by replacing words with synonyms",
        "create extra samples with synonym swaps",
        "add variants with some words replaced by WordNet synonyms",
        "add versions of each sample with words swapped for synonyms",
        "EDA synonym replacement augmentation",
        "generate synonym-replaced variants as new rows",
        "augment with WordNet synonyms and keep the originals",
        "make extra training examples by replacing some words with synonyms",
        "use a thesaurus to create new variants of each row",
        "simple synonym augmentation that adds rows",
        "create more data by substituting similar words",
        "add versions where about 15% of the words are synonyms",
        "add synonym-swapped variants as new rows",
        "keep the originals and add synonym-replaced versions",
    )
    inputs = ("{text_field}",)
    outputs = ("{text_field}", "_parent_id")
    Params = SynonymParams


@register
class SynonymSubstituteInPlace(SynonymLogic, RuleRewrite):
    name = "synonym_substitute_inplace"
    description = """Rewrite text in place by replacing a random fraction of its words with WordNet synonyms
    (as synonym_substitute, but the row is edited instead of copied: same `_id`, no new rows). Seeded per
    row; optionally only rows with where_column >= where_min."""
    examples = (
        "replace some words with synonyms in place",
        "perturb the text with synonyms without adding rows",
        "swap words for synonyms in the existing rows",
        "replace words with WordNet synonyms in place",
        "edit the text itself with synonym replacements",
        "perturb each sample's vocabulary with synonyms, same row count",
        "overwrite the text with a synonym-substituted version",
        "synonym replacement in place, no new rows",
        "lightly obfuscate the wording with synonyms, keeping the ids",
        "change some words to synonyms directly in each record",
        "apply thesaurus swaps to the original texts in place",
        "synonymize the text column in place",
        "replace words with synonyms in the rows themselves",
        "synonym substitution on the existing rows",
    )
    inputs = ("{text_field}",)
    outputs = ("{text_field}",)
    Params = SynonymInPlaceParams
