"""Two CPU processes (gloo, DistributedDataParallel) against one process with the same global batch.

One launch of 2 processes trains every config below in turn (process start-up dominates); the same configs
then run in this process. Checked: identical mixture weights and parameters on both ranks (exact), the
2-process loss curve and weights against the 1-process run (tolerances below), rank-0-only logging, and a
2-process run stopped after its checkpoint and resumed by `tilth train --resume --nproc 2`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from tilth.storage.workspace import Workspace
from tilth.train import checkpoint, synthetic
from tilth.train.cli import train_worker
from tilth.train.distributed import launch
from tilth.train.trainer import TrainConfig, Trainer

TINY = {"n_layer": 1, "n_embd": 16, "n_head": 2}
ROOT = Path(__file__).resolve().parents[2]
STEPS = 12

# Tolerances against one process. Both runs see the same global batch of the same rows, so they differ only
# in float32 rounding: forward passes over 4 instead of 8 rows, and DDP's average of two half-batch gradients
# instead of one gradient of the whole batch (another summation order, ~1e-7 relative). The first step's loss
# comes before any update: 1e-6 is two float32 ulps at a loss of ~5 (measured: 0). AdamW's normalised updates
# then carry rounding differences along, so the curve gets 1e-5 (measured over 12 steps: at most 4.8e-7, one
# ulp), still three orders of magnitude below the loss's step-to-step change (~4e-2). Mixture weights: 1e-5
# (measured: at most 2e-8; ADO's power-law fits, not in this test, amplify to 5e-7).
FIRST_STEP_TOL = 1e-6
CURVE_TOL = 1e-5
WEIGHTS_TOL = 1e-5

RUNS = {
    "uniform": {"mixer": "static"},
    "doremi": {"mixer": {"name": "doremi", "schedule": {"every": 2}}, "reference": {"steps": 3}},
    # selection and reweighting: the pool's mask and the batch's row weights must agree across ranks
    "odm-selector-reweighter": {"mixer": "odm", "selector": {"name": "loss", "mode": "band"}, "reweighter": "loss"},
    # gradient accumulation: micro-batches under no_sync, one all-reduce per step
    "grad-accum": {"mixer": "static", "grad_accum": 2},
}


def cfg(name: str, **kw) -> TrainConfig:
    base = dict(dataset="synthetic_mix", model=TINY, seq_len=16, batch_size=8, steps=STEPS, eval_every=4,
                eval_rows=4, warmup_steps=2, threads=1, run=f"ddp-{name}")
    return TrainConfig(**{**base, **RUNS[name], **kw})


def resumed_config() -> TrainConfig:
    return cfg("doremi", run="ddp-resumed", checkpoint_every=4)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    ws = Workspace(tmp / "ws")
    synthetic.write_dataset(ws, docs_per_domain=6, doc_chars=300)
    out = tmp / "results"
    out.mkdir()
    configs = [cfg(n).model_dump(exclude_defaults=True) for n in RUNS] + [resumed_config().model_dump(exclude_defaults=True)]
    launch(2, train_worker, configs, str(ws.root), False, str(out), {"ddp-resumed": 6})  # "killed" after step 6
    two = {n: [torch.load(out / f"ddp-{n}.rank{r}.pt", weights_only=False) for r in (0, 1)] for n in RUNS}
    one = {n: Trainer(cfg(n, run=f"one-{n}"), workspace=ws).run() for n in RUNS}
    return {"ws": ws, "tmp": tmp, "two": two, "one": one}


@pytest.mark.parametrize("name", list(RUNS))
def test_both_ranks_hold_identical_weights_and_parameters(runs, name):
    r0, r1 = runs["two"][name]
    assert len(r0["weights"]) == STEPS
    for a, b in zip(r0["weights"], r1["weights"], strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(r0["mixer"], r1["mixer"])
    assert r0["losses"] == r1["losses"]
    for k, v in r0["params"].items():
        assert torch.equal(v, r1["params"][k]), k


@pytest.mark.parametrize("name", list(RUNS))
def test_two_processes_follow_the_one_process_curve(runs, name):
    two, one = runs["two"][name][0], runs["one"][name]
    l2, l1 = np.array(two["losses"]), np.array([s["loss"] for s in one.steps])
    assert abs(l2[0] - l1[0]) <= FIRST_STEP_TOL
    assert np.abs(l2 - l1).max() <= CURVE_TOL, np.abs(l2 - l1)
    assert np.abs(np.array(two["weights"]) - np.array(one.weights)).max() <= WEIGHTS_TOL
    for (s2, e2), (s1, e1) in zip(two["evals"], one.evals, strict=True):
        assert s2 == s1 and np.abs(e2 - e1).max() <= CURVE_TOL


def test_only_rank_0_logs(runs):
    ws = runs["ws"]
    for name in RUNS:
        rows = ws.sql(f"SELECT step FROM train_steps WHERE run = 'ddp-{name}' ORDER BY step").column(0).to_pylist()
        assert rows == list(range(STEPS))


def test_stop_then_resume_with_nproc_2_gives_the_uninterrupted_run(runs):
    ws, tmp = runs["ws"], runs["tmp"]
    c = resumed_config()  # the fixture's launch stopped it after step 6, its checkpoint at step 4
    ckpt = ws.root / "checkpoints" / "ddp-resumed" / "last.pt"
    assert checkpoint.load(ckpt)["next_step"] == 4
    path = tmp / "resumed.yaml"
    path.write_text(yaml.safe_dump(c.model_dump(exclude_defaults=True)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "tilth.cli", "train", str(path), "-w", str(ws.root), "--resume",
                          "--nproc", "2"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "resuming ddp-resumed at step 4" in out.stdout
    assert "on 2 processes" in out.stdout
    done = checkpoint.load(ckpt)
    whole = runs["two"]["doremi"][0]
    assert [s["loss"] for s in done["history"]["steps"]] == whole["losses"]
    assert all(np.array_equal(a, b) for a, b in zip(done["history"]["weights"], whole["weights"], strict=True))
    logged = ws.sql("SELECT step FROM train_steps WHERE run = 'ddp-resumed' ORDER BY step").column(0).to_pylist()
    assert logged == list(range(STEPS))
