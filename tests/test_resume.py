"""Crash and resume: a run killed with SIGKILL mid-step, then resumed, equals an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
from corpus_fixtures import write_corpus

from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace
from tilth.storage.parts import list_parts

PLUGIN = str(Path(__file__).parent / "plugins" / "slow_ops.py")


def make_recipe(corpus: Path, out: Path) -> Path:
    out.write_text(
        f"""name: crash
input: {{path: {corpus}, text: content, batch_size: 25}}
plugins: [{PLUGIN}]
workers: 2
steps:
  - length_filter: {{min: 5}}
  - slow_upper: {{seconds_per_part: 0.25}}
  - exact_dedup: {{}}
"""
    )
    return out


def dataset(ws_dir: Path) -> tuple[pa.Table, list[dict]]:
    ws = Workspace(ws_dir)
    lineage = ws.sql("SELECT step, _id, action, reason, duplicate_of FROM lineage WHERE run = 'crash' "
                     "ORDER BY step, _id").to_pylist()
    return ws.read("crash"), lineage


def test_sigkill_mid_step_then_resume_equals_uninterrupted_run(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 300)
    recipe = make_recipe(corpus, tmp_path / "crash.yaml")

    reference = run_recipe(Recipe.from_yaml(recipe), tmp_path / "ref", progress=False)
    assert reference.rows_out > 0

    ws_dir = tmp_path / "ws"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    child = subprocess.Popen([sys.executable, "-m", "tilth.cli", "run", str(recipe), "-w", str(ws_dir), "-q"],
                             env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow_glob = "runs/crash/02_slow_upper-*"
    deadline = time.time() + 60
    killed_at = None
    while time.time() < deadline:
        dirs = list(ws_dir.glob(slow_glob))
        if dirs and len(list_parts(dirs[0])) >= 3:
            os.killpg(child.pid, signal.SIGKILL)  # the driver and its workers, as an OOM kill or power cut would
            child.wait()
            killed_at = len(list_parts(dirs[0]))
            break
        time.sleep(0.05)
    assert killed_at is not None, "the child never reached the slow step"
    n_parts = len(list_parts(next(ws_dir.glob("runs/crash/01_length_filter-*"))))
    assert killed_at < n_parts, "the run finished before it was killed; the test did not test a crash"

    resumed = run_recipe(Recipe.from_yaml(recipe), ws_dir, progress=False)
    assert [s.cached for s in resumed.steps[:2]] == [True, True]  # finished steps are not redone

    got, got_lineage = dataset(ws_dir)
    want, want_lineage = dataset(tmp_path / "ref")
    assert got.column("_id").to_pylist() == want.column("_id").to_pylist()
    assert got.equals(want)
    assert got_lineage == want_lineage
    assert [s.rows_out for s in resumed.steps] == [s.rows_out for s in reference.steps]
