"""Multi-process training: the process group, the collectives the trainer and modules use, and the launcher.

`tilth train cfg.yaml --nproc N` spawns N local processes (MASTER_ADDR 127.0.0.1, a free port); under
`torchrun` the trainer reads RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT from the
environment instead. Backend: gloo on CPU, NCCL on CUDA.

How a step is split (see `Trainer.train_step`): `batch_size` is the *global* batch. Every rank draws the
same global batch (the sampling generator is seeded identically and advanced identically on every rank),
keeps its own contiguous share of `batch_size / world` rows and runs forward/backward only on those;
DistributedDataParallel averages the gradients, which is the gradient of the global batch's mean loss.
Per-domain statistics of the modules are summed over ranks (`Comm.sum`); per-row losses are all-gathered
(`Comm.gather_rows`), so remembered losses, selectors and reweighters see the whole batch.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Comm:
    """Rank, world size and the collectives; `Comm()` is the single-process no-op."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")  # where collective tensors live (CUDA under NCCL)

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def share(self, n: int) -> slice:
        """This rank's contiguous share of `n` global rows (`n` must divide evenly)."""
        if n % self.world:
            raise ValueError(f"batch of {n} rows does not split over {self.world} processes; "
                             f"make batch_size a multiple of {self.world}")
        k = n // self.world
        return slice(self.rank * k, (self.rank + 1) * k)

    def sum(self, *arrays: np.ndarray) -> list[np.ndarray]:
        """Element-wise sums over ranks (float64), in one all-reduce; identity with one process."""
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        if not self.enabled:
            return arrays
        flat = torch.from_numpy(np.concatenate([a.ravel() for a in arrays])).to(self.device)
        torch.distributed.all_reduce(flat)
        out, at = [], 0
        flat = flat.cpu().numpy()
        for a in arrays:
            out.append(flat[at: at + a.size].reshape(a.shape))
            at += a.size
        return out

    def gather_rows(self, t: torch.Tensor) -> torch.Tensor:
        """All ranks' equal-length first dimensions concatenated in rank order (the global batch order)."""
        if not self.enabled:
            return t
        t = t.to(self.device).contiguous()
        parts = [torch.empty_like(t) for _ in range(self.world)]
        torch.distributed.all_gather(parts, t)
        return torch.cat(parts)

    def broadcast(self, t: torch.Tensor) -> torch.Tensor:
        """Rank 0's tensor on every rank (decisions that must be identical, e.g. a selector's mask)."""
        if not self.enabled:
            return t
        buf = t.to(self.device).contiguous()
        torch.distributed.broadcast(buf, 0)
        return buf.to(t.device)

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()


def from_env(use_cuda: bool = True) -> Comm:
    """Join the process group described by torchrun's variables (a single-process Comm when absent).
    NCCL with one GPU per rank (`cuda:LOCAL_RANK`) when CUDA is there and wanted (`use_cuda`: the configs do
    not ask for `device: cpu`; `TILTH_DDP_BACKEND=gloo` also refuses it), gloo on CPU otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Comm()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", os.environ["RANK"]))
    cuda = use_cuda and torch.cuda.is_available() and os.environ.get("TILTH_DDP_BACKEND", "") != "gloo"
    if cuda:
        torch.cuda.set_device(local)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    return Comm(rank, world, local, torch.device("cuda", local) if cuda else torch.device("cpu"))


def close(comm: Comm) -> None:
    """Leave the process group once every rank is done with it: a rank that destroyed its gloo group while
    the other still used it aborted ("terminate called without an active exception", SIGABRT; seen once in
    the 2-process tests under load). A rank that never arrives (it failed) is waited for 60 s at most."""
    if not (comm.enabled and torch.distributed.is_initialized()):
        return
    import datetime

    try:
        if torch.distributed.get_backend() == "gloo":
            torch.distributed.monitored_barrier(timeout=datetime.timedelta(seconds=60))
        else:
            torch.distributed.barrier()
    except RuntimeError:  # another rank failed: its error is the one to report
        pass
    torch.distributed.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(local_rank: int, nproc: int, port: int, fn, args) -> None:
    os.environ.update({"RANK": str(local_rank), "LOCAL_RANK": str(local_rank), "WORLD_SIZE": str(nproc),
                       "LOCAL_WORLD_SIZE": str(nproc), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    fn(*args)


def launch(nproc: int, fn, *args) -> None:
    """Run `fn(*args)` in `nproc` spawned local processes that form one process group (torchrun's
    variables set in each); raises if any process fails. `fn` must be importable (a module-level function)."""
    import torch.multiprocessing as mp

    mp.start_processes(_worker, args=(nproc, free_port(), fn, args), nprocs=nproc, join=True,
                       start_method="spawn")
