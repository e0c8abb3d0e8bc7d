"""A readable training loop for causal LMs where data modules see the model as it trains.

One step:  mixture weights → (candidate pool → selector mask) → forward → per-sample losses →
reweighter weights → weighted mean loss → backward/AdamW → mixer observe/update → log.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from tilth.train import checkpoint
from tilth.train.data import DomainData, ensure_builtin, load_domain_data, read_rows, sample_rows
from tilth.train.distributed import Comm
from tilth.train.model import autocast_dtype, build_model, pick_device, token_losses
from tilth.train.modules import build, domain_objective_weights
from tilth.train.runlog import RunLog
from tilth.train.sft import load_sft_data
from tilth.train.shards import open_shards, write_shards
from tilth.train.signals import Signals
from tilth.train.tokenizer import load_tokenizer


class TrainConfig(BaseModel):
    """Everything one run needs; the YAML file of `tilth train` maps onto these fields."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    dataset: str | None = None
    make_dataset: str | None = None  # "synthetic" or "realtext": build that corpus as `dataset` if missing
    text_column: str = "text"
    domain_column: str = "domain"
    tokenizer: str = "byte"  # with `model: {path: ...}` the default is that model's own tokenizer
    model: dict[str, Any] = {}  # tiny-model fields (model.build_model), or {path: DIR or "smollm2"} to fine-tune
    task: str = "pretrain"  # "pretrain": packed text; "sft": chat-formatted rows, loss on reply tokens (sft.py)
    prompt_column: str = "prompt"  # task: sft — a row is prompt + response, or a messages list
    response_column: str = "response"
    messages_column: str = "messages"
    grad_accum: int = 1  # micro-batches per optimizer step; each has batch_size rows (global batch × this)
    bf16: bool = True  # bf16 autocast on a GPU that supports it; CPU always trains in float32 (no-op there)
    seq_len: int = 64
    batch_size: int = 16  # the global batch: split evenly over the processes of a multi-process run
    steps: int = 200
    lr: float = 3e-3
    warmup_steps: int = 20
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    heldout_fraction: float = 0.1
    compact_vocab: bool = False  # renumber the token ids the data uses (see data.load_domain_data)
    shards: bool = False  # stream from per-domain token shards in the workspace (written once; shards.py)
    eval_every: int = 25
    eval_rows: int = 32
    eval_skip: int = 0
    mixer: Any = "static"
    selector: Any = None
    reweighter: Any = None
    grad_layers: list[str] | None = None
    projection_dim: int | None = 128
    reference: dict[str, Any] | None = None  # {"steps": N}: train a uniform reference model first
    run: str | None = None
    strategy: str = "default"
    floors: dict[str, float] | None = None
    flush_every: int = 100
    checkpoint_every: int | None = None  # steps between checkpoints (and one after the last step)
    checkpoint_dir: str | None = None  # default: <workspace>/checkpoints/<run>


@dataclass
class TrainResult:
    run: str
    domains: list[str]
    steps: list[dict] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    evals: list[tuple[int, np.ndarray]] = field(default_factory=list)
    ms_per_step: float = 0.0
    model: torch.nn.Module | None = None


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up then cosine decay to min_lr_ratio · lr."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


