"""Ray executor: the same tasks, scheduled by Ray Data's `map_batches` (one task per block).

With an address (`auto` or HOST:PORT) it attaches to a cluster started with `ray start`; without one it
starts a private Ray in this process. On a multi-node cluster the workspace directory must be on storage
every node sees at the same path (NFS, a mounted bucket), and every node must import the same Tilth (see
docs/scaling.md): workers read and write parts there exactly as local workers do, which is what makes the
two executors' outputs identical.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

import numpy as np

from tilth.exec.base import Executor
from tilth.exec.ray_address import START, check_reachable


def _ensure_ray(num_cpus: int | None, address: str | None):
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        # Tilth prints its own progress; Ray's INFO lines (dozens per step from Ray Data) drown it
        kwargs = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True,
                  "logging_level": logging.WARNING}
        if address:
            check_reachable(address)
            try:
                ray.init(address=address, **kwargs)
            except ConnectionError as e:  # auto with no cluster on this machine, or a port that is not Ray's
                raise ConnectionError(f"could not attach to a Ray cluster at {address}: {e}; {START}") from None
        else:
            # "local": a private Ray even where RAY_ADDRESS, or the record of someone's `ray start`
            # (/tmp/ray/ray_current_cluster, left behind when it was killed), would make Ray attach
            ray.init(address="local", num_cpus=num_cpus or os.cpu_count(), **kwargs)
    return ray


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, num_cpus: int | None = None, address: str | None = None,
                 resources: dict[str, float] | None = None):
        self.ray = _ensure_ray(num_cpus, address)
        self.resources = dict(resources or {})  # asked by every task: custom resources pin work to nodes

    def map_unordered(self, fn: Callable[[bytes], bytes], blobs: list[bytes],
                      inline_single: bool = True) -> Iterator[bytes]:
        if not blobs:
            return
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = False
        ctx.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "progress bars disabled"

        def udf(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {"result": np.array([fn(b) for b in batch["task"]], dtype=object)}

        ds = ray.data.from_items([{"task": b} for b in blobs], override_num_blocks=len(blobs))
        extra = {"resources": self.resources} if self.resources else {}
        ds = ds.map_batches(udf, batch_size=1, batch_format="numpy", **extra)
        for row in ds.iter_rows():
            yield row["result"]
