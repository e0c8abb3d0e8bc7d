"""What a pipeline run does about LLMs: resolve (or start) one endpoint for the whole run, share it across
every LLM step, publish it to workers, refresh the llm_* tables after each step, stop the server at the end.

One server per run (not per step or per worker) amortises model start-up across operators sharing a model.
The embedded server is supervised: killed or crashed mid-step, it is restarted (same port when possible,
else the new endpoint is republished) while the workers' requests retry, and the run goes on.
"""

from __future__ import annotations

import logging
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
