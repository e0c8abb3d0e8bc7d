"""Generated operators run only inside the sandbox, in every run, not only while they are checked.

Tilth never imports a generated module. `load_confined(path)` starts a sandboxed worker
(`python -m tilth.agent.confined_worker` under bwrap, see tilth.agent.sandbox), which imports the module
and answers with the operator's metadata as JSON; from that metadata Tilth builds a stand-in class
(ConfinedMapper / ConfinedFilter / ConfinedGenerator subclass, parameters rebuilt from the JSON schema) and
registers it. The stand-in carries the module's source, not a path, so what runs is what was described.

In a run, the stand-in's map / score / keep / generate each send the Arrow batch to a sandboxed worker of
its own (started on first use in whichever process runs the task, kept for the step, killed with that
process through bwrap's --die-with-parent) and read the result back. The pipe carries frames: two
little-endian u64 lengths, a JSON header, then an Arrow IPC stream (or nothing). The worker's answers are
data, parsed with limits; a call that outlives `call_timeout_s` kills the worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
import threading
from multiprocessing import util as mp_util
from pathlib import Path
from typing import Any, ClassVar, Literal, Union

import numpy as np
import pyarrow as pa
from pydantic import Field, create_model

from tilth.agent.sandbox import Limits, confined_command, kill
from tilth.ops.base import CATEGORIES, Filter, Generator, Mapper, Params, Resources

FRAME = struct.Struct("<QQ")
MAX_HEADER = 64 * 2**20
MAX_BODY = 8 * 2**30
START_TIMEOUT_S = float(os.environ.get("TILTH_SANDBOX_START_TIMEOUT", 180))
CALL_TIMEOUT_S = float(os.environ.get("TILTH_SANDBOX_CALL_TIMEOUT", 900))


class ConfinedError(RuntimeError):
    """The generated operator failed inside the sandbox (an exception, a limit, a broken answer)."""


# -- frames ---------------------------------------------------------------------------------------------
def table_bytes(table: pa.Table | None) -> memoryview:
    if table is None:
        return memoryview(b"")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return memoryview(sink.getvalue())


def bytes_table(data: bytes | bytearray) -> pa.Table | None:
    if not data:
        return None
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    table.validate(full=True)
    return table


def encode(header: dict, table: pa.Table | None = None) -> bytes:
    h = json.dumps(header, default=str).encode()
    body = table_bytes(table)
    return b"".join((FRAME.pack(len(h), body.nbytes), h, body))


# -- the worker, seen from Tilth -------------------------------------------------------------------------
class ConfinedWorker:
    """One sandboxed process serving one generated module."""

    def __init__(self, source: str, filename: str, limits: Limits | None = None,
                 call_timeout_s: float = CALL_TIMEOUT_S, start_timeout_s: float = START_TIMEOUT_S):
        self.source = source
        self.filename = filename if re.fullmatch(r"[A-Za-z0-9_.-]+\.py", filename) else "generated_op.py"
        self.limits = limits or Limits(wall_s=None, cpu_s=None, mem_mb=4096, nproc=64)
        self.call_timeout_s = call_timeout_s
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.meta: dict | None = None
        self._finalizer = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> dict:
        """Start the sandbox; return the operator's metadata (the worker's first answer)."""
        work = Path(tempfile.mkdtemp(prefix="tilth-sbx-"))
        module = work / self.filename
        module.write_text(self.source)
        log = tempfile.TemporaryFile()
        try:  # refused (no sandbox) or failed to start: leave nothing behind
            cmd, kw = confined_command(["-m", "tilth.agent.confined_worker", str(module)], work, self.limits)
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, **kw)
        except BaseException:
            log.close()
            shutil.rmtree(work, ignore_errors=True)
            raise
        self._log = log
        # also at the exit of a pool worker process, which skips atexit (multiprocessing runs these)
        self._finalizer = mp_util.Finalize(self, _shutdown, args=(self.proc, work, log), exitpriority=10)
        for f in (self.proc.stdin, self.proc.stdout):
            _grow_pipe(f.fileno())
        os.set_blocking(self.proc.stdin.fileno(), False)
        header, _ = self._receive(self.start_timeout_s, "start")
        if not header.get("ok"):
            self.close()
            raise ConfinedError(f"generated operator failed to load in the sandbox: {header.get('error')}")
        self.meta = header.get("meta")
        return self.meta

    def call(self, method: str, header: dict | None = None, table: pa.Table | None = None) -> tuple[dict, pa.Table | None]:
        if not self.alive:
            raise ConfinedError(f"sandboxed worker is not running{self._died()}")
        timeout = self.call_timeout_s
        deadline = _now() + timeout
        try:
            _write_all(self.proc.stdin.fileno(), encode({"call": method, **(header or {})}, table), deadline)
        except (BrokenPipeError, TimeoutError) as e:
            self._fail(f"{method}: {type(e).__name__}")
        answer, out = self._receive(max(0.0, deadline - _now()), method)
        if not answer.get("ok"):
            raise ConfinedError(f"{method} failed in the sandbox: {answer.get('error')}")
        return answer, out

    def _receive(self, timeout: float, what: str) -> tuple[dict, pa.Table | None]:
        deadline = _now() + timeout
        fd = self.proc.stdout.fileno()
        try:
            hlen, blen = FRAME.unpack(_read_exact(fd, FRAME.size, deadline))
            if hlen > MAX_HEADER or blen > MAX_BODY:
                self._fail(f"{what}: oversized answer ({hlen} + {blen} bytes)")
            header = json.loads(_read_exact(fd, hlen, deadline))
            body = _read_exact(fd, blen, deadline) if blen else b""
        except TimeoutError:
            self._fail(f"{what}: ran past its wall-clock limit of {timeout:.0f}s and was killed")
        except EOFError:
            self._fail(f"{what}: the sandboxed worker exited")
        except (ValueError, json.JSONDecodeError) as e:
            self._fail(f"{what}: unreadable answer ({e})")
        if not isinstance(header, dict):
            self._fail(f"{what}: unreadable answer (not a JSON object)")
        try:
            return header, bytes_table(body)
        except (pa.ArrowException, ValueError) as e:
            self._fail(f"{what}: unreadable Arrow answer ({e})")

    def _fail(self, msg: str):
        died = self._died(wait=True)
        self.close()
        raise ConfinedError(f"sandboxed operator: {msg}{died}")

    def _died(self, wait: bool = False) -> str:
        if self.proc is None:
            return ""
        if wait and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                return ""
        rc = self.proc.poll()
        if rc is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - 1500))
            tail = self._log.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            tail = ""
        why = "out of memory (MemoryError)" if "MemoryError" in tail else f"exit code {rc}"
        lines = " | ".join(tail.splitlines()[-3:])
        return f" ({why}{': ' + lines if lines else ''})"

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self.proc = None


def _shutdown(proc: subprocess.Popen, work: Path, log) -> None:
    if proc.poll() is None:
        kill(proc)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for f in (proc.stdin, proc.stdout):
        try:
            f.close()
        except OSError:
            pass
    log.close()
    shutil.rmtree(work, ignore_errors=True)


def _grow_pipe(fd: int, size: int = 1 << 20) -> None:
    """Batches are megabytes: a 1 MiB pipe buffer (Linux default 64 KiB) means far fewer wake-ups."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except OSError:
        pass


