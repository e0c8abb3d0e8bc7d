"""Training logs into the workspace database, batched so the DuckDB file is opened only briefly.

Tables (all keyed by `run`): train_runs, train_steps, train_domain_weights, train_eval — so training
results join with data tables in plain SQL.
"""

from __future__ import annotations

import json

import pyarrow as pa

DDL = """
CREATE TABLE IF NOT EXISTS train_runs (run VARCHAR PRIMARY KEY, strategy VARCHAR, seed INTEGER,
    domains VARCHAR, floors VARCHAR, config VARCHAR, started_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS train_steps (run VARCHAR, step INTEGER, tokens BIGINT, loss DOUBLE, ms DOUBLE);
CREATE TABLE IF NOT EXISTS train_domain_weights (run VARCHAR, step INTEGER, domain VARCHAR, weight DOUBLE);
CREATE TABLE IF NOT EXISTS train_eval (run VARCHAR, step INTEGER, domain VARCHAR, loss DOUBLE);
"""
TABLES = ("train_steps", "train_domain_weights", "train_eval")


class RunLog:
    """Buffers rows in memory (always kept, for the caller) and flushes new ones every `flush_every` steps."""

    def __init__(self, workspace, run: str, strategy: str, seed: int, domains: list[str],
                 floors: dict | None, config: dict, flush_every: int = 100, resume_step: int | None = None):
        """`resume_step`: continue a run from a checkpoint taken after that many steps, dropping the rows
        a killed process logged after it (the checkpoint flushed everything before it)."""
        self.ws, self.run, self.domains, self.flush_every = workspace, run, domains, flush_every
        self.rows: dict[str, list[dict]] = {t: [] for t in TABLES}
        self.flushed = {t: 0 for t in TABLES}
        if self.ws is not None:
            with self.ws.connect() as con:
                con.execute(DDL)
                if resume_step is not None:
                    for t in ("train_steps", "train_domain_weights"):
                        con.execute(f"DELETE FROM {t} WHERE run = ? AND step >= ?", [run, resume_step])
                    con.execute("DELETE FROM train_eval WHERE run = ? AND step > ?", [run, resume_step])
                    if con.execute("SELECT count(*) FROM train_runs WHERE run = ?", [run]).fetchone()[0]:
                        return
                else:
                    for t in (*TABLES, "train_runs"):
                        con.execute(f"DELETE FROM {t} WHERE run = ?", [run])
                con.execute("INSERT INTO train_runs (run, strategy, seed, domains, floors, config) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [run, strategy, seed, json.dumps(domains), json.dumps(floors), json.dumps(config)])

    def step(self, step: int, tokens: int, loss: float, ms: float, weights) -> None:
        self.rows["train_steps"].append({"run": self.run, "step": step, "tokens": tokens, "loss": loss, "ms": ms})
        self.rows["train_domain_weights"].extend(
            {"run": self.run, "step": step, "domain": d, "weight": float(w)}
            for d, w in zip(self.domains, weights, strict=True))
        if self.ws is not None and (step + 1) % self.flush_every == 0:
            self.flush()

    def eval(self, step: int, losses) -> None:
        self.rows["train_eval"].extend(
            {"run": self.run, "step": step, "domain": d, "loss": float(v)}
            for d, v in zip(self.domains, losses, strict=True))

    def flush(self) -> None:
        if self.ws is None:
            return
        with self.ws.connect() as con:
            for t in TABLES:
                new = self.rows[t][self.flushed[t]:]
                if new:
                    arrow = pa.Table.from_pylist(new)  # noqa: F841 - read by DuckDB by name
                    con.execute(f"INSERT INTO {t} SELECT * FROM arrow")
                    self.flushed[t] = len(self.rows[t])
