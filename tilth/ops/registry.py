"""The operator registry, built from operator metadata.

Built-in operators register themselves when their module under tilth/ops/<category>/ is imported;
plugin operators are loaded from files by path. A user's own plugin is imported like any module. An
operator the Data Agent generated (first line GENERATED_HEADER, or a file in `<workspace>/agent/plugins/`)
is never imported by Tilth: `load_plugin` registers a stand-in whose every call runs the code in a
sandboxed worker process (tilth.agent.confined).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

from tilth.ops.base import CATEGORIES, Operator, Params

_REGISTRY: dict[str, type[Operator]] = {}
_LOADED = False


class UnknownOperator(KeyError):
    def __init__(self, name: str):
        self.name = name
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.5)
        self.suggestions = close
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `tilth ops list` to see them all"
        super().__init__(f"unknown operator {name!r}{hint}")

    def __str__(self) -> str:
        return self.args[0]


def register(cls: type[Operator]) -> type[Operator]:
    """Class decorator: check the metadata contract and add the operator to the registry."""
    problems = []
    for attr in ("name", "kind", "category", "description"):
        if not getattr(cls, attr, None):
            problems.append(f"missing {attr}")
    if getattr(cls, "category", None) not in CATEGORIES:
        problems.append(f"category must be one of {CATEGORIES}")
    if not (isinstance(cls.Params, type) and issubclass(cls.Params, Params)):
        problems.append("Params must subclass tilth.ops.base.Params")
    if problems:
        raise TypeError(f"operator {cls.__name__}: " + ", ".join(problems))
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise TypeError(f"operator name {cls.name!r} is taken by {existing.__module__}.{existing.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def load_builtin() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for category in CATEGORIES:
        pkg = importlib.import_module(f"tilth.ops.{category}")
        for mod in pkgutil.iter_modules(pkg.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"tilth.ops.{category}.{mod.name}")


def builtin_index() -> dict[str, str]:
    """Built-in operator name -> the module that defines it, from the loaded operators' metadata. It is
    written to tilth/ops/builtin_index.py (`tilth docs`, or `python -m tilth.ops.registry`) so that a recipe imports the
    modules of its own operators only: all of them pull in trafilatura, openai, ... (~0.5 s per run)."""
    load_builtin()
    return {n: c.__module__ for n, c in sorted(_REGISTRY.items()) if c.__module__.startswith("tilth.ops.")}


def _from_index(name: str) -> type[Operator] | None:
    from tilth.ops.builtin_index import BUILTIN

    module = BUILTIN.get(name)
    if module is None:
        return None
    importlib.import_module(module)
    return _REGISTRY.get(name)


GENERATED_HEADER = "# tilth: generated operator; it runs only inside the sandbox (tilth.agent.confined)"


def is_generated(path: str | Path) -> bool:
    """Code the Data Agent generated: marked on its first line, or kept where the agent keeps it."""
    path = Path(path).resolve()
    if path.parent.name == "plugins" and path.parent.parent.name == "agent":
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readline().startswith(GENERATED_HEADER.split(";")[0])
    except OSError:
        return False


def load_plugin(path: str | Path) -> list[str]:
    """Load an operator module from a file; return the names it registered. Generated code is not imported:
    its operators are registered as sandboxed stand-ins (see tilth.agent.confined)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"plugin {path} not found")
    if is_generated(path):
        from tilth.agent.confined import load_confined

        return load_confined(path)
    return import_plugin(path)


def import_plugin(path: str | Path) -> list[str]:
    """Import an operator module into this process (trusted code, or inside the sandbox)."""
    path = Path(path).resolve()
    if is_generated(path) and os.environ.get("TILTH_IN_SANDBOX") != "1":
        raise PermissionError(f"{path} is generated code: it is never imported outside the sandbox (use load_plugin)")
    before = set(_REGISTRY)
    mod_name = f"tilth_plugin_{path.stem}_{abs(hash(str(path))) % 10**8}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
    # Worker processes cannot import this module by name: ship its classes by value instead.
    import cloudpickle

    cloudpickle.register_pickle_by_value(module)
    return sorted(set(_REGISTRY) - before)


def get(name: str) -> type[Operator]:
    cls = _REGISTRY.get(name) or _from_index(name)
    if cls is not None:
        return cls
    load_builtin()  # a stale index, or an unknown name (whose suggestions need every operator)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownOperator(name) from None


def build(name: str, params: dict[str, Any] | None = None) -> Operator:
    return get(name)(**(params or {}))


def all_operators() -> list[type[Operator]]:
    load_builtin()
    return sorted(_REGISTRY.values(), key=lambda c: (CATEGORIES.index(c.category), c.name))


def write_index(path: Path | None = None) -> Path:
    path = path or Path(__file__).with_name("builtin_index.py")
    lines = ['"""Generated by `tilth docs` from the operators\' metadata; a test checks it is current."""',
             "", "BUILTIN = {"] + [f"    {n!r}: {m!r}," for n, m in builtin_index().items()] + ["}", ""]
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":  # operators register in the imported module, not in __main__
    from tilth.ops import registry

    print(registry.write_index())
