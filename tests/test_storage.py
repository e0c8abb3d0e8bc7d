"""Workspace catalog, dataset versions as views, and stable ids."""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilth.storage import Workspace
from tilth.storage.ids import derived_ids, row_ids
from tilth.storage.parts import list_parts, write_part


def test_row_ids_are_stable_positive_and_unique_per_source():
    a = row_ids("dir/a.jsonl", 0, 1000)
    assert a.dtype == np.int64 and (a >= 0).all()
    assert len(np.unique(a)) == 1000
    # the same record always gets the same id, whatever range it is computed in
    assert (row_ids("dir/a.jsonl", 500, 10) == a[500:510]).all()
    # another source gives other ids
    assert not np.intersect1d(a, row_ids("dir/b.jsonl", 0, 1000)).size


@given(st.lists(st.integers(min_value=0, max_value=2**62), min_size=1, max_size=200, unique=True),
       st.integers(min_value=0, max_value=1000))
def test_derived_ids_are_deterministic_and_injective_per_salt(parents, salt):
    p = np.array(parents, dtype=np.int64)
    d1, d2 = derived_ids(p, salt), derived_ids(p, salt)
    assert (d1 == d2).all() and (d1 >= 0).all()
    assert len(np.unique(d1)) == len(parents)


def test_versions_are_views_and_survive_moving_the_workspace(tmp_path):
    ws = Workspace(tmp_path / "ws")
    for version, n in ((1, 3), (2, 5)):
        d = ws.root / "data" / f"v{version}"
        write_part(pa.table({"_id": list(range(n)), "x": ["a"] * n}), d / "p0.parquet")
        with ws.connect() as con:
            v = ws.register_version(con, "toy", d)
        assert v.version == version and v.rows == n
    assert ws.sql("SELECT count(*) AS n FROM toy").column("n")[0].as_py() == 5
    assert ws.sql("SELECT count(*) AS n FROM toy_v1").column("n")[0].as_py() == 3
    assert ws.version("toy", 1).rows == 3
    # registering the same directory again does not create a new version
    with ws.connect() as con:
        assert ws.register_version(con, "toy", ws.root / "data" / "v2").version == 2
    moved = shutil.move(str(ws.root), str(tmp_path / "moved"))
    ws2 = Workspace(moved)
    assert ws2.sql("SELECT count(*) AS n FROM toy_v1").column("n")[0].as_py() == 3
    assert ws2.read("toy").num_rows == 5
    assert [b.num_rows for b in ws2.iter_batches("toy", batch_size=2)] == [2, 2, 1]


def test_unknown_dataset_error_lists_known_ones(tmp_path):
    ws = Workspace(tmp_path)
    d = tmp_path / "d"
    write_part(pa.table({"_id": [1]}), d / "p.parquet")
    with ws.connect() as con:
        ws.register_version(con, "known", d)
    with pytest.raises(KeyError, match="known"):
        ws.version("nope")


def test_read_only_workspace_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Tilth workspace"):
        Workspace(tmp_path / "missing", read_only=True)


def test_parts_are_atomic_and_listed_in_name_order(tmp_path):
    write_part(pa.table({"a": [1]}), tmp_path / "b.parquet")
    write_part(pa.table({"a": [2]}), tmp_path / "a.parquet")
    (tmp_path / ".c.parquet.tmp-1").write_bytes(b"partial")  # what a killed writer leaves
    assert [p.name for p in list_parts(tmp_path)] == ["a.parquet", "b.parquet"]


def test_write_table_adds_versions(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.write_table("gen", pa.table({"_id": [1, 2]})).version == 1
    v2 = ws.write_table("gen", pa.table({"_id": [3]}))
    assert (v2.version, v2.rows) == (2, 1)
    assert ws.read("gen").column("_id").to_pylist() == [3] and ws.read("gen", 1).num_rows == 2


def test_opening_waits_for_a_process_that_lets_go_soon(tmp_path, monkeypatch):
    """A reader holding the database for a moment (`tilth sql`, `tilth ui`) must not fail a run that reopens
    it after a step: the open waits up to $TILTH_BUSY_WAIT seconds, then says the workspace is busy."""
    import subprocess
    import sys
    import time

    from tilth.storage.workspace import WorkspaceBusy

    Workspace(tmp_path / "ws")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(float(sys.argv[2]))",
                               str(tmp_path / "ws" / "tilth.duckdb"), "1.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("TILTH_BUSY_WAIT", "0.2")
        t0 = time.monotonic()
        with pytest.raises(WorkspaceBusy):
            Workspace(tmp_path / "ws", read_only=True).sql("SELECT 1")
        assert 0.1 < time.monotonic() - t0 < 1.0  # it waited (about 0.2 s, by the clock's and the loop's steps)
        monkeypatch.setenv("TILTH_BUSY_WAIT", "30")
        assert Workspace(tmp_path / "ws", read_only=True).sql("SELECT 42 AS x").to_pylist() == [{"x": 42}]
    finally:
        holder.kill()
        holder.wait()
