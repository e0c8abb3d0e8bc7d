"""In-process operator profile: MinHash dedup throughput of Tilth's operator vs datatrove, data-juicer and
datasketch on one real corpus.

Tilth's side calls the operator's `signature` / `duplicates` directly in one process (no runner, no CLI, no
workspace or report), so this profiles the operator; what a user gets from `tilth run` end to end is
measured by bench/bench_e2e.py.

Every tool runs as its own subprocess (Tilth from .venv, peers from .venv-bench built by bench/peers.sh),
single worker, same JSONL in, kept documents as JSONL out, same settings where a tool has them (5-word
shingles, lower-cased, 128 permutations, Jaccard 0.8; datatrove and Tilth 16 bands x 8 rows, data-juicer
and datasketch choose their bands from the threshold). Wall time and peak RSS (whole process tree, psutil
polling) are measured from outside; the tools run interleaved, round after round, so background load hits
all of them alike; the report gives medians and Tilth/peer ratios.

`python bench/bench_dedup.py run TOOL IN OUT` is the per-tool entry point (it imports only that tool).
`./tilth.sh bench` runs `test_minhash_throughput`; size with TILTH_BENCH_DEDUP_DOCS (default 20000) and
TILTH_BENCH_ROUNDS (default 3).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("tilth", "datasketch", "datatrove", "data-juicer")
NUM_PERM, NGRAM, THRESHOLD, BANDS, ROWS = 128, 5, 0.8, 16, 8


# -- per-tool runners (each imports only its own tool) -------------------------------------------------
def run_tilth(src: str, out: str) -> int:
    import duckdb
    import numpy as np
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    from tilth.ops.process.arrow_np import from_numpy, repeat_string, to_numpy
    from tilth.ops.process.minhash_dedup import MinHashDedup

    table = pj.read_json(src)
    op = MinHashDedup(threshold=THRESHOLD, ngram=NGRAM, num_perm=NUM_PERM, bands=BANDS, rows=ROWS)
    with tempfile.TemporaryDirectory() as work:
        files = []
        for k, lo in enumerate(range(0, table.num_rows, 10000)):
            part = table.slice(lo, 10000)
            sig = op.signature(part)
            sig = sig.add_column(0, "_id", from_numpy(np.arange(lo, lo + part.num_rows, dtype=np.int64)))
            # the same key columns as the runner's signature task (tilth.exec.tasks._signature_part)
            sig = sig.add_column(1, "_part", repeat_string(f"p{k:05d}", part.num_rows))
            sig = sig.add_column(2, "_row", from_numpy(np.arange(part.num_rows, dtype=np.int64)))
            files.append(f"{work}/p{k:05d}.parquet")
            pq.write_table(sig, files[-1])
        drop = to_numpy(op.duplicates(files, work).column("_id"))
    keep = np.ones(table.num_rows, dtype=bool)
    keep[drop] = False
    kept = table.filter(from_numpy(keep)).select(["text"])
    con = duckdb.connect()  # written as Tilth's exporter (tilth.pipeline.runner.export) writes JSONL
    con.execute("SET preserve_insertion_order = true")
    con.register("kept", kept)
    con.execute(f"COPY kept TO '{out}' (FORMAT json)")
    con.close()
    return kept.num_rows


def _shingles(text: str) -> list[bytes]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < NGRAM:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i : i + NGRAM]).encode() for i in range(len(words) - NGRAM + 1)]


def run_datasketch(src: str, out: str) -> int:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    kept = []
    for i, text in enumerate(_read(src)):
        sh = _shingles(text)
        if not sh:
            kept.append(text)
            continue
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(sh)
        if lsh.query(m):
            continue
        lsh.insert(i, m)
        kept.append(text)
    _write(out, kept)
    return len(kept)


def run_datatrove(src: str, out: str) -> int:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    cfg = MinhashConfig(n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS)
    with tempfile.TemporaryDirectory() as w:
        reader = JsonlReader(str(Path(src).parent), glob_pattern=Path(src).name)
        stages = [
            [reader, MinhashDedupSignature(output_folder=f"{w}/sigs", config=cfg)],
            [MinhashDedupBuckets(input_folder=f"{w}/sigs", output_folder=f"{w}/buckets", config=cfg)],
            [MinhashDedupCluster(input_folder=f"{w}/buckets", output_folder=f"{w}/ids", config=cfg)],
            [JsonlReader(str(Path(src).parent), glob_pattern=Path(src).name),
             MinhashDedupFilter(input_folder=f"{w}/ids"), JsonlWriter(f"{w}/out", compression=None)],
        ]
        for i, pipe in enumerate(stages):
            tasks = BANDS if i == 1 else 1  # buckets stage runs one task per bucket, as datatrove requires
            LocalPipelineExecutor(pipe, tasks=tasks, workers=1, logging_dir=f"{w}/logs{i}").run()
        texts = [json.loads(line)["text"] for f in sorted(Path(f"{w}/out").glob("*.jsonl")) for line in open(f)]
    _write(out, texts)
    return len(texts)


def run_data_juicer(src: str, out: str) -> int:
    import datasets
    from data_juicer.ops.deduplicator.document_minhash_deduplicator import DocumentMinhashDeduplicator

    datasets.disable_progress_bars()
    op = DocumentMinhashDeduplicator(tokenization="space", window_size=NGRAM, lowercase=True,
                                     num_permutations=NUM_PERM, jaccard_threshold=THRESHOLD, num_proc=1)
    ds = datasets.Dataset.from_json(src)
    kept = op.run(ds)
    texts = kept["text"]
    _write(out, texts)
    return len(texts)


def _read(path: str):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]


def _write(path: str, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")


RUNNERS = {"tilth": run_tilth, "datasketch": run_datasketch, "datatrove": run_datatrove,
           "data-juicer": run_data_juicer}


# -- harness (runs in .venv) ---------------------------------------------------------------------------
def python_for(tool: str) -> Path:
    return ROOT / (".venv" if tool == "tilth" else ".venv-bench") / "bin" / "python"


def run_env() -> tuple[dict, tempfile.TemporaryDirectory]:
    """The environment of one tool run, with a fresh Hugging Face datasets cache (clean it up after the
    run): data-juicer reads through `datasets`, which caches the parsed input and every map() result
    under a fingerprint of the input file, so from the second round on it would load the previous
    round's hashes instead of computing them."""
    cache = tempfile.TemporaryDirectory(prefix="tilth-bench-hf-")
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(ROOT),
               HF_DATASETS_CACHE=cache.name)
    return env, cache


