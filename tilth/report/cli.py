"""`tilth report RUN`: (re)write a run's HTML report. Registered on the main CLI in tilth/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(run: Annotated[str, typer.Argument(help="Run name (the recipe's name).")],
           workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                                          "(default: $TILTH_WORKSPACE or ./tilth-workspace).")] = None,
           out: Annotated[Path | None, typer.Option(help="Where to write the HTML "
                                                    "(default: <workspace>/reports/<run>/index.html).")] = None):
    """Write one self-contained HTML report of a run: funnel, drops per reason, score histograms with
    thresholds, dataset statistics, domain distribution, dropped examples, quarantine."""
    from rich.console import Console
    from rich.text import Text

    from tilth.report import write_report
    from tilth.storage import Workspace

    err = Console(stderr=True)
    try:
        path = write_report(Workspace(workspace, read_only=True), run, out)
    except (KeyError, ValueError, FileNotFoundError, RuntimeError) as e:  # unknown run, busy workspace
        err.print(Text.assemble(("error: ", "red"), str(e.args[0] if isinstance(e, KeyError) else e)))
        raise typer.Exit(2) from None
    print(path)