def _now() -> float:
    import time

    return time.monotonic()


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        left = deadline - _now()
        if left <= 0:
            raise TimeoutError
        _, w, _ = select.select([], [fd], [], left)
        if w:
            try:
                n = os.write(fd, view[: 1 << 20])
            except BlockingIOError:
                continue
            view = view[n:]


def _read_exact(fd: int, n: int, deadline: float) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        left = deadline - _now()
        if left <= 0:
            raise TimeoutError
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        k = os.readv(fd, [view[got:]])
        if not k:
            raise EOFError
        got += k
    return buf


# -- stand-in operators -------------------------------------------------------------------------------
class _Confined:
    """Runs every call of the generated operator in a sandboxed worker owned by this instance."""

    _source: ClassVar[str]
    _filename: ClassVar[str]
    _digest: ClassVar[str]
    confined: ClassVar[bool] = True

    def setup(self) -> None:
        self._worker = None
        self._lock = threading.Lock()

    def _call(self, method: str, table: pa.Table) -> tuple[dict, pa.Table | None]:
        self.ensure_ready()
        with self._lock:
            w = self._worker
            if w is None or not w.alive:
                w = ConfinedWorker(self._source, self._filename)
                meta = w.start()
                if meta.get("name") != self.name:
                    w.close()
                    raise ConfinedError(f"{self.name}: the sandboxed module now describes {meta.get('name')!r}")
                w.call("init", {"params": self.params.model_dump(mode="json")})
                self._worker = w
            return w.call(method, {}, table)

    def close(self) -> None:
        w = getattr(self, "_worker", None)
        if w is not None:
            w.close()
            self._worker = None


class ConfinedMapper(_Confined, Mapper):
    def map(self, batch: pa.Table) -> pa.Table:
        return _need_table(self._call("map", batch)[1], self.name, "map")


class ConfinedFilter(_Confined, Filter):
    def score(self, batch: pa.Table) -> dict[str, Any]:
        t = _need_table(self._call("score", batch)[1], self.name, "score")
        return {n: t.column(n) for n in t.column_names}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        t = _need_table(self._call("keep", scores)[1], self.name, "keep")
        if t.column_names != ["mask", "reason"] or t.num_rows != scores.num_rows:
            raise ConfinedError(f"{self.name}.keep: malformed answer from the sandbox")
        return t.column("mask").to_numpy(zero_copy_only=False).astype(bool), t.column("reason").to_pylist()


