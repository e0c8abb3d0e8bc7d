"""Quality classifier: how well it learns a filter's decisions, and how fast `tilth run` scores with it.

Builds a real-text corpus (tilth/corpora.py), runs gopher_quality over `--train-docs` of it (the labels: its
keep/drop in lineage), trains a classifier per feature set, then scores `--docs` other documents with
`tilth run` as a subprocess under /work/shared/tools/measure.py (wall, CPU of the whole process tree, peak
RSS), next to a recipe that only reads and writes the same documents, so the model's share of the time shows.

    python bench/bench_classifier.py --features ngrams+stats --docs 20000
    python bench/bench_classifier.py --features embed+stats --docs 400
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = os.environ.get("MEASURE", "/work/shared/tools/measure.py")


def measured(out: Path, args: list[str], env: dict) -> dict:
    cmd = [sys.executable, MEASURE, str(out), "--", sys.executable, "-m", "tilth.cli", *args]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-docs", type=int, default=2000)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--features", default="ngrams+stats")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("/tmp/tilth-bench-classifier"))
    a = ap.parse_args()
    from tilth.classify.labels import LabelSpec
    from tilth.classify.train import TrainConfig, train
    from tilth.corpora import build_corpus
    from tilth.pipeline import Recipe, run_recipe
    from tilth.storage import Workspace

    a.out.mkdir(parents=True, exist_ok=True)
    ws_dir = a.out / "ws"
    labelled = build_corpus(a.train_docs, a.out / "labelled.jsonl", seed=1)
    corpus = build_corpus(a.docs, a.out / f"corpus-{a.docs}.jsonl", seed=2)
    run_recipe(Recipe.model_validate({"name": "labels", "input": {"path": str(labelled), "text": "text"},
                                      "steps": [{"gopher_quality": {}}], "output": {"report": False}}),
               ws_dir, progress=False)
    name = "gopher_" + a.features.replace("+", "_")
    meta = train(Workspace(ws_dir), name, LabelSpec(run="labels", step="gopher_quality"),
                 TrainConfig(features=a.features))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TILTH_WORKSPACE": str(ws_dir)}
    results = {"train": {k: meta[k] for k in ("rows", "threshold")} | {"test": meta["report"]["test"],
                                                                        "seconds": meta["report"]["seconds"]}}
    for kind, steps in (("read_write_only", []), ("quality_classifier", [{"quality_classifier": {"model": name}}])):
        recipe = a.out / f"{kind}.yaml"
        run = f"{kind}-{a.features.replace('+', '_')}-{a.docs}"
        recipe.write_text(json.dumps({"name": run, "input": {"path": str(corpus), "text": "text"}, "steps": steps,
                                      "output": {"report": False}}))
        m = measured(a.out / f"{run}.json", ["run", str(recipe), "-w", str(ws_dir), "--workers", str(a.workers),
                                             "-q", "--no-report"], env)
        steps_s = Workspace(ws_dir).sql("SELECT step, seconds, rows_in, rows_out FROM step_stats WHERE run = ? "
                                        "ORDER BY step_index", [run]).to_pylist()
        results[kind] = {**m, "docs_per_s": round(a.docs / m["wall_s"], 1), "steps": steps_s}
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
