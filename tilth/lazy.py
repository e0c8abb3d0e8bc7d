"""Lazy package exports (PEP 562): `from tilth.train import Trainer` works, but `import tilth.train` costs
nothing until a name is used, so a command that never trains never imports torch."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str]):
    """Return (__getattr__, __dir__) for a package whose public names live in submodules:
    exports maps name -> submodule (relative to the package)."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{exports[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__


class LazyModule:
    """A module imported on first attribute access: `pc = LazyModule("pyarrow.compute")` at the top of a module
    keeps every `pc.func(...)` call as it is, while a run that never calls one does not pay for the import
    (pyarrow.compute generates its wrappers at import: ~0.1 s)."""

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        module = self.__dict__["_module"]
        if module is None:
            module = self.__dict__["_module"] = import_module(self.__dict__["_name"])
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside (heavy imports): importing pyarrow, duckdb, numpy and pydantic
    allocates enough objects to trigger ~100 collections (~0.06 s), each traversing objects that all stay
    alive. Reference counting still frees everything as usual. On the way out, what exists is moved to the
    permanent generation (gc.freeze): modules live as long as the process, and the next collections would
    otherwise traverse all of them once more (~0.01 s each)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
