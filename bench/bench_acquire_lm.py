"""Throughput of the acquisition readers, token counting, perplexity and rule-based augmentation, on real
input: the python3-doc HTML tree (Debian), a WARC built from it with warcio, and its extracted texts.

Reported (one process, CPU, after a warm-up; load from other processes on the machine is not controlled):
  crawl discovery (pages/s), HTML extraction (pages/s, MB/s), WARC read (records/s),
  token_count (tokens/s), perplexity_filter (rows/s and tokens/s per batch size, threads=1),
  random_edit and synonym_substitute (rows/s).

    python bench/bench_acquire_lm.py [--pages 120] [--ppl-rows 48]
    pytest -m bench bench/bench_acquire_lm.py
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

DOC = Path("/usr/share/doc/python3-doc/html")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(pages: int = 120, ppl_rows: int = 48) -> dict:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tilth.ops import build

    res: dict = {}
    crawler = build("read_crawl", {"path": str(DOC / "index.html"), "max_depth": 10})
    found, s = timed(crawler.crawl)
    res["crawl_pages"], res["crawl_pages_per_s"] = len(found), round(len(found) / s, 1)

    paths = [p for p, _ in found[:pages]]
    reader = build("read_crawl", {"path": str(DOC / "index.html"), "max_depth": 10, "batch_size": pages})
    mb = sum(Path(p).stat().st_size for p in paths) / 1e6
    (table,), s = timed(lambda: list(reader.read(reader.shards()[0])))
    res["extract_pages"], res["extract_pages_per_s"], res["extract_mb_per_s"] = table.num_rows, round(table.num_rows / s, 1), round(mb / s, 2)

    with tempfile.TemporaryDirectory() as d:
        buf = io.BytesIO()
        w = WARCWriter(buf, gzip=True)
        for p in paths:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record("https://docs.python.org/3/" + p, "response",
                                               payload=io.BytesIO(Path(p).read_bytes()), http_headers=http))
        (Path(d) / "a.warc.gz").write_bytes(buf.getvalue())
        warc = build("read_warc", {"path": d, "batch_size": 10_000})
        tables, s = timed(lambda: [t for t in warc.read(warc.shards()[0]) if isinstance(t, pa.Table)])
        res["warc_records_per_s"] = round(sum(t.num_rows for t in tables) / s, 1)

    texts = [t for t in table.column("text").to_pylist() if t]
    tc = build("token_count", {})
    tc.ensure_ready()
    counts, s = timed(lambda: tc.count(texts))
    res["token_count_tokens"], res["token_count_tokens_per_s"] = int(counts.sum()), round(counts.sum() / s)

    paras = [p for t in texts for p in t.split("\n") if len(p.split()) >= 20][:ppl_rows]
    for bs in (1, 8):
        op = build("perplexity_filter", {"batch_size": bs, "max_tokens": 256, "threads": 1})
        op.ensure_ready()
        op.perplexities(paras[:2])  # warm-up
        ppl, s = timed(lambda op=op: op.perplexities(paras))
        n_tok = int(np.minimum(tc.count(paras), 256).sum())
        res[f"perplexity_bs{bs}_rows_per_s"] = round(len(paras) / s, 2)
        res[f"perplexity_bs{bs}_tokens_per_s"] = round(n_tok / s)
    res["perplexity_median"] = round(float(np.nanmedian(ppl)), 2)

    batch = pa.table({"_id": pa.array(np.arange(len(texts)), pa.int64()), "text": texts})
    for name in ("random_edit", "synonym_substitute"):
        op = build(name, {})
        op.ensure_ready()
        new, s = timed(lambda op=op: op.generate(batch))
        res[f"{name}_rows_per_s"] = round(batch.num_rows / s, 1)
    return res


@pytest.mark.bench
def test_bench_acquire_lm():
    if not (DOC / "index.html").exists():
        pytest.skip("needs Debian's python3-doc")
    res = run()
    print(json.dumps(res, indent=1))
    assert res["extract_pages"] > 0 and res["token_count_tokens"] > 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=120)
    ap.add_argument("--ppl-rows", type=int, default=48)
    a = ap.parse_args()
    print(json.dumps(run(a.pages, a.ppl_rows), indent=1))
