"""`tilth train config.yaml` and `tilth experiment compare config.yaml`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                                   "(default: $TILTH_WORKSPACE or ./tilth-workspace).")]

experiment_app = typer.Typer(help="Compare data strategies under one token budget.", no_args_is_help=True)


def _workspace(path: Path | None):
    from tilth.storage.workspace import Workspace

    return Workspace(Path(path or os.environ.get("TILTH_WORKSPACE", "tilth-workspace")))


def train_command(config: Annotated[Path, typer.Argument(help="YAML file with TrainConfig fields.")],
                  workspace: WorkspaceOpt = None,
                  resume: Annotated[bool, typer.Option("--resume", help="Continue from the run's last "
                                                       "checkpoint (`checkpoint_every:`), if it has one.")] = False):
    """Train a causal LM on a workspace table with the configured selector / mixer / reweighter."""
    import yaml

    from tilth.train.trainer import TrainConfig, Trainer

    cfg = TrainConfig(**(yaml.safe_load(config.read_text()) or {}))
    trainer = Trainer(cfg, workspace=_workspace(workspace), resume=resume)
    if resume:
        typer.echo(f"resuming {trainer.run_name} at step {trainer.resumed['next_step']}" if trainer.resumed
                   else f"no checkpoint for {trainer.run_name}: starting at step 0")
    from tilth.train.progress import ProgressLine

    line = ProgressLine(cfg.steps, trainer.data.domains)
    try:
        res = trainer.run(progress=line)
    finally:
        line.close()
    final = dict(zip(res.domains, (round(float(v), 4) for v in res.evals[-1][1]), strict=True))
    typer.echo(f"run {res.run}: {len(res.steps)} steps, {res.ms_per_step:.1f} ms/step, final eval loss {final}")


@experiment_app.command("compare")
def compare_command(config: Annotated[Path, typer.Argument(help="Experiment YAML (strategies × seeds).")],
                    workspace: WorkspaceOpt = None):
    """Run every strategy for every seed, log into the workspace and write an HTML report."""
    from tilth.train.experiment import compare, load_experiment

    cfg = load_experiment(config)
    ws = _workspace(workspace)
    path = compare(cfg, ws, progress=typer.echo)
    _print_summary(ws, cfg.name)
    typer.echo(f"report: {path}")


@experiment_app.command("summary")
def summary_command(name: Annotated[str, typer.Argument(help="Experiment name (the config's `name`).")],
                    workspace: WorkspaceOpt = None):
    """Print an experiment's per-strategy table (final loss, steps to uniform's final) from the database."""
    try:
        _print_summary(_workspace(workspace), name)
    except KeyError as e:
        typer.echo(f"error: {e.args[0]}", err=True)
        raise typer.Exit(1) from None


def _print_summary(ws, name: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from tilth.train.report import load_results, paired_text, summary

    res = load_results(ws, name)
    loss = "mean excess loss" if res["floors"] else "mean held-out loss"
    table = Table(title=f"experiment {name!r}: {len(res['seeds'])} seeds")
    for col in ("strategy", f"final {loss}", " / ".join(res["domains"]), "× steps to uniform's final",
                "× per seed (paired)", "ms/step"):
        table.add_column(col)
    for r in summary(res):
        table.add_row(r["strategy"], f"{r['final_mean']:.4f} ± {r['final_std']:.4f}",
                      " / ".join(f"{v:.3f}" for v in r["per_domain"]),
                      "not reached" if r["ratio"] is None else f"{r['ratio']:.2f}", paired_text(r["paired"]),
                      "" if r["ms"] is None else f"{r['ms']:.1f}")
    Console(width=max(Console().width, 140)).print(table)


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.add_typer(experiment_app, name="experiment")
