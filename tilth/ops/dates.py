"""Dates from a column however it stores them (a JSON reader's timestamps, Parquet dates, ISO text), and
date bounds written as ISO text, so "keep pages crawled before 2026-11-05" compares instants, not strings.

A bound that is a date alone covers that whole day: max "2026-11-04" keeps 2026-11-04 23:59. Times with a
zone are compared in UTC; times without one as written.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY_US = 86_400_000_000


def parse_date(text: str) -> dt.datetime:
    """An ISO 8601 date or date-time ("2026-11-05", "2026-11-05T10:00", "2026-11-05 10:00:00+01:00", "...Z")."""
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def is_date_only(text: str) -> bool:
    return len(text.strip()) == 10


def bound_us(text: str, upper: bool) -> int:
    """Microseconds since the epoch that a bound allows up to (exclusive for an upper date-only bound: the next
    midnight) or from (inclusive)."""
    us = int((parse_date(text) - dt.datetime(1970, 1, 1)) / dt.timedelta(microseconds=1))
    return us + DAY_US if upper and is_date_only(text) else us


def as_datetimes(col) -> tuple[np.ndarray, np.ndarray]:
    """The column as int64 microseconds since the epoch (0 where none) and a mask of values present but not
    dates ("soon", "", a number): they cannot be compared and must not end the run."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(col)
    present = ~col.is_null().to_numpy(zero_copy_only=False)
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        # a zoned timestamp's values are UTC instants already; the cast keeps them
        target = pa.timestamp("us", tz=t.tz) if pa.types.is_timestamp(t) else pa.timestamp("us")
        us = pc.cast(col, target).cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return us.astype(np.int64), np.zeros(n, dtype=bool)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        try:  # ISO text with one layout in every row: Arrow parses it in one pass
            us = pc.cast(pc.utf8_trim_whitespace(col), pa.timestamp("us")).cast(pa.int64())
            return us.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64), np.zeros(n, dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        out, bad = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        for i, v in enumerate(col.to_pylist()):  # mixed layouts, zones or junk: one value at a time
            if v is None:
                continue
            try:
                out[i] = int((parse_date(v) - dt.datetime(1970, 1, 1)) / dt.timedelta(microseconds=1))
            except (ValueError, OverflowError):
                bad[i] = True
        return out, bad
    return np.zeros(n, dtype=np.int64), present  # numbers, lists, binary: no date to compare


def looks_like_date(v) -> bool:
    """One sample value is a date: a date/datetime object, or text that parse_date reads."""
    if isinstance(v, (dt.date, dt.datetime)):
        return True
    if not isinstance(v, str) or not 8 <= len(v.strip()) <= 40 or not v.strip()[:4].isdigit():
        return False
    try:
        parse_date(v)
    except ValueError:
        return False
    return True
