"""The executor interface: map a picklable task function over items, yielding results as they finish.

Tasks are serialised with cloudpickle by the caller (see tasks.run_blob), so every backend moves bytes
only. Deduplicators use the same interface for their parallel signature and apply phases; their global
phase runs in the driver on DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class Executor:
    name = "base"

    def map_unordered(self, fn: Callable[[bytes], bytes], blobs: list[bytes]) -> Iterator[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_executor(spec: str | dict[str, Any] | None, workers: int | None = None) -> Executor:
    """`local` (default) or `ray`; a dict spec passes options, e.g. {type: ray, address: auto}."""
    opts: dict[str, Any] = {}
    if isinstance(spec, dict):
        opts = dict(spec)
        spec = opts.pop("type", "local")
    spec = spec or "local"
    if spec == "local":
        from tilth.exec.local import LocalExecutor

        return LocalExecutor(workers=workers or opts.get("workers"))
    if spec == "ray":
        from tilth.exec.ray_executor import RayExecutor

        return RayExecutor(num_cpus=workers or opts.get("num_cpus"), address=opts.get("address"))
    raise ValueError(f"unknown executor {spec!r}: use 'local' or 'ray'")
