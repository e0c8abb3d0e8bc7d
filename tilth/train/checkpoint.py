"""Checkpoints of a whole training run, so `tilth train --resume` continues to the same losses after `kill -9`.

A checkpoint holds everything the next step depends on: model, optimizer, every RNG stream (torch, CUDA,
NumPy, Python `random`, the trainer's sampling generator), the stratified carry and every module's state
(`Module.state_dict`), the signals' memories, the reference model, and the history logged so far. The
LR schedule is a function of the step, so the step is its state. Files are written to a temporary name
and renamed into place, so the file on disk is always a complete checkpoint.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

# Config fields that may change between a run and its resumption: they do not touch the trajectory.
RESUMABLE_CHANGES = frozenset({"checkpoint_every", "checkpoint_dir", "flush_every"})


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_atomic(obj, path: Path) -> None:
    """torch.save to a temporary file in the same folder, fsync, then os.replace: never a torn file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: Path, device: torch.device | str = "cpu") -> dict:
    # our own file, holding NumPy arrays and module attributes: not a weights-only pickle
    return torch.load(path, map_location=device, weights_only=False)


def capture(trainer, next_step: int, history: dict) -> dict:
    """The whole run's state after `next_step` steps."""
    ref = trainer.signals.reference_model
    return {
        "next_step": next_step,
        "config": trainer.cfg.model_dump(),
        "model": trainer.model.state_dict(),
        "optimizer": trainer.opt.state_dict(),
        "reference": None if ref is None else ref.state_dict(),
        "sampler": trainer.gen.get_state(),
        "rng": rng_state(),
        "mixer": trainer.mixer.state_dict(),
        "selector": None if trainer.selector is None else trainer.selector.state_dict(),
        "reweighter": None if trainer.reweighter is None else trainer.reweighter.state_dict(),
        "signals": trainer.signals.state_dict(),
        "history": history,
    }


def check_config(saved: dict, current: dict) -> None:
    """Refuse to resume under a config that would change the run (other data, steps, modules, ...)."""
    changed = sorted(k for k in set(saved) | set(current)
                     if k not in RESUMABLE_CHANGES and saved.get(k) != current.get(k))
    if changed:
        raise ValueError(f"cannot resume: the config changed since the checkpoint ({', '.join(changed)}); "
                         "start a new run (another `run:` name) or restore those fields")


def restore(trainer, state: dict) -> None:
    """Load `state` into a freshly built trainer (same config); RNG streams last, after model building."""
    trainer.model.load_state_dict(state["model"])
    trainer.opt.load_state_dict(state["optimizer"])
    trainer.gen.set_state(state["sampler"])
    trainer.mixer.load_state_dict(state["mixer"])
    for name in ("selector", "reweighter"):
        module = getattr(trainer, name)
        if (module is None) != (state[name] is None):
            raise ValueError(f"cannot resume: the checkpoint's {name} does not match the config")
        if module is not None:
            module.load_state_dict(state[name])
    trainer.signals.load_state_dict(state["signals"])
    set_rng_state(state["rng"])
