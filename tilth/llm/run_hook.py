"""What a pipeline run does about LLMs: resolve (or start) one endpoint for the whole run, share it across
every LLM step, publish it to workers, refresh the llm_* tables after each step, stop the server at the end.

One server per run (not per step or per worker) amortises model start-up across operators sharing a model.
The embedded server is supervised: killed or crashed mid-step, it is restarted (same port when possible,
else the new endpoint is republished) while the workers' requests retry, and the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from pathlib import Path

from tilth.llm.catalog import refresh_llm_tables
from tilth.llm.endpoint import Endpoint, run_endpoint_path

log = logging.getLogger(__name__)


class LLMRunHook:
    def __init__(self, workspace, run: str, ops: list, config: dict | None = None):
        self.ws = workspace
        self.run = run
        self.needed = any(getattr(op.resources, "llm", False) for op in ops)
        self.config = config or {}
        self.server = None
        self.endpoint: Endpoint | None = None

    def start(self) -> LLMRunHook:
        if not self.needed:
            return self
        self.endpoint = Endpoint.from_config(self.config) or Endpoint.from_env()
        if self.endpoint is None:
            from tilth.llm.server import EmbeddedServer

            opts = {k: v for k, v in self.config.items() if k in ("parallel", "threads", "ctx_per_slot")}
            self.server = EmbeddedServer(log_path=Path(self.ws.root) / "llm" / "server.log", **opts).start()
            self.endpoint = self.server.endpoint
            self.server.supervise(max_restarts=int(self.config.get("max_restarts", 3)), on_restart=self._restarted)
        self.endpoint.write_for_run(self.ws.root, self.run)
        return self

    def _restarted(self, server) -> None:
        if server.endpoint != self.endpoint:  # a new port: workers re-read the run's endpoint file
            self.endpoint = server.endpoint
            self.endpoint.write_for_run(self.ws.root, self.run)
        log.warning("run %s: the embedded LLM server was restarted (%d so far); the run goes on", self.run,
                    server.restarts)

    @contextlib.contextmanager
    def watch(self, op, step_name: str, progress, rows: int | None):
        """While an LLM step runs, count its answers as the workers log them (llm/usage segments, flushed per
        answer) and show them as a progress row: a step of many slow requests is otherwise one silent bar."""
        if not self.needed or not getattr(op.resources, "llm", False) or progress is None or progress.disable:
            yield
            return
        stop = threading.Event()
        counter = UsageCounter(Path(self.ws.root) / "llm" / "usage", self.run, step_name)

        def poll():
            tid = None
            while True:
                last = stop.wait(1.0)  # one more count after the step ends: the bar shows its final answers
                n = counter.count()
                if n and tid is None:  # no total: a scope, a language check or an empty text sends fewer
                    said = f"answers ({rows:,} rows in)" if rows else "answers"  # requests than rows, n variants more
                    tid = progress.add_task(f"{step_name} (LLM)", total=None, rows=said)
                if tid is not None:
                    progress.update(tid, completed=n, **({"total": n} if last else {}))
                if last:
                    return

        t = threading.Thread(target=poll, name="llm-progress", daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()

    def after_step(self, op, step) -> None:
        if not self.needed:
            return
        with self.ws.connect() as con:
            refresh_llm_tables(con, self.ws.root)
            if op.name == "llm_judge" and not step.cached:
                from tilth.llm.catalog import record_judge_summary

                record_judge_summary(con, self.run, step)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.needed:
            run_endpoint_path(self.ws.root, self.run).unlink(missing_ok=True)
            try:
                with self.ws.connect() as con:
                    refresh_llm_tables(con, self.ws.root)
            except Exception as e:  # never mask the run's own outcome
                log.warning("could not refresh llm tables: %s", e)


class UsageCounter:
    """Answers logged so far for one step of one run: reads only the bytes appended to the usage segments
    since the last call, and only whole lines."""

    def __init__(self, directory: Path, run: str, step: str):
        self.directory, self.run, self.step = directory, run, step
        self.offsets: dict[Path, int] = {}
        self.n = 0

    def count(self) -> int:
        for f in sorted(self.directory.glob("usage-*.jsonl")) if self.directory.is_dir() else []:
            start = self.offsets.get(f, 0)
            try:
                with open(f, "rb") as fh:
                    fh.seek(start)
                    chunk = fh.read()
            except OSError:
                continue
            end = chunk.rfind(b"\n") + 1  # a line still being written is read next time
            self.offsets[f] = start + end
            for line in chunk[:end].splitlines():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                self.n += r.get("run") == self.run and r.get("step") == self.step
        return self.n
