"""The exact-verification keys of minhash_dedup: one blob of uint32 per row (shingle tails in text
order, repeats kept), and the vectorised set Jaccard over pairs of such blobs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tilth.ops.process.minhash_dedup import MinHashDedup, _set_jaccard


def _blobs(rows: list[np.ndarray], large: bool) -> pa.Array:
    return pa.array([r.astype("<u4").tobytes() for r in rows], pa.large_binary() if large else pa.binary())


def test_set_jaccard_matches_python_sets():
    rng = np.random.default_rng(0)
    a = [rng.integers(0, 50, rng.integers(0, 40)).astype(np.uint32) for _ in range(300)]
    b = [np.r_[x[: rng.integers(0, x.size + 1)], rng.integers(0, 50, rng.integers(0, 10))].astype(np.uint32)
         for x in a]
    a[0] = np.array([2**32 - 1, 0, 2**32 - 1], np.uint32)  # extreme values and repeats
    b[0] = np.array([0, 2**32 - 1], np.uint32)
    expect = [len(set(x.tolist()) & set(y.tolist())) / max(len(set(x.tolist()) | set(y.tolist())), 1)
              for x, y in zip(a, b, strict=True)]
    for large in (False, True):
        got = _set_jaccard(_blobs(a, large), _blobs(b, large))
        assert np.allclose(got, expect, rtol=0, atol=1e-15)
        assert np.array_equal(_set_jaccard(_blobs(a, large), _blobs(b, large), block=16), got)  # in blocks
        # a slice (non-zero array offset, offsets not starting at 0) reads the same rows
        got = _set_jaccard(_blobs(a, large).slice(7, 50), _blobs(b, large).slice(7, 50))
        assert np.allclose(got, expect[7:57], rtol=0, atol=1e-15)


def test_signature_keys_are_the_shingle_tails_of_each_row():
    from tilth.ops.process.dedup_shingles import shingle_hashes

    text = pa.array(["the quick brown fox jumps over the lazy dog the quick brown fox jumps", None, "",
                     "short one", "x " * 30])
    sig = MinHashDedup(verify="exact").signature(pa.table({"text": text}))
    sh, doc = shingle_hashes(pa.array([t or "" for t in text.to_pylist()]))
    for i, blob in enumerate(sig.column("sig").to_pylist()):
        tails = np.frombuffer(blob, "<u4")
        assert tails.tolist() == (sh[doc == i] >> np.uint64(32)).astype(np.uint32).tolist()
    assert sig.column("bands").null_count == 2  # the null and the empty text have no shingle


def test_signature_rows_outside_any_run_get_empty_keys():
    """Trailing chunks of empty strings (or an all-empty batch) yield no run of shingles: their rows still
    get a null band list and an empty key blob."""
    big = " ".join(f"w{i}" for i in range(60_000))  # > 256 KB: a run of its own
    for chunks, valid in (([["", big], ["", ""]], [False, True, False, False]), ([["", ""]], [False, False])):
        sig = MinHashDedup(verify="exact").signature(pa.table({"text": pa.chunked_array(chunks)}))
        assert sig.num_rows == len(valid)
        assert sig.column("bands").is_valid().to_pylist() == valid
        assert [len(b) for b in sig.column("sig").to_pylist()] == [4 * (60_000 - 4) * v for v in valid]
