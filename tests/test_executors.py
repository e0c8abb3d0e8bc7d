"""The same recipe on the local and the Ray executor gives identical outputs and lineage."""

from __future__ import annotations

import pytest
from corpus_fixtures import write_corpus

from tilth.exec import make_executor
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace


def test_local_and_ray_give_identical_outputs(tmp_path, ray_local):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 240)
    base = {"name": "same", "input": {"path": str(corpus), "text": "content", "batch_size": 30},
            "steps": [{"length_filter": {"min": 5}}, {"exact_dedup": {"normalise": "lower"}}]}
    results = {}
    for executor in ("local", "ray"):
        recipe = Recipe.model_validate({**base, "executor": executor, "workers": 2})
        res = run_recipe(recipe, tmp_path / executor, progress=False)
        ws = Workspace(tmp_path / executor)
        results[executor] = (
            ws.read("same"),
            ws.sql("SELECT step, _id, reason, duplicate_of FROM lineage ORDER BY step, _id").to_pylist(),
            [(s.rows_in, s.rows_out, s.dropped) for s in res.steps],
        )
    assert results["local"][0].equals(results["ray"][0])
    assert results["local"][1] == results["ray"][1]
    assert results["local"][2] == results["ray"][2]
    assert results["local"][0].num_rows > 0


def test_unknown_executor_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown executor 'spark'.*local or ray"):
        make_executor("spark")


def test_workers_die_with_a_killed_driver(tmp_path):
    """ISSUE row 11: `kill -9` of `tilth run` mid-step leaves no forkserver, worker or tracker behind."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import psutil

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(16)))
    plugin = Path(__file__).parent / "plugins" / "slow_ops.py"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: slow\ninput: {{path: {data}, batch_size: 2}}\nworkers: 2\nplugins: [{plugin}]\n"
                      "steps:\n  - slow_upper: {seconds_per_part: 60}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    log = open(tmp_path / "run.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tilth.cli", "run", str(recipe), "-w", str(tmp_path / "ws"), "-q"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    driver = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + 180
        kids: list[psutil.Process] = []
        while time.monotonic() < deadline and proc.poll() is None:
            kids = driver.children(recursive=True)
            if len(kids) >= 4:  # resource tracker, forkserver and its two workers
                break
            time.sleep(0.2)
        assert len(kids) >= 4, f"the run never started its workers: {(tmp_path / 'run.log').read_text()[-2000:]}"
        time.sleep(1.0)  # the workers are inside slow_upper now
        kids = driver.children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t0 = time.monotonic()
        alive = kids
        while alive and time.monotonic() - t0 < 5:
            time.sleep(0.1)
            alive = [k for k in alive if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"survived the driver: {[(k.pid, k.cmdline()[:3]) for k in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for k in psutil.Process().children(recursive=True):  # never leave our own strays behind
            if k.pid != os.getpid() and "slow" in " ".join(k.cmdline()):
                k.kill()
        log.close()


def test_a_ray_run_prints_tilths_output_not_rays_log(tmp_path):
    """Ray Data logged dozens of INFO lines per step (and a warning that progress bars were off) around
    Tilth's own summary."""
    import os
    import re
    import subprocess
    import sys

    corpus = write_corpus(tmp_path / "corpus.jsonl", 60)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: quiet\ninput: {{path: {corpus}, text: content}}\nexecutor: ray\n"
                      "steps:\n  - exact_dedup: {}\noutput: {report: false}\n")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    out = subprocess.run([sys.executable, "-m", "tilth.cli", "run", str(recipe), "-w", str(tmp_path / "ws"), "-q"],
                         env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    logged = [ln for ln in (out.stdout + out.stderr).splitlines() if re.search(r"\s(?:INFO|WARNING)\s", ln)]
    assert logged == []
    assert "output dataset quiet v1" in out.stdout


def _square(blob: bytes) -> bytes:
    return str(int(blob) ** 2).encode()


def test_warming_does_not_hold_up_the_caller_and_the_pool_still_runs_every_task():
    """warm() starts the workers in a thread (they wait ~0.3 s for the forkserver's imports, which the
    driver spends reading the input); tasks submitted meanwhile use the same pool, and close() waits."""
    import time

    from tilth.exec.local import LocalExecutor

    ex = LocalExecutor(workers=2)
    t0 = time.perf_counter()
    ex.warm()
    assert time.perf_counter() - t0 < 0.1
    ex.warm()  # a second call starts nothing more
    try:
        got = sorted(int(b) for b in ex.map_unordered(_square, [str(i).encode() for i in range(10)]))
        assert got == [i * i for i in range(10)]
        assert ex._pool is not None and len(ex._pool._processes) == 2
    finally:
        ex.close()
    assert ex._pool is None and ex._warming is None
