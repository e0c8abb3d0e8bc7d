"""Tidy label columns so that each label has one spelling: ' Cat ', 'cat' and 'CAT' become 'cat'."""

from __future__ import annotations

import unicodedata
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Mapper, Params
from tilth.ops.registry import register


def tidy_label(value: str | None, case: str = "lower") -> str | None:
    """One label as `normalize_labels` writes it (for values a later step compares with: "keep only the Central
    Station jobs" after tidying the station names)."""
    if value is None:
        return None
    v = " ".join(unicodedata.normalize("NFC", value).split())
    v = {"lower": v.lower(), "upper": v.upper(), "title": v.title()}.get(case, v)
    return v


class NormalizeLabelsParams(Params):
    columns: list[str] = Field(..., min_length=1, description="The label columns to tidy (short strings: a "
                                                              "category, a status, a reason).")
    case: Literal["lower", "upper", "title", "keep"] = Field(
        "lower", description="One case for every label ('keep': only spaces are tidied).")
    blank_to_null: bool = Field(True, description="An empty or all-space label becomes missing (null), so "
                                                  "'drop rows with no reason' drops it.")


@register
class NormalizeLabels(Mapper):
    name = "normalize_labels"
    category = "process"
    description = """Tidy label columns so each label has one spelling: trim and collapse spaces, one case
    (lower by default), empty labels missing. ' Cat ', 'cat' and 'CAT' are one label 'cat' afterwards, for
    counts per label and filters on it. Columns that are not strings are refused before the run."""
    examples = (
        "fix the capitalisation of the category labels",
        "trim stray spaces in the status column",
        "make the reason labels consistent",
        "normalise the label spellings so 'Cat' and ' cat ' are the same",
        "clean up the messy category values",
        "standardise the casing of the department names",
        "the product category column has inconsistent capitalisation",
        "lowercase the tags column",
        "unify label variants that differ only by case or spaces",
    )
    stage = 11  # before anything that counts, groups or filters by a label
    inputs = ("{columns}",)
    outputs = ("{columns}",)
    Params = NormalizeLabelsParams

    def input_columns(self) -> list[str]:
        return list(self.params.columns)

    def output_columns(self) -> list[str]:
        return list(self.params.columns)

    def check_sample(self, sample: pa.Table) -> list[str]:
        """A column of numbers, dates or booleans has no spelling to tidy."""
        out = []
        for c in self.params.columns:
            if c in sample.column_names and not (pa.types.is_string(sample.column(c).type)
                                                  or pa.types.is_large_string(sample.column(c).type)
                                                  or pa.types.is_null(sample.column(c).type)):
                out.append(f"{c!r} holds {sample.column(c).type}, not text labels: normalize_labels leaves nothing "
                           f"to tidy there; name a column of strings")
        return out

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        for c in p.columns:
            col = batch.column(c)
            if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
                continue  # (check_sample said so before the run; a part whose column is all null stays)
            t = pc.utf8_normalize(col, form="NFC")
            t = pc.replace_substring_regex(t, r"[\s\x{a0}]+", " ")
            t = pc.utf8_trim_whitespace(t)
            if p.case == "lower":
                t = pc.utf8_lower(t)
            elif p.case == "upper":
                t = pc.utf8_upper(t)
            elif p.case == "title":
                t = pc.utf8_title(t)
            if p.blank_to_null:
                t = pc.if_else(pc.equal(t, ""), pa.scalar(None, t.type), t)
            batch = batch.set_column(batch.column_names.index(c), c, t)
        return batch
