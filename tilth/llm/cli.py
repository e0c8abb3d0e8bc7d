"""`tilth llm ...`: serve the embedded model, show token usage."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

llm_app = typer.Typer(help="LLM serving: the embedded model server and token accounting.", no_args_is_help=True)
console = Console()


@llm_app.command()
def serve(port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: pick a free one).")] = 0,
          parallel: Annotated[int, typer.Option(help="Requests decoded concurrently (server slots).")] = 4,
          threads: Annotated[int, typer.Option(help="CPU threads (default: all cores).")] = 0,
          model: Annotated[Path | None, typer.Option(help="GGUF file (default: SmolLM2-135M-Instruct).")] = None):
    """Serve the embedded model (xllamacpp, OpenAI-compatible) until Ctrl-C."""
    from tilth.llm.server import EmbeddedServer

    srv = EmbeddedServer(model_path=model, parallel=parallel, threads=threads or None, port=port or None)
    srv.start()
    console.print(f"serving {srv.alias} at {srv.url}  (log: {srv.log_path})")
    console.print(f"  export TILTH_LLM_URL={srv.url} TILTH_LLM_MODEL={srv.alias}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5) and srv.running:
            pass
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


@llm_app.command()
def usage(workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory.")] = None,
          run: Annotated[str | None, typer.Option(help="Only this run.")] = None):
    """Requests, cache hits and tokens per run and step (from the llm_usage table)."""
    from tilth.cli import print_arrow
    from tilth.llm.catalog import refresh_llm_tables
    from tilth.storage.workspace import Workspace

    ws = Workspace(workspace or os.environ.get("TILTH_WORKSPACE", "tilth-workspace"))
    with ws.connect() as con:
        refresh_llm_tables(con, ws.root)
        q = "SELECT * FROM llm_usage_by_step" + (" WHERE run = ?" if run else "")
        table = con.sql(q, params=[run] if run else None).to_arrow_table()
    print_arrow(table, title="LLM usage")