class ConfinedGenerator(_Confined, Generator):
    def generate(self, batch: pa.Table) -> pa.Table:
        return _need_table(self._call("generate", batch)[1], self.name, "generate")


def _need_table(t: pa.Table | None, name: str, method: str) -> pa.Table:
    if t is None:
        raise ConfinedError(f"{name}.{method}: the sandbox returned no table")
    return t


# -- loading ------------------------------------------------------------------------------------------
_BASES = {"mapper": ConfinedMapper, "filter": ConfinedFilter, "generator": ConfinedGenerator}
_CLASSES: dict[str, type] = {}  # source digest -> stand-in class
_lock = threading.Lock()


def load_confined(path: str | Path) -> list[str]:
    """Describe a generated module in the sandbox and register its stand-in; return [operator name]."""
    from tilth.ops import registry

    path = Path(path).resolve()
    cls = confined_class(path.read_text(encoding="utf-8"), path.name)
    registry.register(cls)
    return [cls.name]


def confined_class(source: str, filename: str) -> type:
    digest = hashlib.sha256(source.encode()).hexdigest()
    with _lock:
        cls = _CLASSES.get(digest)
        if cls is None:
            w = ConfinedWorker(source, filename)
            try:
                meta = w.start()
            finally:
                w.close()
            cls = _CLASSES[digest] = _make_class(_checked(meta), source, filename, digest)
    return cls


def _checked(meta: Any) -> dict:
    """The worker's metadata is untrusted data: check every field that becomes part of a class."""
    def bad(why):
        raise ConfinedError(f"generated operator: bad metadata from the sandbox ({why})")

    if not isinstance(meta, dict):
        bad("not an object")
    for key in ("name", "kind", "category", "description", "class"):
        if not isinstance(meta.get(key), str):
            bad(f"{key} missing")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", meta["name"]):
        bad(f"name {meta['name']!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", meta["class"]):
        bad("class name")
    if meta["kind"] not in _BASES:
        bad(f"generated operators may be mappers, filters or generators, not {meta['kind']!r}")
    if meta["category"] not in CATEGORIES:
        bad(f"category {meta['category']!r}")
    for key in ("inputs", "outputs"):
        if not (isinstance(meta.get(key), list) and all(isinstance(c, str) for c in meta[key])):
            bad(key)
    if not isinstance(meta.get("params_schema"), dict) or not isinstance(meta.get("params"), list):
        bad("params")
    return meta


_JSON_TYPES = {"integer": int, "number": float, "string": str, "boolean": bool, "array": list, "object": dict,
               "null": type(None)}


def _pytype(schema: dict) -> Any:
    if not isinstance(schema, dict):
        return Any
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        return Literal[tuple(schema["enum"])]
    if "const" in schema:
        return Literal[schema["const"]]
    if "anyOf" in schema and isinstance(schema["anyOf"], list):
        return Union[tuple(_pytype(s) for s in schema["anyOf"])]  # noqa: UP007 (built at run time)
    return _JSON_TYPES.get(schema.get("type"), Any)


def _params_model(meta: dict) -> type[Params]:
    props = meta["params_schema"].get("properties") or {}
    fields = {}
    for p in meta["params"]:
        name = p.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ConfinedError(f"generated operator: bad parameter name {name!r}")
        bounds = {k: v for k, v in (p.get("bounds") or {}).items() if k in ("ge", "gt", "le", "lt")
                  and isinstance(v, int | float)}
        default = ... if p.get("required") else p.get("default")
        fields[name] = (_pytype(props.get(name, {})), Field(default, description=str(p.get("description", "")), **bounds))
    return create_model(f"{meta['class']}Params", __base__=Params, **fields)


def _make_class(meta: dict, source: str, filename: str, digest: str) -> type:
    base = _BASES[meta["kind"]]
    res = meta.get("resources") if isinstance(meta.get("resources"), dict) else {}
    attrs = {
        "name": meta["name"], "category": meta["category"], "description": meta["description"],
        "inputs": tuple(meta["inputs"]), "outputs": tuple(meta["outputs"]), "Params": _params_model(meta),
        "resources": Resources(**{k: v for k, v in res.items() if k in ("cpu", "memory_mb")}),
        "thresholds": tuple((t["score"], t["param"], t["keep_if"]) for t in meta.get("thresholds") or []
                            if isinstance(t, dict) and {"score", "param", "keep_if"} <= set(t)),
        "_source": source, "_filename": filename, "_digest": digest,
        "__module__": __name__, "__doc__": f"Sandboxed stand-in for generated operator {meta['name']} ({filename}).",
    }
    if meta["kind"] == "generator":
        attrs["keep_input"] = bool(meta.get("keep_input", True))
    cls = type(meta["class"], (base,), attrs)
    cls.__qualname__ = f"confined.{meta['class']}"  # not importable: cloudpickle ships it by value
    return cls
