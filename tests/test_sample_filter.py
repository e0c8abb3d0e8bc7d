"""sample_filter: a seeded random share of the rows, the same on every rerun and on any split into parts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.tasks import apply_filter
from tilth.ops import build
from tilth.ops.base import OperatorParamError
from tilth.ops.process.sample_filter import draws


def table(ids):
    return pa.table({"_id": pa.array(ids, pa.int64()), "text": [f"row {i}" for i in ids]})


def test_the_share_kept_and_its_reason():
    ids = np.random.default_rng(0).integers(-2**62, 2**62, 20_000)
    kept, lineage = apply_filter(build("sample_filter", {"fraction": 0.25, "seed": 3}), table(ids))
    u = draws(ids.astype(np.int64), 3)
    assert kept.num_rows == int((u < 0.25).sum()) and abs(kept.num_rows / 20_000 - 0.25) < 0.015
    assert set(lineage.column("reason").to_pylist()) == {"not in the 0.25 sample (seed 3)"}
    assert kept.num_rows + lineage.num_rows == 20_000


def test_parts_reruns_and_seeds():
    ids = np.arange(5_000)
    op = build("sample_filter", {"fraction": 0.5})
    whole = apply_filter(op, table(ids))[0].column("_id").to_pylist()
    halves = apply_filter(op, table(ids[:2_500]))[0].column("_id").to_pylist() + \
        apply_filter(op, table(ids[2_500:]))[0].column("_id").to_pylist()
    assert whole == halves  # a row's draw is its own, not its part's
    other = apply_filter(build("sample_filter", {"fraction": 0.5, "seed": 1}), table(ids))[0].column("_id").to_pylist()
    assert other != whole and 0.4 < len(set(other) & set(whole)) / len(whole) < 0.6  # another seed, another sample
    assert apply_filter(build("sample_filter", {"fraction": 1.0}), table(ids))[0].num_rows == 5_000
    with pytest.raises(OperatorParamError):
        build("sample_filter", {"fraction": 0})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-2**62, 2**62), unique=True, max_size=300), st.floats(0.01, 1.0), st.integers(0, 99))
def test_sampling_again_with_the_same_seed_keeps_every_row_and_never_adds(ids, fraction, seed):
    op = build("sample_filter", {"fraction": fraction, "seed": seed})
    once = apply_filter(op, table(ids))[0]
    twice = apply_filter(op, once.select(["_id", "text"]))[0]
    assert once.num_rows <= len(ids) and twice.column("_id").to_pylist() == once.column("_id").to_pylist()
