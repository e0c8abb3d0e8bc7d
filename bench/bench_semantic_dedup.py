"""Semantic dedup (`semantic_dedup`, all-MiniLM-L6-v2): throughput and accuracy on planted paraphrase-like
near duplicates in real text.

Corpus: real documents (tilth/corpora.py) plus planted copies of some of them, each copy paraphrase-like:
random word edits (substitute / delete / insert a corpus word, 2-10% of the words) and swaps of
neighbouring words (0-5% of the words), re-flowed with single spaces. Copies may be of earlier copies.
Ground truth is the planting: a document and all copies made from it form one group.

The operator runs in a subprocess of .venv, as the runner would run it: `signature` per part of 1,000
rows (embeddings, written to Parquet), then `duplicates` once over all parts, at the default threshold and
at a few others (the global phase reuses the same signature files). Reported: docs/s of each phase and in
all (model loading reported apart), CPU seconds (whole process tree, getrusage), peak RSS (process tree,
psutil polling), and for each threshold the precision and recall of the dropped rows:
- a dropped row is correct if the row it duplicates is in its planted group;
- recall = correct drops / planted copies (a group of k rows can lose k - 1);
- wrong drops are broken down by the word 5-gram Jaccard of the two embedded prefixes, to tell
  duplicates already present in the real corpus (identical licence headers, ...) from real mistakes.

    python bench/bench_semantic_dedup.py [DOCS] [PLANTED]     (defaults 3000, 300; prints JSON)
    pytest -m bench bench/bench_semantic_dedup.py -s          (TILTH_BENCH_SEMDEDUP_DOCS, ..._PLANTED)
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.95, 0.9, 0.98)  # the first is the operator's default
PART = 1000


def plant_paraphrases(docs: list[dict], n_planted: int, seed: int = 0, edit_fraction=(0.02, 0.10),
                      swap_fraction=(0.0, 0.05)) -> list[dict]:
    """docs + n_planted paraphrase-like copies, shuffled; each document carries `group` (its planting group)."""
    from tilth.corpora import edit_words

    rng = random.Random(seed)
    vocab = sorted({w for d in docs[: min(len(docs), 2000)] for w in d["text"].split()})
    out = [dict(d, group=i) for i, d in enumerate(docs)]
    for _ in range(n_planted):
        src = out[rng.randrange(len(out))]
        n_words = len(src["text"].split())
        text = edit_words(src["text"], round(rng.uniform(*edit_fraction) * n_words), rng, vocab)
        words = text.split()
        for _ in range(round(rng.uniform(*swap_fraction) * len(words))):
            if len(words) > 1:
                i = rng.randrange(len(words) - 1)
                words[i], words[i + 1] = words[i + 1], words[i]
        out.append({"text": " ".join(words), "source": "planted:" + src["source"], "group": src["group"]})
    rng.shuffle(out)
    return out


# -- the operator, in its own process -------------------------------------------------------------------
def run_operator(src: str, out: str) -> None:
    import numpy as np
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    from tilth.ops.process.arrow_np import from_numpy, repeat_string
    from tilth.ops.process.semantic_dedup import SemanticDedup

    table = pj.read_json(src)
    n = table.num_rows
    op = SemanticDedup()
    t0 = time.perf_counter()
    op.ensure_ready()  # loads the model
    t1 = time.perf_counter()
    result: dict = {"docs": n, "load_seconds": t1 - t0, "thresholds": {}}
    with tempfile.TemporaryDirectory() as work:
        files = []
        for k, lo in enumerate(range(0, n, PART)):
            part = table.slice(lo, PART)
            sig = op.signature(part.select(["text"]))
            # the same key columns as the runner's signature task (tilth.exec.tasks._signature_part)
            sig = sig.add_column(0, "_id", from_numpy(np.arange(lo, lo + part.num_rows, dtype=np.int64)))
            sig = sig.add_column(1, "_part", repeat_string(f"p{k:05d}", part.num_rows))
            sig = sig.add_column(2, "_row", from_numpy(np.arange(part.num_rows, dtype=np.int64)))
            files.append(f"{work}/p{k:05d}.parquet")
            pq.write_table(sig, files[-1])
        t2 = time.perf_counter()
        result["signature_seconds"] = t2 - t1
        for th in THRESHOLDS:
            t = time.perf_counter()
            d = SemanticDedup(threshold=th).duplicates(files, work)
            result["thresholds"][str(th)] = {
                "duplicates_seconds": time.perf_counter() - t,
                "dropped": dict(zip(d.column("_id").to_pylist(), d.column("duplicate_of").to_pylist(), strict=True)),
            }
    result["process_cpu_seconds"] = time.process_time()
    result["peak_rss_mb_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps(result))


def measure(src: str, out: str) -> dict:
    """Run the operator process; wall, CPU (getrusage of the child), peak RSS of the process tree."""
    import psutil

    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), __file__, "run", src, out],
                            env=dict(os.environ, PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="false"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            peak = max(peak, sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)]))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    _, err = proc.communicate()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(err[-2000:])
    res = json.loads(Path(out).read_text())
    res.update(wall_seconds=wall, cpu_seconds=(ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
               peak_rss_mb=peak / 2**20)
    return res


# -- scoring --------------------------------------------------------------------------------------------
def _grams(text: str, n: int = 5) -> set:
    w = re.findall(r"\w+", text.lower())
    return {tuple(w[i : i + n]) for i in range(max(1, len(w) - n + 1))}


def score(docs: list[dict], dropped: dict[int, int], max_chars: int = 2000) -> dict:
    group = [d["group"] for d in docs]
    sizes: dict[int, int] = {}
    for g in group:
        sizes[g] = sizes.get(g, 0) + 1
    planted = sum(s - 1 for s in sizes.values())
    correct = sum(group[r] == group[k] for r, k in dropped.items())
    wrong = [(r, k) for r, k in dropped.items() if group[r] != group[k]]
    jac = []
    for r, k in wrong:
        a, b = _grams(docs[r]["text"][:max_chars]), _grams(docs[k]["text"][:max_chars])
        jac.append(len(a & b) / max(1, len(a | b)))
    return {
        "dropped": len(dropped), "planted_copies": planted, "correct_drops": correct,
        "precision": correct / len(dropped) if dropped else 1.0,
        "recall": correct / planted if planted else 1.0,
        "wrong_drops": len(wrong),
        "wrong_drops_prefix_jaccard_ge_0.8": sum(j >= 0.8 for j in jac),
        "wrong_drops_prefix_jaccard_lt_0.3": sum(j < 0.3 for j in jac),
        "wrong_examples": [{"row": r, "kept": k, "prefix_jaccard": round(j, 3), "row_text": docs[r]["text"][:160],
                            "kept_text": docs[k]["text"][:160]} for (r, k), j in list(zip(wrong, jac, strict=True))[:5]],
    }


def benchmark(n_docs: int = 3000, n_planted: int = 300, seed: int = 0) -> dict:
    from tilth.corpora import sample_documents, write_jsonl

    docs = plant_paraphrases(sample_documents(n_docs - n_planted, seed=seed), n_planted, seed=seed)
    with tempfile.TemporaryDirectory() as d:
        src = write_jsonl([{"text": x["text"]} for x in docs], f"{d}/corpus.jsonl")
        res = measure(str(src), f"{d}/result.json")
    n = len(docs)
    default = res["thresholds"][str(THRESHOLDS[0])]
    report = {
        "docs": n, "planted": n_planted, "chars": sum(len(x["text"]) for x in docs),
        "wall_seconds": res["wall_seconds"], "cpu_seconds": res["cpu_seconds"], "peak_rss_mb": res["peak_rss_mb"],
        "model_load_seconds": res["load_seconds"],
        "signature_docs_per_s": n / res["signature_seconds"],
        "duplicates_docs_per_s": n / default["duplicates_seconds"],
        "docs_per_s_excluding_load": n / (res["signature_seconds"] + default["duplicates_seconds"]),
        "docs_per_s_wall_total": n / res["wall_seconds"],
        "accuracy": {th: score(docs, {int(k): v for k, v in r["dropped"].items()})
                     for th, r in res["thresholds"].items()},
    }
    return report


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "run":
    run_operator(sys.argv[2], sys.argv[3])
elif __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(benchmark(*args), indent=2))
else:
    import pytest

    @pytest.mark.bench
    def test_semantic_dedup_throughput_and_accuracy():
        n = int(os.environ.get("TILTH_BENCH_SEMDEDUP_DOCS", "3000"))
        planted = int(os.environ.get("TILTH_BENCH_SEMDEDUP_PLANTED", str(n // 10)))
        report = benchmark(n, planted)
        print(json.dumps(report, indent=2))
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "semantic_dedup.json").write_text(json.dumps(report, indent=2))
        acc = report["accuracy"][str(THRESHOLDS[0])]
        assert acc["correct_drops"] > 0 and report["signature_docs_per_s"] > 0
