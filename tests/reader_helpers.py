"""Shared by the reader tests: read every shard of a reader into (one table, quarantined records)."""

from __future__ import annotations

import pyarrow as pa

from tilth.ops.base import Quarantined


def read_all(reader):
    tables, bad = [], []
    for shard in reader.shards():
        for item in reader.read(shard):
            (bad if isinstance(item, Quarantined) else tables).append(item)
    return pa.concat_tables(tables, promote_options="permissive") if tables else None, bad
