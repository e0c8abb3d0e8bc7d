"""In-process operator profile: throughput of Tilth's heuristic filters against datatrove's, on the same
real-text corpus.

Both sides call the filters directly (Tilth's `score` + `keep`, datatrove's `filter(doc)`) with reading
untimed, so this profiles the operators; what a user gets from `tilth run` against a datatrove pipeline,
end to end, is measured by bench/bench_e2e.py.

Each round runs, one after the other (interleaved, so background load hits both alike):
  1. datatrove: bench/dt_peer.py in .venv-bench, `filter(doc)` over every document, per filter;
  2. Tilth, one process: `score` + `keep` over Arrow batches of 1,000 documents, per filter.
Then once: Tilth pipeline, a one-step recipe per filter through the local multi-process executor.
Reported per filter: docs/s (wall) and docs per CPU-second (process CPU time, robust when other jobs share
the cores) on both sides, the median Tilth / datatrove ratio over rounds, and the peak RSS of each
process. Reading the corpus is not timed on either side.

    python bench/bench_filters.py [--docs 4000] [--rounds 2] [--workers 2] [--filters fineweb ...]
    pytest -m bench bench/bench_filters.py
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from agreement_datatrove import PAIRS, build_corpus, peer_available, run_peer  # noqa: E402


def tilth_worker(corpus: str, batch: int = 1000, names: list[str] | None = None) -> dict:
    """Runs in its own process (so peak RSS is Tilth's alone): seconds per filter over all documents."""
    from tilth.ops import build

    texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
    batches = [pa.table({"text": texts[i:i + batch]}) for i in range(0, len(texts), batch)]
    seconds, cpu = {}, {}
    for dt_name, (op_name, params) in PAIRS.items():
        if names and dt_name not in names:
            continue
        op = build(op_name, params)
        op.keep(pa.table(op.score(batches[0].slice(0, 10))))  # warm-up (regex compilation), not timed
        t0, c0 = time.perf_counter(), time.process_time()
        for b in batches:
            op.keep(pa.table(op.score(b)))
        seconds[dt_name] = time.perf_counter() - t0
        cpu[dt_name] = time.process_time() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "docs": len(texts)}


def run_tilth(corpus: Path, names: list[str]) -> dict:
    r = subprocess.run([sys.executable, __file__, "--tilth-worker", str(corpus), "--filters", *names],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_pipeline(corpus: Path, work: Path, workers: int, tag: str, names: list[str]) -> dict:
    """docs/s of each filter as one step of a recipe run by the local executor with `workers` processes."""
    from tilth.pipeline import Recipe, run_recipe

    out = {}
    for dt_name, (op_name, params) in PAIRS.items():
        if dt_name not in names:
            continue
        recipe = Recipe.model_validate({
            "name": f"b_{dt_name}_{tag}", "input": {"path": str(corpus), "text": "text", "batch_size": 1000},
            "steps": [{op_name: params}], "workers": workers})
        res = run_recipe(recipe, work / f"ws_{tag}", executor="local", progress=False)
        step = res.steps[-1]
        out[dt_name] = {"seconds": step.seconds, "rows_in": step.rows_in}
    return out


def bench(n_docs: int = 4000, rounds: int = 2, workers: int = 2, seed: int = 2, names: list[str] | None = None) -> dict:
    names = list(names or PAIRS)
    work = Path(tempfile.mkdtemp(prefix="tilth-bench-filters-"))
    corpus = work / "corpus.jsonl"
    docs = build_corpus(corpus, n_docs, seed)
    n = len(docs)
    rows = []
    for _ in range(rounds):
        rows.append({"peer": run_peer(corpus, work / "dt.jsonl", names), "tilth": run_tilth(corpus, names)})
    pipe = run_pipeline(corpus, work, workers, "p", names) if workers else None
    report = {"docs": n, "chars": sum(len(d["text"]) for d in docs), "rounds": rounds, "workers": workers,
              "filters": {}}
    for name in names:
        dt = [n / x["peer"]["seconds"][name] for x in rows]
        tl = [n / x["tilth"]["seconds"][name] for x in rows]
        dt_cpu = [n / x["peer"]["cpu_seconds"][name] for x in rows]
        tl_cpu = [n / x["tilth"]["cpu_seconds"][name] for x in rows]
        r = report["filters"][name] = {
            "datatrove_docs_s": dt, "tilth_docs_s": tl,
            "datatrove_docs_per_cpu_s": dt_cpu, "tilth_docs_per_cpu_s": tl_cpu,
            "ratio_wall": statistics.median(t / d for t, d in zip(tl, dt, strict=True)),
            "ratio_cpu": statistics.median(t / d for t, d in zip(tl_cpu, dt_cpu, strict=True)),
        }
        if pipe:
            r["tilth_pipeline_docs_s"] = pipe[name]["rows_in"] / pipe[name]["seconds"]
            r["ratio_pipeline_vs_datatrove_wall"] = r["tilth_pipeline_docs_s"] / statistics.median(dt)
    report["peak_rss_mb"] = {"datatrove": max(x["peer"]["peak_rss_mb"] for x in rows),
                             "tilth_single_process": max(x["tilth"]["peak_rss_mb"] for x in rows)}
    (work / "bench_filters.json").write_text(json.dumps(report, indent=1))
    report["out"] = str(work / "bench_filters.json")
    return report


@pytest.mark.bench
def test_filter_throughput_vs_datatrove():
    if not peer_available():
        pytest.skip("datatrove (with spaCy) is not installed in .venv-bench; run bench/peers.sh")
    report = bench()
    print(json.dumps(report, indent=1))
    for name, r in report["filters"].items():
        assert r["ratio_cpu"] > 0, name  # figures are reported; the >= 2x goal is read from them


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--tilth-worker", default=None)
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--filters", nargs="*", default=None, help=f"a subset of {list(PAIRS)} (default: all)")
    a = ap.parse_args()
    if a.tilth_worker:
        print(json.dumps(tilth_worker(a.tilth_worker, names=a.filters)))
    else:
        rep = bench(a.docs, a.rounds, a.workers, names=a.filters)
        for name, r in rep["filters"].items():
            print(f"{name:18s} docs/s wall: datatrove {statistics.median(r['datatrove_docs_s']):7.0f}  tilth "
                  f"{statistics.median(r['tilth_docs_s']):7.0f}  (x{r['ratio_wall']:.2f}) | docs per CPU-s: "
                  f"datatrove {statistics.median(r['datatrove_docs_per_cpu_s']):7.0f}  tilth "
                  f"{statistics.median(r['tilth_docs_per_cpu_s']):7.0f}  (x{r['ratio_cpu']:.2f})"
                  + (f" | pipeline {r['tilth_pipeline_docs_s']:6.0f} docs/s (x{r['ratio_pipeline_vs_datatrove_wall']:.2f})"
                     if "tilth_pipeline_docs_s" in r else ""))
        print("peak RSS MB:", rep["peak_rss_mb"], "| docs", rep["docs"], "chars", rep["chars"], "|", rep["out"])
