"""Shared helper for the filter tests: score texts with a Filter and apply its keep rule, no runner."""

from __future__ import annotations

import pyarrow as pa

from tilth.ops import build


def run_filter(op, texts: list[str]):
    """(scores table, keep list, reasons) of `op` on rows with `_id` 0..n-1 and `text`."""
    scores = pa.table(op.score(pa.table({"_id": list(range(len(texts))), "text": texts})))
    keep, reasons = op.keep(scores)
    return scores, list(keep), reasons


def decide(name: str, texts: list[str], **params):
    """`run_filter` on the registered operator `name` built with `params`."""
    return run_filter(build(name, params), texts)
