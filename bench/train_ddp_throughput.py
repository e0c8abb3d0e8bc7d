"""Tokens/s of one process against `--nproc 2` (gloo on CPU, DDP) with the same global batch.

    PYTHONPATH=. python bench/train_ddp_throughput.py [steps] [batch_size]

Model: the quick-start tiny Llama (2 × 64), seq_len 32, uniform static mixture and DoReMi (reference 20
steps), no evaluation until the end. Timings are the trainer's own per-step times (rank 0's, which
include waiting for the other rank in the collectives), so process start-up is left out.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

from tilth.storage.workspace import Workspace
from tilth.train import synthetic
from tilth.train.cli import train_worker
from tilth.train.distributed import launch


def config(run: str, mixer, steps: int, batch: int, threads: int) -> dict:
    extra = {"reference": {"steps": 20}} if mixer != "static" else {}
    return dict(run=run, dataset="synthetic_mix", model={"arch": "llama", "n_layer": 2, "n_embd": 64, "n_head": 4},
                seq_len=32, batch_size=batch, steps=steps, eval_every=10**6, eval_rows=8, warmup_steps=5,
                threads=threads, mixer=mixer, **extra)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    tmp = Path(tempfile.mkdtemp())
    ws = Workspace(tmp / "ws")
    synthetic.write_dataset(ws)
    out = tmp / "results"
    out.mkdir()
    mixers = {"uniform": "static", "doremi": {"name": "doremi", "schedule": {"every": 10}}}
    setups = {"1 process, 1 thread": (1, 1), "1 process, 2 threads": (1, 2), "2 processes, 1 thread each": (2, 1)}
    for label, (nproc, threads) in setups.items():
        cfgs = [config(f"{m}-p{nproc}t{threads}", spec, steps, batch, threads) for m, spec in mixers.items()]
        if nproc == 1:
            train_worker(cfgs, str(ws.root), False, str(out))
        else:
            launch(nproc, train_worker, cfgs, str(ws.root), False, str(out))
        for m in mixers:
            r = torch.load(out / f"{m}-p{nproc}t{threads}.rank0.pt", weights_only=False)
            tok_s = batch * 32 / (r["ms_per_step"] / 1000)
            print(f"{label:28s} {m:8s} {r['ms_per_step']:7.1f} ms/step  {tok_s:9,.0f} tok/s  "
                  f"final loss {r['losses'][-1]:.4f}", flush=True)


if __name__ == "__main__":
    main()
