"""A column of the data that already says each row's language (`lang: en`, `language: German`).

Where the data has one, "English posts only" is a label filter on it and "translate the non-English posts"
translates the rows it marks as other languages: the user's own labels, not lid.176's guesses, which misread
short texts ("Thanks!", "+1", "meh") and would overwrite the column with its own codes.
"""

from __future__ import annotations

import re

from tilth.agent.peek import DataPeek
from tilth.ops.process.languages import LANGUAGES

_CODES = set(LANGUAGES.values())
_NAMED = re.compile(r"lang|locale", re.I)
# the request asks for the detector itself ("detect the language", "fastText LID at 0.8", "actually in English")
ASKS_DETECTOR = re.compile(r"\b(?:detect\w*|identif\w*|fast\s*text|lid(?:\.176)?|classif\w*|confiden\w*|"
                           r"actually|really|truly|genuinely|mislabell?ed|wrong(?:ly)?\s+(?:label|tagg)\w*)\b", re.I)


def _code(value: str) -> str | None:
    v = value.strip().lower()
    if v in LANGUAGES:
        return LANGUAGES[v]
    head = re.split(r"[-_]", v, maxsplit=1)[0]  # en-US, pt_BR
    return head if head in _CODES else None


def language_column(data: DataPeek) -> tuple[str, dict[str, list[str]]] | None:
    """(column, {language code: the column's values for it}) of the column that labels each row's language:
    named like one (lang, language, locale) with most values language codes or names, or any short-label
    column whose values are all language names. None if the data has none."""
    for col in data.columns:
        if col == data.text_field:
            continue
        values = data.labels.get(col) or sorted({v for r in data.rows if isinstance(v := r.get(col), str)})
        values = [v for v in values if v.strip()]
        if not values:
            continue
        codes = {v: _code(v) for v in values}
        known = [v for v, c in codes.items() if c]
        named = bool(_NAMED.search(col))
        spelled = all(v.strip().lower() in LANGUAGES for v in values)
        if known and (named and len(known) >= 0.8 * len(values) or spelled and len(values) >= 2):
            by_code: dict[str, list[str]] = {}
            for v in known:
                by_code.setdefault(codes[v], []).append(v)
            return col, by_code
    return None


def values_for(by_code: dict[str, list[str]], codes: list[str]) -> list[str] | None:
    """The column's values for these languages; None if the column shows no row in one of them (the column
    may not know it: the detector decides then)."""
    if not codes or any(c not in by_code for c in codes):
        return None
    return [v for c in codes for v in by_code[c]]