class Trainer:
    def __init__(self, cfg: TrainConfig, data: DomainData | None = None, workspace=None,
                 reference_model: torch.nn.Module | None = None, vocab_size: int | None = None,
                 resume: bool = False, comm: Comm | None = None):
        """`resume`: continue from this run's checkpoint when there is one (a fresh start otherwise).
        `comm`: this process's place in a multi-process run (`distributed.from_env()`; one process if None)."""
        self.cfg, self.ws = cfg, workspace
        self.comm = comm = comm or Comm()
        self.run_name = cfg.run or f"{cfg.strategy}-s{cfg.seed}"
        comm.share(cfg.batch_size)  # refuse a global batch that does not split evenly, before any work
        self.resumed = self._load_checkpoint() if resume else None
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        elif comm.enabled and comm.device.type == "cpu":  # N processes on one machine share its cores
            local = int(os.environ.get("LOCAL_WORLD_SIZE", comm.world))
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
        if cfg.task not in ("pretrain", "sft"):
            raise ValueError(f"task must be 'pretrain' or 'sft', not {cfg.task!r}")
        if cfg.grad_accum < 1:
            raise ValueError(f"grad_accum must be ≥ 1, not {cfg.grad_accum}")
        if cfg.grad_accum > 1 and cfg.reweighter is not None:
            raise ValueError("grad_accum > 1 with a reweighter is not supported: its weights need the whole "
                             "batch's losses before the first micro-batch's backward pass")
        self.tokenizer = load_tokenizer(tokenizer_spec(cfg))
        # Rank 0 prepares the data first (it may write the dataset or its shards, and the workspace database
        # admits one process at a time), then the other ranks read it.
        for turn in (0, 1) if comm.enabled else (0,):
            if (turn == 0) == comm.is_main:
                data = self._load_data(data, workspace)
            comm.barrier()
        self.data = data
        self.device = comm.device if comm.device.type == "cuda" else pick_device(cfg.device)
        self.vocab_size = vocab_size or data.vocab_size or self.tokenizer.vocab_size
        self.model = build_model(dict(cfg.model), self.vocab_size, cfg.seq_len, cfg.seed).to(self.device)
        self.ddp = self.model  # what the training forward runs through: DistributedDataParallel when distributed
        if comm.enabled:
            from torch.nn.parallel import DistributedDataParallel

            self.ddp = DistributedDataParallel(self.model, device_ids=[self.device.index]
                                               if self.device.type == "cuda" else None)
        self.mixer = build("mixer", cfg.mixer) or build("mixer", "static")
        self.selector = build("selector", cfg.selector)
        self.reweighter = build("reweighter", cfg.reweighter)
        self.mixer.domain_sizes = np.array([len(t) for t in data.train], dtype=np.int64)
        self.mixer.setup(data.n_domains)
        if reference_model is None and self.resumed is not None and self.resumed["reference"] is not None:
            reference_model = build_model(dict(cfg.model), self.vocab_size, cfg.seq_len, cfg.seed).to(self.device)
            reference_model.load_state_dict(self.resumed["reference"])
            reference_model.eval()
        elif reference_model is None and cfg.reference:
            reference_model = train_reference(cfg, data, self.vocab_size, comm)
        self.signals = Signals(self.model, data, self.device, cfg.eval_rows, cfg.eval_skip, cfg.grad_layers,
                               cfg.projection_dim, reference_model, cfg.seed, comm)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                                     betas=(0.9, 0.95))
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.amp = autocast_dtype(self.device, cfg.bf16)
        if self.resumed is not None:
            checkpoint.restore(self, self.resumed)

    def _load_data(self, data: DomainData | None, workspace) -> DomainData:
        cfg = self.cfg
        if data is None:
            if workspace is None or cfg.dataset is None:
                raise ValueError("give `data` or a workspace plus `dataset`")
            if cfg.make_dataset:
                ensure_builtin(workspace, cfg.dataset, cfg.make_dataset)
            if cfg.task == "sft":
                data = self._load_sft(workspace)
            elif cfg.shards:
                if cfg.compact_vocab:
                    raise ValueError("compact_vocab needs the whole corpus in memory; it does not work with shards")
                folder = write_shards(workspace, cfg.dataset, self.tokenizer, tokenizer_spec(cfg), cfg.text_column,
                                      cfg.domain_column, cfg.heldout_fraction)
                data = open_shards(folder, cfg.seq_len)
            else:
                data = load_domain_data(workspace, cfg.dataset, self.tokenizer, cfg.seq_len, cfg.text_column,
                                        cfg.domain_column, cfg.heldout_fraction, cfg.seed,
                                        compact_vocab=cfg.compact_vocab)
        return data

    def _load_sft(self, workspace) -> DomainData:
        cfg = self.cfg
        if cfg.shards or cfg.compact_vocab or cfg.eval_skip:
            raise ValueError("task: sft does not use shards, compact_vocab or eval_skip")
        if not hasattr(self.tokenizer, "tok"):
            raise ValueError("task: sft needs a Hugging Face tokenizer with a chat template: set "
                             "`model: {path: DIR}` (its tokenizer is used) or `tokenizer: DIR`")
        return load_sft_data(workspace, cfg.dataset, self.tokenizer.tok, cfg.seq_len, cfg.prompt_column,
                             cfg.response_column, cfg.messages_column, cfg.domain_column, cfg.heldout_fraction,
                             cfg.seed)

    @property
    def checkpoint_path(self) -> Path | None:
        if self.cfg.checkpoint_dir:
            return Path(self.cfg.checkpoint_dir) / "last.pt"
        if self.ws is None:
            return None
        return Path(self.ws.root) / "checkpoints" / self.run_name.replace("/", "_") / "last.pt"

    def _load_checkpoint(self) -> dict | None:
        path = self.checkpoint_path
        if path is None or not path.exists():
            return None
        state = checkpoint.load(path, pick_device(self.cfg.device))
        # a field added since the checkpoint was written (task, grad_accum, ...) counts as its default there
        saved = {**TrainConfig.model_construct().model_dump(), **state["config"]}
        checkpoint.check_config(saved, self.cfg.model_dump())
        return state

    def save_checkpoint(self, next_step: int, res: TrainResult, total_ms: float, rlog: RunLog) -> None:
        """Flush the log first, so the database holds every row up to the checkpoint it is resumed from."""
        path = self.checkpoint_path
        if path is None:
            raise ValueError("checkpoint_every needs a workspace or a checkpoint_dir")
        rlog.flush()
        history = {"steps": res.steps, "weights": res.weights, "evals": res.evals, "total_ms": total_ms}
        checkpoint.save_atomic(checkpoint.capture(self, next_step, history), path)

    def forward_losses(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device.type, dtype=self.amp, enabled=self.amp is not None):
            return token_losses(self.ddp, x)

    def train_step(self, step: int) -> tuple[float, np.ndarray]:
        cfg, sig, comm = self.cfg, self.signals, self.comm
        weights = np.asarray(self.mixer.probe_weights(step, sig), dtype=np.float64)
        select = self.selector is not None and self.selector.schedule.active(step)
        n_batch = cfg.batch_size * cfg.grad_accum
        n_pool = n_batch * (self.selector.pool_factor if select else 1)
        # Every rank draws the same global pool (same generator, same calls) ...
        dom, rows = sample_rows(self.data, weights, n_pool, self.gen, self.mixer.carry)
        x = None
        if select:  # ... selects on all of it (identical state everywhere; rank 0's mask is kept) ...
            x = read_rows(self.data, rows, dom)
            sig.pool_rows = rows
            mask = self.selector.select(step, x.to(self.device), dom, n_batch, sig)
            mask = comm.broadcast(mask.to(torch.uint8)).bool() if comm.enabled else mask
            x, dom, rows = x[mask], dom[mask], rows[mask]
        # ... and trains on its own contiguous share of the global batch (all of it with one process)
        own = comm.share(len(rows))
        global_dom = dom
        dom, rows = dom[own], rows[own]
        x = (read_rows(self.data, rows, dom) if x is None else x[own]).to(self.device)
        for g in self.opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        self.opt.zero_grad(set_to_none=True)
        row_w = torch.ones(len(x), device=self.device)
        domain_alpha = self.mixer.loss_weights()
        if domain_alpha is not None:  # the mixer weighs domains in the objective; log those weights
            row_w = row_w * domain_objective_weights(domain_alpha, global_dom)[own].to(self.device)
            weights = np.asarray(domain_alpha, dtype=np.float64) / np.sum(domain_alpha)
        if cfg.grad_accum > 1:
            tok_loss = self._accumulate(x, row_w)
            sig.new_step(step, x, dom, tok_loss, rows)
            per_sample = tok_loss.mean(dim=1)
            return self._finish_step(step, per_sample, weights)
        tok_loss = self.forward_losses(x)
        sig.new_step(step, x, dom, tok_loss, rows)
        per_sample = tok_loss.mean(dim=1)
        if self.reweighter is not None and self.reweighter.schedule.active(step):
            if comm.enabled:  # weights from the whole batch's losses (identical on every rank), this rank's share
                w = self.reweighter.weights(step, sig.global_per_sample.to(per_sample.device), global_dom, sig)
                row_w = row_w * w[own].to(per_sample.device)
            else:
                row_w = row_w * self.reweighter.weights(step, per_sample, dom, sig).to(per_sample.device)
        loss = (row_w * per_sample).mean()  # DDP averages the ranks' gradients: the global batch's mean
        loss.backward()
        return self._finish_step(step, per_sample, weights)

    def _accumulate(self, x: torch.Tensor, row_w: torch.Tensor) -> torch.Tensor:
        """Backward over `grad_accum` micro-batches of x, each loss scaled by its share of the rows, so the
        summed gradients are those of the whole batch's weighted mean. Returns the detached token losses."""
        chunks, losses = torch.arange(len(x)).chunk(self.cfg.grad_accum), []
        for i, idx in enumerate(chunks):
            last = i == len(chunks) - 1
            sync = contextlib.nullcontext() if last or not self.comm.enabled else self.ddp.no_sync()
            with sync:
                tok = self.forward_losses(x[idx])
                ((row_w[idx] * tok.mean(dim=1)).sum() / len(x)).backward()
            losses.append(tok.detach())
        return torch.cat(losses)

    def _finish_step(self, step: int, per_sample: torch.Tensor, weights: np.ndarray) -> tuple[float, np.ndarray]:
        cfg, sig, comm = self.cfg, self.signals, self.comm
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.opt.step()
        self.mixer.observe(step, sig)
        if not self.mixer.self_scheduled and self.mixer.schedule.active(step):
            self.mixer.update(step, sig)
        if comm.enabled:
            return float(sig.global_per_sample.mean()), weights
        return float(per_sample.detach().mean()), weights

    def run(self, log: bool = True, progress=None, stop_after: int | None = None) -> TrainResult:
        """Train to `cfg.steps` (from the checkpoint's step when resumed); `progress` (a ProgressLine or
        anything with its `update`) sees every step. `stop_after`: return after that many steps, as a process
        killed there would stop (the schedule still runs to `cfg.steps`; tests of resuming use it).

        With several processes only rank 0 logs into the workspace, shows progress and writes checkpoints."""
        cfg, run, start = self.cfg, self.run_name, 0
        main = self.comm.is_main
        log, progress = log and main, progress if main else None
        res = TrainResult(run, self.data.domains)
        total_ms = 0.0
        if self.resumed is not None:
            start, hist = self.resumed["next_step"], self.resumed["history"]
            res.steps, res.weights, res.evals = list(hist["steps"]), list(hist["weights"]), list(hist["evals"])
            total_ms = hist["total_ms"]
        rlog = RunLog(self.ws if log else None, run, cfg.strategy, cfg.seed, self.data.domains, cfg.floors,
                      cfg.model_dump(), cfg.flush_every, resume_step=start if self.resumed is not None else None)
        tokens_per_step = cfg.batch_size * cfg.grad_accum * cfg.seq_len
        every = cfg.checkpoint_every
        self.model.train()
        for step in range(start, cfg.steps if stop_after is None else min(stop_after, cfg.steps)):
            t0 = time.perf_counter()
            loss, weights = self.train_step(step)
            ms = (time.perf_counter() - t0) * 1000
            total_ms += ms
            rlog.step(step, (step + 1) * tokens_per_step, loss, ms, weights)
            if progress is not None:
                progress.update(step + 1, loss, (step + 1) * tokens_per_step, weights)
            res.steps.append({"step": step, "loss": loss, "ms": ms})
            res.weights.append(weights)
            if (step + 1) % cfg.eval_every == 0 or step == cfg.steps - 1:
                ev = self.signals.eval_losses().copy()
                self.signals._cache.pop(("step", "eval"), None)  # logging evals are not module signals
                rlog.eval(step + 1, ev)
                res.evals.append((step + 1, ev))
            if every and ((step + 1) % every == 0 or step == cfg.steps - 1) and main:
                self.save_checkpoint(step + 1, res, total_ms, rlog)
        rlog.flush()
        res.ms_per_step = total_ms / max(cfg.steps, 1)
        res.model = self.model
        return res


