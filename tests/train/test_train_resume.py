"""Checkpoint and resume: a run stopped mid-way and resumed is bitwise the run that never stopped.

In-process, every registered module is crashed and resumed; in a subprocess, `tilth train` is killed with
SIGKILL and `tilth train --resume` finishes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from tilth.cli import app
from tilth.storage.workspace import Workspace
from tilth.train import checkpoint, synthetic
from tilth.train.modules import MIXERS, REWEIGHTERS, SELECTORS, build
from tilth.train.trainer import TrainConfig, Trainer

TINY = {"n_layer": 1, "n_embd": 16, "n_head": 2}
ROOT = Path(__file__).resolve().parents[2]

# One config per registered module, each with a schedule that acts within 12 steps.
MODULES = {
    "static": {"mixer": "static"},
    "stratified": {"mixer": "stratified"},
    "doremi": {"mixer": {"name": "doremi", "schedule": {"every": 2}}, "reference": {"steps": 3}},
    "odm": {"mixer": "odm"},
    "ado": {"mixer": {"name": "ado", "schedule": {"warmup": 2}, "fit_every": 2, "ignore_first": 0, "smooth": 1}},
    "doge": {"mixer": {"name": "doge", "schedule": {"warmup": 1, "every": 2}}, "projection_dim": 8},
    "aioli": {"mixer": {"name": "aioli", "probe_steps": 1, "exploit_steps": 1}},
    "random": {"selector": {"name": "random", "seed": 3}},
    "loss": {"selector": {"name": "loss", "mode": "band"}},
    "rho": {"selector": "rho", "reference": {"steps": 3, "on": "heldout"}},
    "less": {"selector": {"name": "less", "target_every": 3}, "projection_dim": 8},
    "uniform": {"reweighter": "uniform"},
    "loss-reweighter": {"reweighter": {"name": "loss", "strategy": "quadratic"}},
    "odm-on-shards": {"mixer": "odm", "shards": True},  # rows streamed from token shards
}


SFT_ONLY = {("selector", "ifd")}  # needs SFT rows: resumed in test_train_sft.py


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("ws"))
    synthetic.write_dataset(w, docs_per_domain=6, doc_chars=300)
    return w


def cfg(**kw) -> TrainConfig:
    base = dict(dataset="synthetic_mix", model=TINY, seq_len=16, batch_size=8, steps=12, eval_every=4,
                eval_rows=4, warmup_steps=2, threads=1)
    return TrainConfig(**{**base, **kw})


def test_every_registered_module_is_in_the_resume_test():
    build("mixer", "static")  # fills the registries
    names = {(k, s["name"] if isinstance(s, dict) else s) for m in MODULES.values()
             for k, s in m.items() if k in ("mixer", "selector", "reweighter")}
    assert {("mixer", n) for n in MIXERS} | {("selector", n) for n in SELECTORS} | \
        {("reweighter", n) for n in REWEIGHTERS} == names | SFT_ONLY


def assert_same_run(a, b, model_a, model_b):
    assert [s["loss"] for s in a.steps] == [s["loss"] for s in b.steps]
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert [e[0] for e in a.evals] == [e[0] for e in b.evals]
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a.evals, b.evals, strict=True))
    sa, sb = model_a.state_dict(), model_b.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", list(MODULES))
def test_crash_and_resume_is_bitwise_the_uninterrupted_run(ws, tmp_path, name, monkeypatch):
    whole = Trainer(cfg(**MODULES[name]), workspace=ws)  # no checkpoints: they must not change the run
    ref = whole.run(log=False)
    c = cfg(**MODULES[name], checkpoint_every=5, checkpoint_dir=str(tmp_path))
    real_step = Trainer.train_step

    def crash_at_8(self, step):
        if step == 8:
            raise KeyboardInterrupt("simulated crash")
        return real_step(self, step)

    monkeypatch.setattr(Trainer, "train_step", crash_at_8)
    with pytest.raises(KeyboardInterrupt):
        Trainer(c, workspace=ws).run(log=False)
    assert checkpoint.load(tmp_path / "last.pt")["next_step"] == 5
    monkeypatch.setattr(Trainer, "train_step", real_step)
    torch.manual_seed(1234)  # the process's RNG streams moved on: the checkpoint must restore them
    resumed = Trainer(c, workspace=ws, resume=True)
    assert resumed.resumed["next_step"] == 5
    res = resumed.run(log=False)
    assert_same_run(ref, res, ref.model, res.model)
    assert checkpoint.load(tmp_path / "last.pt")["next_step"] == 12  # one after the last step too


def test_module_state_round_trips_attributes_and_generators():
    sel = build("selector", {"name": "random", "seed": 5})
    state = sel.state_dict()
    first = torch.randperm(10, generator=sel.gen)
    other = build("selector", {"name": "random", "seed": 9})
    other.load_state_dict(state)
    assert torch.equal(torch.randperm(10, generator=other.gen), first)
    odm = build("mixer", "odm")
    odm.setup(3)
    odm.rewards[:] = [1.0, 2.0, 3.0]
    saved = odm.state_dict()
    odm.rewards[0] = 9.0  # the state is a copy, not a view
    fresh = build("mixer", "odm")
    fresh.setup(3)
    fresh.load_state_dict(saved)
    assert fresh.rewards.tolist() == [1.0, 2.0, 3.0]


def test_resume_refuses_a_changed_config(ws, tmp_path):
    Trainer(cfg(steps=3, checkpoint_every=2, checkpoint_dir=str(tmp_path)), workspace=ws).run(log=False)
    with pytest.raises(ValueError, match=r"config changed.*\blr\b"):
        Trainer(cfg(steps=3, lr=0.5, checkpoint_every=2, checkpoint_dir=str(tmp_path)), workspace=ws, resume=True)
    ok = Trainer(cfg(steps=3, checkpoint_every=1, checkpoint_dir=str(tmp_path)), workspace=ws, resume=True)
    assert ok.resumed["next_step"] == 3


def test_a_checkpoint_from_before_a_config_field_existed_resumes(ws, tmp_path):
    """A field added later (here grad_accum, task, bf16) counts as its default in an older checkpoint."""
    Trainer(cfg(steps=3, checkpoint_every=2, checkpoint_dir=str(tmp_path)), workspace=ws).run(log=False)
    state = torch.load(tmp_path / "last.pt", weights_only=False)
    for k in ("grad_accum", "task", "bf16"):
        del state["config"][k]
    torch.save(state, tmp_path / "last.pt")
    ok = Trainer(cfg(steps=3, checkpoint_every=2, checkpoint_dir=str(tmp_path)), workspace=ws, resume=True)
    assert ok.resumed["next_step"] == 3
    with pytest.raises(ValueError, match=r"config changed.*\bgrad_accum\b"):
        Trainer(cfg(steps=3, grad_accum=2, checkpoint_every=2, checkpoint_dir=str(tmp_path)), workspace=ws,
                resume=True)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    checkpoint.save_atomic({"step": 1}, path)

    def torn(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", torn)
    with pytest.raises(OSError):
        checkpoint.save_atomic({"step": 2}, path)
    assert checkpoint.load(path) == {"step": 1}


# -- kill -9 in a real process --------------------------------------------------------------------------

KILLED = {
    "uniform": {"mixer": "static"},
    "doremi-loss-selector": {"mixer": {"name": "doremi", "schedule": {"every": 3}}, "reference": {"steps": 5},
                             "selector": {"name": "loss", "mode": "band"}},
    "odm-loss-reweighter": {"mixer": "odm", "reweighter": "loss", "selector": {"name": "random", "seed": 1}},
}


def killed_config(name: str) -> TrainConfig:
    return cfg(**KILLED[name], steps=80, eval_every=20, run=f"killed-{name}", checkpoint_every=10, flush_every=4)


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """Start `tilth train` for every KILLED config at once (process start-up dominates), each in its own
    workspace (one writer per database), and SIGKILL each 0.3 s after its first checkpoint appears:
    between checkpoints, after later rows were logged."""
    tmp = tmp_path_factory.mktemp("killed")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    runs = {}
    for name in KILLED:
        ws = Workspace(tmp / f"ws-{name}")
        synthetic.write_dataset(ws, docs_per_domain=6, doc_chars=300)
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(killed_config(name).model_dump(exclude_defaults=True)))
        with open(tmp / f"{name}.log", "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "tilth.cli", "train", str(path), "-w", str(ws.root)],
                                    stdout=out, stderr=subprocess.STDOUT, env=env)
        runs[name] = {"proc": proc, "yaml": path, "kill_at": None, "ws": ws,
                      "ckpt": ws.root / "checkpoints" / f"killed-{name}" / "last.pt"}
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(r["proc"].returncode is None for r in runs.values()):
            for r in runs.values():
                if r["proc"].poll() is not None:
                    continue
                if r["kill_at"] is None and r["ckpt"].exists():
                    r["kill_at"] = time.monotonic() + 0.3
                if r["kill_at"] is not None and time.monotonic() >= r["kill_at"]:
                    os.kill(r["proc"].pid, signal.SIGKILL)
                    r["proc"].wait()
            time.sleep(0.005)
    finally:
        for r in runs.values():
            if r["proc"].poll() is None:
                r["proc"].kill()
                r["proc"].wait()
    for name, r in runs.items():
        r["log"] = (tmp / f"{name}.log").read_text()
    return runs


@pytest.mark.parametrize("name", list(KILLED))
def test_kill_9_then_resume_gives_the_uninterrupted_losses_and_weights(killed, name):
    run, c = killed[name], killed_config(name)
    ws = run["ws"]
    assert run["proc"].returncode == -signal.SIGKILL, f"the run was not killed mid-way: {run['log'][-2000:]}"
    at = checkpoint.load(run["ckpt"])["next_step"]
    assert 0 < at < c.steps
    out = CliRunner().invoke(app, ["train", str(run["yaml"]), "-w", str(ws.root), "--resume"])
    assert out.exit_code == 0, out.output
    assert f"resuming {c.run} at step {at}" in out.output
    resumed = checkpoint.load(run["ckpt"])
    whole = Trainer(c.model_copy(update={"run": f"whole-{name}", "checkpoint_every": None}), workspace=ws)
    ref = whole.run()
    logged = ws.sql(f"SELECT step, loss FROM train_steps WHERE run = '{c.run}' ORDER BY step").to_pylist()
    want = ws.sql(f"SELECT step, loss FROM train_steps WHERE run = 'whole-{name}' ORDER BY step").to_pylist()
    assert [r["step"] for r in logged] == list(range(c.steps)) and logged == want
    assert [s["loss"] for s in resumed["history"]["steps"]] == [s["loss"] for s in ref.steps]
    final = ref.model.state_dict()
    assert all(torch.equal(resumed["model"][k], final[k]) for k in final)
