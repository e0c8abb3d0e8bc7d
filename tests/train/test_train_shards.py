"""Token shards: the files hold each document's tokens at the offset its `_id` row says, the windows are the
packed rows of the in-memory path, a run on shards is that run, and reading them keeps memory bounded."""

from __future__ import annotations

import json
import math

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from tilth.storage.workspace import Workspace
from tilth.train import synthetic
from tilth.train.data import DomainData, pack
from tilth.train.shards import TokenWindows, held_out, open_shards, write_shards
from tilth.train.tokenizer import ByteTokenizer
from tilth.train.trainer import TrainConfig, Trainer

TINY = {"n_layer": 1, "n_embd": 16, "n_head": 2}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("ws"))
    table = synthetic.documents(docs_per_domain=7, doc_chars=300)
    ids = pa.array([f"doc-{i:03d}" for i in range(len(table))])
    w.write_table("docs", table.append_column("_id", ids))
    return w


@pytest.fixture(scope="module")
def folder(ws):
    return write_shards(ws, "docs", ByteTokenizer(), "byte", heldout_fraction=0.2)


def test_held_out_takes_ceil_n_f_documents_at_least_one():
    for n, f in [(7, 0.2), (10, 0.1), (3, 0.1), (100, 0.25), (9, 0.5)]:
        assert sum(held_out(k, f) for k in range(n)) == math.ceil(n * f)


def test_index_points_every_id_at_its_tokens(ws, folder):
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["domains"] == ["arithmetic", "markov", "noise", "periodic"] and meta["dtype"] == "uint16"
    index = pq.read_table(folder / "index.parquet").to_pylist()
    docs = {r["_id"]: r for r in ws.read("docs").to_pylist()}
    assert sorted(r["_id"] for r in index) == sorted(docs)
    tok = ByteTokenizer()
    for r in index:
        d = meta["domains"].index(r["domain"])
        mm = np.memmap(folder / f"{d}.{r['split']}.bin", dtype=np.uint16, mode="r")
        got = mm[r["offset"]: r["offset"] + r["n_tokens"]]
        assert got.tolist() == [*tok.encode(docs[r["_id"]]["text"]).tolist(), tok.eos_id]
        assert r["domain"] == docs[r["_id"]]["domain"]
    held = [r for r in index if r["split"] == "heldout"]
    assert all(sum(r["domain"] == d for r in held) == math.ceil(7 * 0.2) for d in meta["domains"])


def test_windows_are_the_packed_rows_of_the_same_documents(ws, folder):
    data = open_shards(folder, seq_len=16)
    index = pq.read_table(folder / "index.parquet").to_pylist()
    docs = {r["_id"]: r["text"] for r in ws.read("docs").to_pylist()}
    tok = ByteTokenizer()
    for d, name in enumerate(data.domains):
        for split, rows in (("train", data.train[d]), ("heldout", data.heldout[d])):
            mine = [tok.encode(docs[r["_id"]]) for r in index if r["domain"] == name and r["split"] == split]
            packed = pack(mine, 16, tok.eos_id)
            assert torch.equal(rows[:], packed) and len(rows) == len(packed)
            pick = torch.tensor([len(packed) - 1, 0, 2])
            assert torch.equal(rows[pick], packed[pick])


def test_a_run_on_shards_is_the_run_on_the_same_rows_in_memory(ws, folder):
    cfg = dict(dataset="docs", model=TINY, seq_len=16, batch_size=8, steps=8, eval_every=4, eval_rows=4,
               warmup_steps=2, threads=1, heldout_fraction=0.2, mixer="odm", selector={"name": "rho"},
               reference={"steps": 2, "on": "heldout"})
    streamed = Trainer(TrainConfig(**cfg, shards=True), workspace=ws).run(log=False)
    shards = open_shards(folder, 16)
    memory = DomainData(shards.domains, [w[:] for w in shards.train], [w[:] for w in shards.heldout])
    loaded = Trainer(TrainConfig(**cfg), data=memory).run(log=False)
    assert [s["loss"] for s in streamed.steps] == [s["loss"] for s in loaded.steps]
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(streamed.evals, loaded.evals, strict=True))


def test_shards_are_written_once_per_dataset_version_and_settings(ws, folder):
    assert write_shards(ws, "docs", ByteTokenizer(), "byte", heldout_fraction=0.2) == folder
    other = write_shards(ws, "docs", ByteTokenizer(), "byte", heldout_fraction=0.5)
    assert other != folder and not list(folder.parent.glob(".*.tmp"))


def test_reading_every_window_keeps_memory_bounded(tmp_path):
    """64 MB of tokens read end to end: RSS grows by far less than the file (a memmap kept open grows
    by about the whole file, which the second half checks, so the bound is not vacuous)."""
    path = tmp_path / "big.bin"
    n_tokens = 32 << 20
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        for _ in range(8):
            f.write(rng.integers(0, 50_000, n_tokens // 8, dtype=np.uint16).tobytes())
    proc = psutil.Process()
    rows = TokenWindows(path, "uint16", seq_len=63)
    before = proc.memory_info().rss
    peak = before
    total = 0
    for start in range(0, len(rows), 4096):
        total += int(rows[start: start + 4096][:, 0].sum())
        peak = max(peak, proc.memory_info().rss)
    assert total > 0 and peak - before < 16 << 20
    kept = np.memmap(path, dtype=np.uint16, mode="r")
    before = proc.memory_info().rss
    assert int(kept[:: 2048].astype(np.int64).sum()) > 0  # touches every page
    assert proc.memory_info().rss - before > 48 << 20
