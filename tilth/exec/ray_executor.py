"""Ray executor: the same tasks, scheduled by Ray Data's `map_batches` (one task per block).

On a multi-node cluster the workspace directory must be on storage every node sees (NFS, a mounted
bucket); workers read and write parts there exactly as local workers do, which is what makes the two
executors' outputs identical.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np

from tilth.exec.base import Executor


def _ensure_ray(num_cpus: int | None, address: str | None):
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        kwargs = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus or os.cpu_count(), **kwargs)
    return ray


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, num_cpus: int | None = None, address: str | None = None):
        self.ray = _ensure_ray(num_cpus, address)

    def map_unordered(self, fn: Callable[[bytes], bytes], blobs: list[bytes]) -> Iterator[bytes]:
        if not blobs:
            return
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = False
        ctx.enable_progress_bars = False

        def udf(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {"result": np.array([fn(b) for b in batch["task"]], dtype=object)}

        ds = ray.data.from_items([{"task": b} for b in blobs], override_num_blocks=len(blobs))
        ds = ds.map_batches(udf, batch_size=1, batch_format="numpy")
        for row in ds.iter_rows():
            yield row["result"]
