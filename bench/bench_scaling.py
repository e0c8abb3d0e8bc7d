"""Scaling of `tilth run` with MinHash dedup: corpus size (driver memory must stay flat) and Ray nodes.

Subcommands (run with the repository on PYTHONPATH):
  corpus N DIR          N docs of real text (tilth.corpora; N/1.1 real plus 10% planted near duplicates,
                        0-6% word edits; documents cut to 1,000 characters) as JSONL shards of 25,000
  drive OUT -- ARGS     `tilth ARGS` in this process, then the driver's own peak RSS (ru_maxrss of this
                        process alone: Ray and pool workers are other processes) to OUT as JSON
  run SIZES MODES OUT   each size x mode once, under /work/shared/tools/measure.py (whole process tree);
                        modes: local (pool of 2), ray1 / ray2 (a 1- or 2-node cluster from `ray start`, one
                        CPU per node, attached with --ray-address). Results as JSON lines to OUT.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
MEASURE = "/work/shared/tools/measure.py"
SHARD = 25_000


def corpus(n: int, out: Path) -> Path:
    from tilth import corpora

    if (out / "meta.json").exists():
        return out
    docs = corpora.sample_documents(round(n / 1.1), seed=7, max_chars=1000)
    docs, planted = corpora.plant_near_duplicates(docs, n - len(docs), seed=7, edit_fraction=(0.0, 0.06))
    for k, lo in enumerate(range(0, n, SHARD)):
        corpora.write_jsonl([{"text": d["text"]} for d in docs[lo : lo + SHARD]], out / f"docs-{k:03d}.jsonl")
    (out / "meta.json").write_text(json.dumps({"docs": len(docs), "planted": len(planted),
                                               "bytes": sum(f.stat().st_size for f in out.glob("*.jsonl"))}))
    return out


def drive(out: str, args: list[str]) -> None:
    from tilth.cli import app

    t0 = time.perf_counter()
    try:
        app(args, standalone_mode=False)
    finally:
        Path(out).write_text(json.dumps({"driver_peak_rss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                                         "wall_s": round(time.perf_counter() - t0, 2)}))


def recipe(data: Path, path: Path, workers: int = 2) -> Path:
    path.write_text(json.dumps({"name": "scale", "input": {"path": str(data), "format": "read_jsonl"},
                                "workers": workers, "steps": [{"minhash_dedup": {"threshold": 0.8}}],
                                "output": {"report": False}}))
    return path


def run(sizes: list[int], modes: list[str], out: Path, work: Path) -> None:
    from ray_cluster import TwoNodeCluster

    for mode in modes:
        cluster = None
        if mode.startswith("ray"):
            cluster = TwoNodeCluster()
            cluster.start() if mode == "ray2" else cluster.start_head()
        try:
            for n in sizes:
                data = corpus(n, work / f"corpus-{n}")
                ws = work / f"ws-{mode}-{n}"
                subprocess.run(["rm", "-rf", str(ws)], check=True)
                r = recipe(data, work / f"recipe-{n}.json")
                args = ["run", str(r), "-w", str(ws), "-q", "--no-report"]
                if cluster:
                    args += ["--ray-address", cluster.address]
                tree, drv = work / "tree.json", work / "driver.json"
                p = subprocess.run([sys.executable, MEASURE, str(tree), "--", sys.executable, __file__, "drive",
                                    str(drv), "--", *args], capture_output=True, text=True)
                row = {"mode": mode, "docs": n, "rc": p.returncode, **json.loads(tree.read_text()),
                       **json.loads(drv.read_text()), **_kept(ws)}
                if p.returncode:
                    row["stderr"] = p.stderr[-1500:]
                print(json.dumps(row), flush=True)
                with out.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                subprocess.run(["rm", "-rf", str(ws)], check=True)
        finally:
            if cluster:
                cluster.stop()


def _kept(ws: Path) -> dict:
    try:
        from tilth.storage import Workspace

        t = Workspace(ws).sql("SELECT count(*) AS n, sum(hash(_id)) AS h FROM scale").to_pylist()[0]
        return {"kept": t["n"], "kept_ids_hash": str(t["h"])}
    except Exception as e:  # a failed run has no output
        return {"kept": None, "error": str(e)[:200]}


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "corpus":
        print(corpus(int(sys.argv[2]), Path(sys.argv[3])))
    elif cmd == "drive":
        drive(sys.argv[2], sys.argv[4:])
    elif cmd == "run":
        run([int(x) for x in sys.argv[2].split(",")], sys.argv[3].split(","), Path(sys.argv[4]), Path(sys.argv[5]))
