"""The partitioned global phases: connected components by rounds over partitions equal the in-memory
union-find; the stages give the same drops inline and on worker processes; drops land per part."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dedup_helpers import corpus, run_dedup, write_signatures
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.local import LocalExecutor
from tilth.ops.process import dedup_layout
from tilth.ops.process.dedup_bands import _shared_buckets
from tilth.ops.process.dedup_components import partitioned_components
from tilth.ops.process.dedup_unionfind import components
from tilth.ops.process.exact_dedup import ExactDedup
from tilth.ops.process.minhash_dedup import MinHashDedup

edges = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=80)


@settings(max_examples=100, deadline=None)
@given(edges, st.integers(1, 5))
def test_partitioned_components_equal_union_find(pairs, n):
    u = np.array([p[0] for p in pairs], np.int64)
    v = np.array([p[1] for p in pairs], np.int64)
    nodes, roots = components(u, v)
    pnodes, proots = partitioned_components(u, v, n)
    assert pnodes.tolist() == nodes.tolist()
    assert proots.tolist() == roots.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 2, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15]),
                          st.integers(0, 10**6)), max_size=60))
def test_shared_buckets_are_the_rows_of_every_bucket_of_two_or_more(rows):
    """The bucket prefilter (one sort of a mixed 64-bit key) keeps every row that a full three-key sort
    puts in a group of two or more, in that sort's order, even where two (band, bucket)s share a key
    (bucket 0x9E37... in band 1 mixes to bucket 0 in band 0); only such collisions keep a lone row."""
    band = np.array([r[0] for r in rows], np.int32)
    bkt = np.array([r[1] for r in rows], np.uint64)
    node = np.array([r[2] for r in rows], np.int64)
    order = np.lexsort((node, bkt, band))
    keys = list(zip(band[order].tolist(), bkt[order].tolist(), strict=True))
    counts = {k: keys.count(k) for k in keys}
    want = [(b, k, n) for (b, k), n in zip(keys, node[order].tolist(), strict=True) if counts[(b, k)] > 1]
    got = list(zip(*(a.tolist() for a in _shared_buckets(band, bkt, node)), strict=True))
    assert got == sorted(got)
    shared = [g for g in got if sum(h[:2] == g[:2] for h in got) > 1]
    assert shared == want  # (a row alone in its bucket may stay, where its key collides: it makes no pair)
    mixed = [(b * 0x9E3779B97F4A7C15 % 2**64) ^ k for b, k, _ in rows]
    lone = [g for g in got if g not in shared]
    assert all(mixed.count((g[0] * 0x9E3779B97F4A7C15 % 2**64) ^ g[1]) > 1 for g in lone)


def test_long_chain_and_large_node_ids_collapse_to_the_smallest():
    base = np.int64(7) << np.int64(32)  # nodes as the dedup encodes them: file << 32 | row
    u = base + np.arange(3000, dtype=np.int64)
    nodes, roots = partitioned_components(u[::-1], u[::-1] + 1, 3)
    assert nodes.size == 3001 and (roots == base).all()


def _texts(n: int = 600) -> list[str]:
    docs = corpus.sample_documents(n, seed=11)
    docs, _ = corpus.plant_near_duplicates(docs, n // 3, seed=12)
    return [d["text"] for d in docs] + [docs[0]["text"]] * 20  # one bucket over 16 rows: star + chain


@pytest.fixture(scope="module")
def workers():
    with LocalExecutor(workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def texts():
    return _texts()


@pytest.mark.parametrize("op", [MinHashDedup(), MinHashDedup(verify="none"), ExactDedup()], ids=["minhash", "none", "exact"])
def test_worker_processes_give_the_inline_drops(op, texts, workers, tmp_path, monkeypatch):
    """Inline with one hash partition, then on two worker processes with four: the same drops."""
    inline, _ = run_dedup(op, texts, part_size=150)
    assert inline.num_rows > 20
    files = write_signatures(op, texts, tmp_path, part_size=150)
    monkeypatch.setattr(dedup_layout, "ROWS_PER_PARTITION", len(texts) // 4)
    drops_dir = op.drops(files, str(tmp_path), workers)
    assert dedup_layout.load_layout(str(tmp_path / "_global" / "layout.json")).partitions == 4
    parts = sorted(p.name for p in drops_dir.iterdir())
    got = pa.concat_tables([pq.read_table(f) for f in sorted(drops_dir.glob("*/*.parquet"))])
    for part in parts:  # every part's folder holds only that part's drops
        assert set(pq.read_table(drops_dir / part).column("_part").to_pylist()) == {part}
    key = [("_id", "ascending")]
    assert got.sort_by(key).to_pylist() == inline.sort_by(key).to_pylist()


def _pid(_item) -> int:
    import os

    return os.getpid()


def test_a_lone_stage_task_runs_in_a_worker_not_the_driver(workers):
    """Bug: a one-partition stage ran inline, so the driver held the whole partition (1 GB at 400k docs)."""
    import os

    from tilth.exec.stage import run_stage

    assert run_stage(workers, _pid, [0]) != [os.getpid()]


def test_stages_are_removed_once_the_drops_are_written(texts, tmp_path):
    files = write_signatures(MinHashDedup(), texts[:200], tmp_path, part_size=50)
    drops = MinHashDedup().drops(files, str(tmp_path))
    assert drops.is_dir() and not (tmp_path / "_global" / "stages").exists()


@pytest.mark.parametrize("op", [MinHashDedup(), ExactDedup()], ids=["minhash", "exact"])
def test_no_duplicates_still_gives_a_drops_folder(op, tmp_path):
    """Bug: with nothing to drop no folder was written, and every apply task failed (FileNotFoundError)."""
    files = write_signatures(op, ["alpha beta gamma delta epsilon", "one two three four five six"], tmp_path)
    drops = op.drops(files, str(tmp_path))
    assert drops.is_dir() and not list(drops.iterdir())
