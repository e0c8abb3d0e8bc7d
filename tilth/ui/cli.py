"""`tilth ui`, registered on the main CLI by one line in tilth/cli.py. FastAPI and uvicorn are imported
inside the command: `import tilth.cli` stays light for every other command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

LOCAL = ("127.0.0.1", "localhost", "::1")


def ui(workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                                      "(default: $TILTH_WORKSPACE or ./tilth-workspace).")] = None,
       host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1/localhost needs --token.")] = "127.0.0.1",
       port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8765,
       token: Annotated[str | None, typer.Option(help="Require this token on every request (also $TILTH_UI_TOKEN); "
                                                 "'auto' makes one up and prints the URL with it.")] = None,
       planner: Annotated[str, typer.Option(help="Agent planner: auto, offline or llm.")] = "auto",
       no_embed: Annotated[bool, typer.Option("--no-embed", help="Agent retrieval by BM25 only (skips MiniLM).")] = False):
    """Open the workspace in a browser: datasets, lineage, SQL, the agent, human evaluation, experiments."""
    import uvicorn

    from tilth.storage.workspace import default_workspace
    from tilth.ui.app import create_app

    token = token or os.environ.get("TILTH_UI_TOKEN") or None
    if token == "auto":
        import secrets  # (3 ms: hmac, hashlib; not for every command)

        token = secrets.token_urlsafe(24)
    if host not in LOCAL and not token:
        raise ValueError(f"--host {host} lets other machines read this workspace; add --token auto (or --token SECRET) "
                         "so that only people with the URL can")
    root = Path(workspace or default_workspace())
    allowed = (*LOCAL, "testserver") if host in LOCAL else None  # a local UI answers only to local names
    app = create_app(root, token=token, planner=planner, use_embeddings=not no_embed, allowed_hosts=allowed)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)

    def announce():
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{bound}/" + (f"?token={token}" if token else "")
        typer.echo(f"Tilth UI for {app.state.store.root}: {url}  (Ctrl+C stops it)")

    import asyncio

    async def serve():
        serve_task = asyncio.create_task(server.serve())
        while not server.started and not serve_task.done():
            await asyncio.sleep(0.05)
        if server.started:
            announce()
        await serve_task

    asyncio.run(serve())


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
