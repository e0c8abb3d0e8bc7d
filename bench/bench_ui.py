"""`tilth ui` dataset pages on a 1,000,000-row dataset: each page must come back in under 300 ms (issue #16).

The dataset is 1M rows of real text (documents from this machine, `tilth.corpora`, cut to 400 characters and
cycled, each row with its own `_id`) in 8 Parquet parts of 125k rows, registered as a workspace dataset like
a run's output. Pages are fetched through the HTTP API (FastAPI TestClient: routing, DuckDB, JSON), 50 rows
each, at the start, the middle, the end and 30 random offsets; first the unfiltered pages the browser shows
by default, then the same with a column filter (which scans, so it is reported but not held to 300 ms).
Run: `./tilth.sh bench -k ui` (or `python bench/bench_ui.py`); results in bench/results/ui.json.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

ROWS, PARTS, PAGE = 1_000_000, 8, 50
TARGET_MS = 300


def build(root: Path) -> Path:
    from tilth.corpora import sample_documents
    from tilth.storage import Workspace
    from tilth.storage.parts import write_part

    docs = sample_documents(4000, seed=0)
    texts = pa.array([d["text"][:400] for d in docs])
    sources = pa.array([d["source"] for d in docs])
    ws = Workspace(root / "ws")
    per = ROWS // PARTS
    directory = root / "ws" / "tables" / "big" / "v1"
    rng = np.random.default_rng(0)
    for p in range(PARTS):
        idx = pa.array(np.arange(p * per, (p + 1) * per) % len(docs))
        write_part(pa.table({"_id": pa.array(rng.integers(0, 2**62, per)), "text": texts.take(idx),
                             "source": sources.take(idx), "n_words": pa.array(rng.integers(20, 400, per))}),
                   directory / f"part-{p:05d}.parquet")
    with ws.connect() as con:
        ws.register_version(con, "big", directory)
    return root / "ws"


def measure(ws: Path) -> dict:
    from fastapi.testclient import TestClient

    from tilth.ui.app import create_app

    client = TestClient(create_app(ws))
    last = ROWS // PAGE
    rng = random.Random(0)
    pages = [1, last // 2, last] + [rng.randint(1, last) for _ in range(30)]

    def timed(query: str, pages: list[int] = pages) -> list[float]:
        out = []
        for page in pages:
            t0 = time.perf_counter()
            r = client.get(f"/api/datasets/big/rows?page={page}&size={PAGE}{query}")
            out.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and len(r.json()["rows"]) == PAGE, r.text[:300]
        return out

    timed("")  # warm-up: first open of the database and the Parquet footers
    plain = timed("")
    html = []
    for page in pages[:10]:
        t0 = time.perf_counter()
        assert client.get(f"/datasets/big?page={page}").status_code == 200
        html.append((time.perf_counter() - t0) * 1000)
    filtered = timed("&f:n_words=%3E%3D100", [max(1, p * 3 // 4) for p in pages[:10]])  # ~79% of rows match

    def summary(ms: list[float]) -> dict:
        return {"median_ms": round(statistics.median(ms), 1), "max_ms": round(max(ms), 1), "pages": len(ms)}

    return {"rows": ROWS, "page_size": PAGE, "api_page": summary(plain), "html_page": summary(html),
            "filtered_api_page": summary(filtered)}


@pytest.mark.bench
def test_a_million_row_dataset_pages_under_300_ms():
    with tempfile.TemporaryDirectory(prefix="tilth-bench-ui-") as tmp:
        t0 = time.perf_counter()
        ws = build(Path(tmp))
        built = time.perf_counter() - t0
        res = measure(ws)
    res["build_s"] = round(built, 1)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ui.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    # every API page (what the browser's paging costs the server) under the target; the HTML page, which
    # adds the template, on median (one slow page on a shared 2-core machine is the machine, not the page)
    assert res["api_page"]["max_ms"] < TARGET_MS and res["html_page"]["median_ms"] < TARGET_MS


if __name__ == "__main__":
    test_a_million_row_dataset_pages_under_300_ms()
