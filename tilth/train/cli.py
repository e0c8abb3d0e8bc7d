"""`tilth train config.yaml` and `tilth experiment compare config.yaml`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import yaml

WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                                   "(default: $TILTH_WORKSPACE or ./tilth-workspace).")]

experiment_app = typer.Typer(help="Compare data strategies under one token budget.", no_args_is_help=True)


def _workspace(path: Path | None):
    from tilth.storage.workspace import Workspace

    return Workspace(Path(path or os.environ.get("TILTH_WORKSPACE", "tilth-workspace")))


def train_command(config: Annotated[Path, typer.Argument(help="YAML file with TrainConfig fields.")],
                  workspace: WorkspaceOpt = None):
    """Train a causal LM on a workspace table with the configured selector / mixer / reweighter."""
    from tilth.train.trainer import TrainConfig, Trainer

    cfg = TrainConfig(**(yaml.safe_load(config.read_text()) or {}))
    res = Trainer(cfg, workspace=_workspace(workspace)).run()
    final = dict(zip(res.domains, (round(float(v), 4) for v in res.evals[-1][1]), strict=True))
    typer.echo(f"run {res.run}: {len(res.steps)} steps, {res.ms_per_step:.1f} ms/step, final eval loss {final}")


@experiment_app.command("compare")
def compare_command(config: Annotated[Path, typer.Argument(help="Experiment YAML (strategies × seeds).")],
                    workspace: WorkspaceOpt = None):
    """Run every strategy for every seed, log into the workspace and write an HTML report."""
    from tilth.train.experiment import compare, load_experiment

    path = compare(load_experiment(config), _workspace(workspace), progress=typer.echo)
    typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.add_typer(experiment_app, name="experiment")
