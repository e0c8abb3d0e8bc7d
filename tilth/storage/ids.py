"""Stable row ids.

An `_id` is a 63-bit hash of (source file relative path, record number). It is computed once at ingest and
never rewritten, so it survives re-runs, resumes and reordering of the input folder. splitmix64 is a
bijection, so two records of one file never collide; across files a collision is a 2^-63 event per pair,
and ingest checks for it anyway.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK63 = np.uint64((1 << 63) - 1)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def source_seed(source: str) -> np.uint64:
    """64-bit seed for one source (a file's path relative to the input root)."""
    return np.uint64(int.from_bytes(hashlib.blake2b(source.encode(), digest_size=8).digest(), "little"))


def row_ids(source: str, first_record: int, count: int) -> np.ndarray:
    """Ids for records first_record .. first_record+count-1 of `source`, as int64."""
    seed = _splitmix64(np.array([source_seed(source)], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        x = np.arange(first_record, first_record + count, dtype=np.uint64) + seed
    return (_splitmix64(x) & _MASK63).astype(np.int64)


def derived_ids(parent_ids: np.ndarray, salt: int) -> np.ndarray:
    """Ids for rows generated from parents (augmentation, synthesis): stable per (parent, salt)."""
    with np.errstate(over="ignore"):
        x = parent_ids.astype(np.uint64) * np.uint64(0x100000001B3) + np.uint64(salt)
    return (_splitmix64(x) & _MASK63).astype(np.int64)
