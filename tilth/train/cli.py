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
                                                       "checkpoint (`checkpoint_every:`), if it has one.")] = False,
                  nproc: Annotated[int, typer.Option("--nproc", help="Local processes (DistributedDataParallel; "
                                                     "gloo on CPU, NCCL on GPU); `batch_size` is the global "
                                                     "batch. Under torchrun its variables decide.")] = 1):
    """Train a causal LM on a workspace table with the configured selector / mixer / reweighter."""
    import yaml

    from tilth.train.trainer import TrainConfig

    raw = yaml.safe_load(config.read_text()) or {}
    TrainConfig(**raw)  # refuse a bad config before any process starts
    root = str(_workspace(workspace).root)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 or nproc <= 1:  # torchrun started this process, or one
        train_worker([raw], root, resume)
    else:
        from tilth.train.distributed import launch

        launch(nproc, train_worker, [raw], root, resume)


def train_worker(configs: list[dict], workspace: str | None, resume: bool = False, results: str | None = None,
                 stop_after: dict[str, int] | None = None) -> None:
    """One process of `tilth train` (all of it with one process): join the process group torchrun's
    variables describe, train each config in turn; rank 0 prints. `results`: a folder where every rank saves
    its losses and weights per run (`<run>.rank<r>.pt`, for tests); `stop_after`: run name → step at which
    that run stops as if killed (`Trainer.run`; tests of resuming)."""
    import torch

    from tilth.storage.workspace import Workspace
    from tilth.train.distributed import close, from_env
    from tilth.train.progress import ProgressLine
    from tilth.train.trainer import TrainConfig, Trainer

    comm = from_env(use_cuda=all(raw.get("device", "auto") in ("auto", "cuda") for raw in configs))
    try:
        ws = Workspace(workspace) if workspace else None
        for raw in configs:
            cfg = TrainConfig(**raw)
            trainer = Trainer(cfg, workspace=ws, resume=resume, comm=comm)
            if resume and comm.is_main:
                typer.echo(f"resuming {trainer.run_name} at step {trainer.resumed['next_step']}" if trainer.resumed
                           else f"no checkpoint for {trainer.run_name}: starting at step 0")
            line = ProgressLine(cfg.steps, trainer.data.domains) if comm.is_main and results is None else None
            try:
                res = trainer.run(progress=line, stop_after=(stop_after or {}).get(trainer.run_name))
            finally:
                if line is not None:
                    line.close()
            if results is not None:
                torch.save({"losses": [s["loss"] for s in res.steps], "weights": res.weights, "evals": res.evals,
                            "mixer": trainer.mixer.weights, "ms_per_step": res.ms_per_step,
                            "params": {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}},
                           Path(results) / f"{trainer.run_name}.rank{comm.rank}.pt")
            if comm.is_main and res.evals:
                final = dict(zip(res.domains, (round(float(v), 4) for v in res.evals[-1][1]), strict=True))
                procs = f" on {comm.world} processes" if comm.enabled else ""
                typer.echo(f"run {res.run}: {len(res.steps)} steps{procs}, {res.ms_per_step:.1f} ms/step, "
                           f"final eval loss {final}")
    finally:
        close(comm)


@experiment_app.command("compare")
def compare_command(config: Annotated[Path, typer.Argument(help="Experiment YAML (strategies × seeds).")],
                    workspace: WorkspaceOpt = None):
    """Run every strategy for every seed, log into the workspace and write an HTML report."""
    from tilth.train.experiment import compare, load_experiment

    cfg = load_experiment(config)
    ws = _workspace(workspace)
    path = compare(cfg, ws, progress=typer.echo)
    _print_summary(ws, cfg.name, cfg.baseline)
    typer.echo(f"report: {path}")


@experiment_app.command("summary")
def summary_command(name: Annotated[str, typer.Argument(help="Experiment name (the config's `name`).")],
                    workspace: WorkspaceOpt = None,
                   baseline: Annotated[str, typer.Option(help="Strategy to measure speed-ups against.")] = "uniform"):
    """Print an experiment's per-strategy table (final loss, steps to the baseline's final) from the database."""
    try:
        _print_summary(_workspace(workspace), name, baseline)
    except KeyError as e:
        typer.echo(f"error: {e.args[0]}", err=True)
        raise typer.Exit(1) from None


def _print_summary(ws, name: str, baseline: str = "uniform") -> None:
    from rich.console import Console
    from rich.table import Table

    from tilth.train.report import load_results, paired_text, summary

    res = load_results(ws, name)
    loss = "mean excess loss" if res["floors"] else "mean held-out loss"
    table = Table(title=f"experiment {name!r}: {len(res['seeds'])} seeds")
    for col in ("strategy", f"final {loss}", "worst domain", " / ".join(res["domains"]),
                f"× steps to {baseline}'s final", "× per seed (paired)", "ms/step"):
        table.add_column(col)
    for r in summary(res, baseline):
        table.add_row(r["strategy"], f"{r['final_mean']:.4f} ± {r['final_std']:.4f}",
                      f"{r['final_worst']:.4f} ± {r['worst_std']:.4f}",
                      " / ".join(f"{v:.3f}" for v in r["per_domain"]),
                      "not reached" if r["ratio"] is None else f"{r['ratio']:.2f}", paired_text(r["paired"]),
                      "" if r["ms"] is None else f"{r['ms']:.1f}")
    Console(width=max(Console().width, 140)).print(table)


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.add_typer(experiment_app, name="experiment")
