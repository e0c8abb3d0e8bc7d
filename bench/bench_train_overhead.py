"""Overhead of each data module: median ms per training step vs plain training on the same tiny GPT.

Runs interleave (plain, module, plain, module, ...) so that load from other processes hits both alike.
Goals from issue #6: ≤ 5 % for loss-based modules, ≤ 2× for gradient-based ones at the default projection.
Run: `pytest -m bench bench/bench_train_overhead.py -s` (or `python bench/bench_train_overhead.py`).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

MODULES = {
    "loss reweighting (Sow, linupper)": {"reweighter": "loss"},
    "ODM mixer (training loss)": {"mixer": "odm"},
    "ADO mixer (training loss + fits)": {"mixer": {"name": "ado", "schedule": {"warmup": 0}, "fit_every": 20}},
    "DoReMi mixer (+reference forward)": {"mixer": "doremi", "reference": {"steps": 5}},
    "DoReMi, paper proxy (reweight: α on the loss)": {"mixer": {"name": "doremi", "proxy": "reweight"},
                                                      "reference": {"steps": 5}},
    "loss selection (remembered losses, default)": {"selector": "loss"},
    "loss selection (fresh pool inference)": {"selector": {"name": "loss", "scores": "fresh"}},
    "RHO-LOSS (remembered, IL precomputed, default)": {"selector": "rho",
                                                       "reference": {"steps": 5, "on": "heldout"}},
    "RHO-LOSS (fresh pool inference)": {"selector": {"name": "rho", "scores": "fresh"},
                                        "reference": {"steps": 5, "on": "heldout"}},
    "DoGE mixer (grads every 10 steps, k=128)": {"mixer": {"name": "doge", "schedule": {"every": 10}}},
    "DoGE mixer (grads every step, k=128)": {"mixer": {"name": "doge", "schedule": {"every": 1}}},
    "LESS (output-layer grads, k=128, default)": {"selector": "less"},
    "LESS (full vmap grads, k=128)": {"selector": {"name": "less", "gradients": "full", "target_every": 1}},
}


def time_steps(trainer, steps: int, skip: int = 3) -> list[float]:
    out = []
    for step in range(steps):
        t0 = time.perf_counter()
        trainer.train_step(step)
        if step >= skip:
            out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(steps: int = 40, repeats: int = 3) -> list[dict]:
    from tilth.storage.workspace import Workspace
    from tilth.train import synthetic
    from tilth.train.data import load_domain_data
    from tilth.train.tokenizer import ByteTokenizer
    from tilth.train.trainer import TrainConfig, Trainer

    ws = Workspace(tempfile.mkdtemp())
    synthetic.write_dataset(ws, docs_per_domain=16, doc_chars=2000)
    base = dict(dataset="synthetic_mix", model={"n_layer": 2, "n_embd": 64, "n_head": 4}, seq_len=32,
                batch_size=32, steps=steps, lr=1e-2, threads=1)
    data = load_domain_data(ws, "synthetic_mix", ByteTokenizer(), 32)
    rows = []
    for label, extra in MODULES.items():
        plain_ms, mod_ms = [], []
        for r in range(repeats):
            plain_ms += time_steps(Trainer(TrainConfig(**base, seed=r), data), steps)
            mod_ms += time_steps(Trainer(TrainConfig(**base, **extra, seed=r), data), steps)
        p, m = statistics.median(plain_ms), statistics.median(mod_ms)
        # mean captures periodic work (DoGE every 10 steps) that the median hides
        pm, mm = float(np.mean(plain_ms)), float(np.mean(mod_ms))
        rows.append({"module": label, "plain_ms": p, "module_ms": m, "ratio_median": m / p, "ratio_mean": mm / pm})
        print(f"{label:45s} plain {p:6.1f} ms  module {m:6.1f} ms  x{m / p:.2f} (mean x{mm / pm:.2f})")
    return rows


@pytest.mark.bench
def test_module_overhead():
    rows = measure()
    out = Path("train-report")
    out.mkdir(exist_ok=True)
    (out / "overhead.json").write_text(json.dumps(rows, indent=1))
    assert all(r["ratio_mean"] > 0 for r in rows)


if __name__ == "__main__":
    test_module_overhead()
