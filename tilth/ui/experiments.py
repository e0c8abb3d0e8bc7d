"""Training runs from the trainer's workspace tables (tilth/train/runlog.py): loss curves, per-domain
evaluation loss and mixture weights over steps. A workspace with no training has none of these tables."""

from __future__ import annotations

import json
from typing import Any

from tilth.report.plots import lines
from tilth.ui.store import Store

POINTS = 400  # a curve is thinned to about this many points: a page needs no 100k-step polyline


def train_runs(store: Store) -> list[dict[str, Any]]:
    if not store.has_table("train_runs"):
        return []
    return store.rows(
        "SELECT r.run, r.strategy, r.seed, r.domains, r.started_at, count(s.step) AS steps, max(s.tokens) AS tokens, "
        "arg_max(s.loss, s.step) AS last_loss, min(s.loss) AS best_loss FROM train_runs r "
        "LEFT JOIN train_steps s ON s.run = r.run GROUP BY ALL ORDER BY r.started_at DESC, r.run")


def _thin(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    every = max(1, len(rows) // POINTS)
    return rows[::every] + ([rows[-1]] if rows and (len(rows) - 1) % every else [])


def figures(store: Store, runs: list[str]) -> dict[str, Any]:
    """Loss curves of the chosen runs (one figure), then per run its mixture weights and eval losses."""
    if not runs or not store.has_table("train_runs"):
        return {"loss": None, "per_run": []}
    known = {r["run"]: r for r in store.rows("SELECT run, strategy, domains, config FROM train_runs")}
    missing = [r for r in runs if r not in known]
    if missing:
        raise KeyError(f"no training run {missing[0]!r} in this workspace")
    loss = []
    per_run = []
    for run in runs:
        steps = _thin(store.rows("SELECT step, loss FROM train_steps WHERE run = ? ORDER BY step", [run]))
        loss.append((f"{run} ({known[run]['strategy']})", [r["step"] for r in steps], [r["loss"] for r in steps]))
        figs = []
        for table, value, title, ylabel in (("train_domain_weights", "weight", "Mixture weights", "weight"),
                                            ("train_eval", "loss", "Evaluation loss per domain", "loss")):
            rows = store.rows(f"SELECT domain, step, {value} AS v FROM {table} WHERE run = ? ORDER BY domain, step",
                              [run])
            by_domain: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_domain.setdefault(r["domain"], []).append(r)
            if by_domain:
                figs.append(lines(f"{title}: {run}", [(d, [r["step"] for r in _thin(v)], [r["v"] for r in _thin(v)])
                                                     for d, v in by_domain.items()], "step", ylabel))
        per_run.append({"run": run, "strategy": known[run]["strategy"],
                        "domains": json.loads(known[run]["domains"] or "[]"), "figures": figs})
    return {"loss": lines("Training loss", loss, "step", "loss"), "per_run": per_run}