def measure(tool: str, src: str, out: str, timeout: float = 3600) -> dict:
    """Run one tool in its own venv; wall seconds, CPU seconds (user + system, the whole process tree,
    from getrusage(RUSAGE_CHILDREN) around the run), peak RSS of its process tree (MB), rows kept."""
    import resource

    import psutil

    env, cache = run_env()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(python_for(tool)), __file__, "run", tool, src, out], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)])
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if time.perf_counter() - t0 > timeout:
            proc.kill()
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child has been waited for: its CPU is in here
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    cache.cleanup()
    if proc.returncode != 0:
        return {"tool": tool, "error": stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
    return {"tool": tool, "seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": peak / 2**20,
            "kept": int(stdout.strip().split()[-1])}


def benchmark(n_docs: int, rounds: int, tools=TOOLS, seed: int = 0) -> dict:
    from tilth import corpora as corpus

    with tempfile.TemporaryDirectory() as d:
        docs = corpus.sample_documents(int(n_docs / 1.1), seed=seed)
        docs, _ = corpus.plant_near_duplicates(docs, n_docs - len(docs), seed=seed, edit_fraction=(0.0, 0.06))
        src = corpus.write_jsonl([{"text": x["text"], "source": x["source"]} for x in docs], f"{d}/corpus.jsonl")
        runs: dict[str, list[dict]] = {t: [] for t in tools}
        for r in range(rounds):
            order = list(tools[r % len(tools):]) + list(tools[: r % len(tools)])  # rotate who goes first
            for tool in order:
                res = measure(tool, str(src), f"{d}/{tool}.jsonl")
                runs[tool].append(res)
                print(f"round {r} {tool}: {res}", flush=True)
    return summarise(runs, len(docs))


def summarise(runs: dict[str, list[dict]], n_docs: int) -> dict:
    import statistics

    out = {"docs": n_docs, "tools": {}}
    for tool, rs in runs.items():
        ok = [r for r in rs if "seconds" in r]
        if not ok:
            out["tools"][tool] = {"error": rs[0].get("error") if rs else "not run"}
            continue
        sec = statistics.median(r["seconds"] for r in ok)
        out["tools"][tool] = {"seconds": sec, "docs_per_s": n_docs / sec, "kept": ok[0]["kept"],
                              "cpu_seconds": statistics.median(r["cpu_seconds"] for r in ok),
                              "peak_rss_mb": max(r["peak_rss_mb"] for r in ok), "runs": len(ok)}
    if "seconds" in out["tools"].get("tilth", {}):
        for tool, v in out["tools"].items():
            if tool != "tilth" and "seconds" in v:
                v["tilth_speedup"] = v["seconds"] / out["tools"]["tilth"]["seconds"]
                v["tilth_cpu_ratio"] = v["cpu_seconds"] / out["tools"]["tilth"]["cpu_seconds"]
    return out


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "run":
    print(RUNNERS[sys.argv[2]](sys.argv[3], sys.argv[4]))
elif __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    print(json.dumps(benchmark(n, int(os.environ.get("TILTH_BENCH_ROUNDS", "3"))), indent=2))
else:
    import pytest

    @pytest.mark.bench
    def test_minhash_throughput():
        if not python_for("datasketch").exists():
            subprocess.run(["bash", str(ROOT / "bench" / "peers.sh")], check=True)
        n = int(os.environ.get("TILTH_BENCH_DEDUP_DOCS", "20000"))
        result = benchmark(n, int(os.environ.get("TILTH_BENCH_ROUNDS", "3")))
        print(json.dumps(result, indent=2))
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "dedup.json").write_text(json.dumps(result, indent=2))
        tilth = result["tools"]["tilth"]
        assert "seconds" in tilth, tilth
        assert tilth["kept"] < n  # the planted near-duplicates were found
