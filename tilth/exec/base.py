"""The executor interface: map a picklable task function over items, yielding results as they finish.

Tasks are serialised with cloudpickle by the caller (see tasks.run_blob), so every backend moves bytes
only. Deduplicators use the same interface for their parallel signature and apply phases; their global
phase runs in the driver on DuckDB.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any

# executor name -> the options a dict spec may give it ({type: ray, address: auto})
EXECUTORS: dict[str, tuple[str, ...]] = {"local": ("workers",), "ray": ("num_cpus", "address")}


class Executor:
    name = "base"

    def map_unordered(self, fn: Callable[[bytes], bytes], blobs: list[bytes]) -> Iterator[bytes]:
        raise NotImplementedError

    def warm(self) -> None:
        """Start workers now, without waiting for them, so their start-up overlaps the driver's own work
        (reading the input) instead of delaying the first parallel step."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def executor_problem(spec: Any) -> tuple[str, str] | None:
    """(message, fix) if `spec` names no executor or gives one an option it does not take; else None."""
    fix = "use executor: local or ray (or a mapping such as {type: ray, address: auto})"
    opts: dict[str, Any] = {}
    if isinstance(spec, dict):
        opts = dict(spec)
        spec = opts.pop("type", "local")
    if spec is None:
        spec = "local"
    if not isinstance(spec, str) or spec not in EXECUTORS:
        close = difflib.get_close_matches(str(spec), list(EXECUTORS), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown executor {spec!r}{hint}", (f"use executor: {close[0]}" if close else fix)
    unknown = sorted(set(opts) - set(EXECUTORS[spec]))
    if unknown:
        return (f"executor {spec!r} has no option {', '.join(map(repr, unknown))}",
                f"{spec} takes: {', '.join(EXECUTORS[spec])}")
    return None


def make_executor(spec: str | dict[str, Any] | None, workers: int | None = None) -> Executor:
    """`local` (default) or `ray`; a dict spec passes options, e.g. {type: ray, address: auto}."""
    problem = executor_problem(spec)
    if problem:
        raise ValueError(f"{problem[0]} ({problem[1]})")
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
    raise AssertionError(spec)  # executor_problem() knows every executor
