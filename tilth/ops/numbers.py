"""Numbers from a column however it stores them: a CSV's "5" is 5, its "five" or "" is no number.

Shared by every operator that compares a column with a bound (value_filter, where_column selection), so a
text column with a stray word never ends a run and means the same rows everywhere.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# one number as text, spaces around; an amount of money as people write it too: a currency sign or code before
# or after it, and commas between groups of three digits ("$1,200.50", "120 EUR"; "1,5" is no number here)
_CURRENCY = r"(?:[$€£¥]|(?i:usd|eur|gbp|chf|jpy))"
NUMBER = (rf"^\s*[-+]?{_CURRENCY}?\s*(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d*)?|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*"
          rf"{_CURRENCY}?\s*$")
_NOT_DIGITS = rf"\s|,|{_CURRENCY}"  # what a number keeps out of its value


def as_numbers(col) -> tuple[np.ndarray, np.ndarray]:
    """The column as float64 (NaN where it holds no number) and a mask of values present but not numbers:
    a CSV's "5" compares as 5, its "five" or "" cannot be compared and must not end the run."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        ok = pc.fill_null(pc.match_substring_regex(col, NUMBER), False)
        clean = pc.if_else(ok, pc.replace_substring_regex(col, _NOT_DIGITS, ""), pa.scalar(None, col.type))
        num = pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False)
        return num, (~ok.to_numpy(zero_copy_only=False)) & ~col.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type) \
            or pa.types.is_decimal(col.type) or pa.types.is_null(col.type):
        num = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        return num, np.zeros(len(num), dtype=bool)
    n = len(col)  # lists, structs, binary: no number to compare
    return np.full(n, np.nan), ~col.is_null().to_numpy(zero_copy_only=False)


def as_number(v) -> float | None:
    """One value as as_numbers reads it ("$120.00" is 120.0), or None where it holds no number."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and re.match(NUMBER, v):
        return float(re.sub(_NOT_DIGITS, "", v))
    return None


def looks_numeric(v) -> bool:
    """One sample value is a number, or text that as_numbers reads as one."""
    return as_number(v) is not None


def one_of(col, values: list) -> np.ndarray:
    """Rows whose value is one of `values`; numbers match numbers however the column stores them ("4" is 4)."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        num, _ = as_numbers(col)
        return np.isin(num, np.asarray(values, dtype=float))
    try:
        return pc.is_in(col, value_set=pa.array(values, type=col.type)).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):  # labels against other types
        text = pc.cast(col, pa.string()) if not pa.types.is_nested(col.type) else pa.nulls(len(col), pa.string())
        return pc.is_in(text, value_set=pa.array([str(v) for v in values])).to_numpy(zero_copy_only=False)
