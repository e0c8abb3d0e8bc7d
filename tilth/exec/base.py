"""The executor interface: map a picklable task function over items, yielding results as they finish.

Tasks are serialised with cloudpickle by the caller (see tasks.run_blob), so every backend moves bytes
only. Deduplicators use the same interface for their parallel signature and apply phases, and the
partitioned ones for their global phase too (tilth.exec.stage).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any

# executor name -> the options a dict spec may give it ({name: ray, address: auto}; `type` is accepted too)
EXECUTORS: dict[str, tuple[str, ...]] = {"local": ("workers",), "ray": ("num_cpus", "address", "resources")}


class Executor:
    name = "base"

    def map_unordered(self, fn: Callable[[bytes], bytes], blobs: list[bytes],
                      inline_single: bool = True) -> Iterator[bytes]:
        """`inline_single`: a backend may run a lone task in the calling process (no start-up cost);
        global dedup stages pass False so that the driver never holds a partition."""
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
    """(message, fix) if `spec` names no executor or gives one an option it does not take; else None.
    Ray's `resources` ({label: amount}) is what each task asks for: custom resources given to
    `ray start --resources` pin the work to those nodes."""
    fix = "use executor: local or ray (or a mapping such as {name: ray, address: auto})"
    opts: dict[str, Any] = {}
    if isinstance(spec, dict):
        opts, spec = _split(spec)
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
    res = opts.get("resources")
    if res is not None and not (isinstance(res, dict) and all(isinstance(v, int | float) and v > 0 for v in res.values())):
        return f"executor ray: resources must map names to positive amounts, not {res!r}", "e.g. resources: {node2: 1}"
    if spec == "ray" and opts.get("address") is not None:
        from tilth.exec.ray_address import address_problem

        return address_problem(opts["address"])
    return None


def _split(spec: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """(options, executor name) of a mapping spec; the name is `name` or `type`."""
    opts = dict(spec)
    name = opts.pop("name", None)
    kind = opts.pop("type", None)
    return opts, name or kind or "local"


def make_executor(spec: str | dict[str, Any] | None, workers: int | None = None) -> Executor:
    """`local` (default) or `ray`; a dict spec passes options, e.g. {name: ray, address: auto}."""
    problem = executor_problem(spec)
    if problem:
        raise ValueError(f"{problem[0]} ({problem[1]})")
    opts: dict[str, Any] = {}
    if isinstance(spec, dict):
        opts, spec = _split(spec)
    spec = spec or "local"
    if spec == "local":
        from tilth.exec.local import LocalExecutor

        return LocalExecutor(workers=workers or opts.get("workers"))
    if spec == "ray":
        from tilth.exec.ray_executor import RayExecutor

        return RayExecutor(num_cpus=workers or opts.get("num_cpus"), address=opts.get("address"),
                           resources=opts.get("resources"))
    raise AssertionError(spec)  # executor_problem() knows every executor


def with_ray_address(spec: str | dict[str, Any] | None, address: str) -> dict[str, Any]:
    """The recipe's executor spec switched to Ray at `address` (keeping its other Ray options)."""
    opts, name = _split(spec) if isinstance(spec, dict) else ({}, spec)
    kept = {k: v for k, v in opts.items() if name == "ray" and k in EXECUTORS["ray"]}
    return {"name": "ray", **kept, "address": address}
