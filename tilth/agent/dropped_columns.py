"""Columns a request asks to leave out of the data, by the data's own column names ("lose the items column too",
"export without the lang column", "leave the staff member's name out of the export", "strip out the owner names and
the free-text vet notes before I share this"): a select_columns job, whatever operator the other words suggest.

The retrieval ranks operators by their words, and a column's name is a word too: "remove the items column" ranked
Gopher's bullet-item rule first, "export without the lang column" a language filter (trials 86, 87).
"""

from __future__ import annotations

import re

from tilth.agent.peek import DataPeek

_VERB = (r"(?:drop|remove|delete|discard|exclude|strip(?:\s+out)?|hide|toss|ditch|lose|get\s+rid\s+of|throw\s+(?:away|out)|"
         r"leave\s+out|omit|take\s+out|cut(?:\s+out)?|scrub)")
_OUTPUT = r"(?:export|output|file|dataset|data|result|copy|version)"
_COLUMN = r"(?:columns?|fields?|attributes?)"
# "lose the items column", "drop the owner and notes fields"
_NAMED = re.compile(rf"\b{_VERB}\s+(?:the\s+|their\s+|that\s+)?(?P<what>[^.;:!?()]{{1,80}}?)\s+{_COLUMN}\b", re.I)
# "export without the lang column", "give me the data without the owner field"
_WITHOUT = re.compile(rf"\b(?:export\w*|output|save|write|give\s+me|share|send|hand\s+over)\b[^.;:!?]{{0,40}}?\bwithout\s+"
                      rf"(?:the\s+|any\s+)?(?P<what>[^.;:!?()]{{1,80}}?)(?:\s+{_COLUMN})?\s*(?:$|[.;:!?,]|\b(?:and|then|please)\b)",
                      re.I)
# "leave the staff member's name out of the export"
_LEFT_OUT = re.compile(rf"\bleave\s+(?:the\s+|their\s+)?(?P<what>[^.;:!?()]{{1,80}}?)\s+out\b(?:\s+of\s+(?:the\s+|this\s+)?"
                       rf"{_OUTPUT})?", re.I)
# "strip out the owner names and the free-text vet notes": each item a column's name, with words like these
_LOOSE = re.compile(rf"\b{_VERB}\s+(?:the\s+|their\s+|all\s+|any\s+)?(?P<what>[^.;:!?()]{{1,80}}?)\s*"
                    rf"(?=$|[.;:!?,]|\b(?:before|so|because|since|then|from\s+(?:the\s+)?{_OUTPUT})\b)", re.I)
_COLUMN_ISH = frozenset("the a an all any their its his her name names note notes value values info information detail "
                        "details data free-text free text entry entries column columns field fields whole entire".split())


def columns_dropped(text: str, data: DataPeek) -> list[str]:
    """The data's columns (input names) the text asks to leave out, or [] where it names none as a whole."""
    columns = [c for c in data.columns if not c.startswith("_")]
    # (said without "column": never a yes/no flag, whose name says which rows go: "remove the spam" on `spam`)
    flags = {c for c in columns if (vals := [r[c] for r in data.rows if r.get(c) is not None])
             and all(isinstance(v, bool) for v in vals)}
    for pattern, loose in ((_NAMED, False), (_WITHOUT, False), (_LEFT_OUT, False), (_LOOSE, True)):
        for m in pattern.finditer(text):
            found = _items_as_columns(m["what"], [c for c in columns if not loose or c not in flags])
            if found and (not loose or any(c != data.text_field for c in found)):
                return found
    return []


def _items_as_columns(what: str, columns: list[str]) -> list[str]:
    """The columns a list of items names, one each ("the owner names and the free-text vet notes"), or [] where an
    item names no column, or says more than a column's name and words like "the", "names" or "notes"."""
    items = [i for i in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+", what.strip()) if i.strip()]
    found: list[str] = []
    for item in items:
        words = [w.lower() for w in re.findall(r"[\w'-]+", item)]
        best = [c for c in columns if names_column(c, words)]
        most = max((_parts(c) for c in best), default=0)  # ("vet notes": vet_notes, not vet)
        best = [c for c in best if _parts(c) == most]
        if len(best) != 1:
            return []
        rest = [w for w in words if not _part_of(w, best[0])]
        if any(w not in _COLUMN_ISH for w in rest):  # ("emails in the guest comments": a job inside the column)
            return []
        found.append(best[0])
    return list(dict.fromkeys(found))


def _stem(word: str) -> str:
    word = word.removesuffix("'s").strip("'")
    return word[:-3] + "y" if word.endswith("ies") else word.rstrip("s") if len(word) > 3 else word


def names_column(column: str, words: list[str]) -> bool:
    """Every part of the column's name is one of the words ("staff member's name" names staff_member)."""
    stems = {_stem(w) for w in words} | {_stem(p) for w in words for p in w.split("-")}
    return all(_stem(p) in stems for p in re.split(r"[_\W]+", column.lower()) if p)


def _parts(column: str) -> int:
    return len([p for p in re.split(r"[_\W]+", column) if p])


def _part_of(word: str, column: str) -> bool:
    parts = {_stem(p) for p in re.split(r"[_\W]+", column.lower()) if p}
    return _stem(word) in parts or all(_stem(p) in parts for p in word.split("-"))