def tokenizer_spec(cfg: TrainConfig) -> str:
    """The tokenizer to load: a fine-tuned model's own unless the config names another."""
    path = cfg.model.get("path") if isinstance(cfg.model, dict) else None
    return path if path and cfg.tokenizer == "byte" else cfg.tokenizer


def train_reference(cfg: TrainConfig, data: DomainData, vocab_size: int, comm: Comm | None = None) -> torch.nn.Module:
    """A reference model trained with the uniform static mixture and no modules.

    `reference: {steps: N, on: train}` (DoReMi's reference) or `on: heldout` (RHO-LOSS's irreducible-loss
    model, trained on the held-out split so that it has not seen the candidate rows).
    """
    if cfg.reference.get("on", "train") == "heldout":
        data = replace(data, train=data.heldout)  # (keeps the compacted vocabulary too)
    ref_cfg = cfg.model_copy(update={"mixer": "static", "selector": None, "reweighter": None,
                                     "reference": None, "steps": int(cfg.reference.get("steps", cfg.steps)),
                                     "checkpoint_every": None})
    ref = Trainer(ref_cfg, data, None, vocab_size=vocab_size, comm=comm).run(log=False).model
    ref.eval()
    return copy.deepcopy(ref)


def train(config: TrainConfig | dict, workspace=None, data: DomainData | None = None) -> TrainResult:
    """Python API: one training run, logged into `workspace` when given."""
    cfg = config if isinstance(config, TrainConfig) else TrainConfig(**config)
    return Trainer(cfg, data, workspace).run()
