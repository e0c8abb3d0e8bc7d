"""Tilth's data modules inside a `transformers.Trainer` script.

The mixers, selectors and reweighters are the objects of `tilth.train.mixers` / `selectors` /
`reweighters`, unchanged; this module only feeds them what Tilth's own trainer feeds them:

* `DomainDataset` wraps packed, fixed-length `input_ids` rows and their domain labels (rows ordered by
  domain, so a row's index is Tilth's global row id) and yields `input_ids` plus its domain and row id.
* `MixtureSampler` draws each batch per domain from the mixer's current weights (`data.domain_counts`, the
  same counts and the same row draws as Tilth's `sample_batch`).
* `TilthTrainer` (= `TilthLossMixin` + `transformers.Trainer`) overrides `compute_loss` only: the selector
  keeps rows of the candidate batch before the forward pass, per-token losses come with reduction='none',
  and the per-sample losses are multiplied by the mixer's domain loss weights (DoReMi `proxy: reweight`)
  and the reweighter's weights; it installs the sampler and `TilthCallback`.
* `TilthCallback` runs at each optimizer step's end: `Signals.new_step` with the step's rows and losses
  (all gradient-accumulation micro-batches together), then `mixer.observe` and, on schedule,
  `mixer.update`; it adds the weights to the Trainer's logs.

Why a `compute_loss` override and not `compute_loss_func`: that hook sees only (outputs, labels), so it can
neither learn each row's domain nor drop rows before the forward pass; a model wrapper would break
`save_pretrained` and PEFT. A mixin keeps the rest of the Trainer (and subclasses such as TRL's) intact.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from transformers import Trainer, TrainerCallback

from tilth.train.data import DomainData, domain_counts
from tilth.train.model import token_losses
from tilth.train.modules import Mixer, Reweighter, Selector, build, domain_objective_weights
from tilth.train.signals import Signals

KEYS = ("tilth_domain", "tilth_row")


class DomainDataset(torch.utils.data.Dataset):
    """Packed token rows of equal length with a domain each, reordered by domain (stable, domains sorted by
    name), so that index = Tilth's global row id (`DomainData.offsets[d] + index within domain d`)."""

    def __init__(self, input_ids, domains: Sequence, names: Sequence[str] | None = None):
        labels = [str(d) for d in domains]
        self.names = list(names) if names is not None else sorted(set(labels))
        code = {n: i for i, n in enumerate(self.names)}
        dom = np.array([code[s] for s in labels], dtype=np.int64)
        self.order = np.argsort(dom, kind="stable")  # global row id → index in `input_ids`
        self.domain_of = dom[self.order]
        self.offsets = np.concatenate([[0], np.cumsum(np.bincount(dom, minlength=len(self.names)))]).astype(np.int64)
        self.input_ids = input_ids

    @classmethod
    def from_hf(cls, dataset, domain_column: str, names: Sequence[str] | None = None,
                input_column: str = "input_ids") -> DomainDataset:
        """From a `datasets.Dataset` of packed rows (e.g. `run_clm.py`'s `group_texts` output) with a domain
        column; rows are read lazily."""
        return cls(_Column(dataset, input_column), dataset[domain_column], names)

    def __len__(self) -> int:
        return len(self.order)

    def rows(self, ids) -> torch.Tensor:
        """Token rows [n, L] for global row ids."""
        idx = self.order[np.asarray(ids, dtype=np.int64)]
        return torch.as_tensor(np.asarray([np.asarray(self.input_ids[int(i)]) for i in idx]), dtype=torch.long)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.rows([i])[0], "tilth_domain": int(self.domain_of[i]), "tilth_row": int(i)}

    def domain_data(self, heldout: DomainDataset | None = None) -> DomainData:
        """The `DomainData` Tilth's `Signals` reads (training rows lazily; held-out rows, for `eval_losses`
        and target gradients, materialised per domain)."""
        train = [_DomainRows(self, d) for d in range(len(self.names))]
        if heldout is None:
            width = len(self.rows([0])[0]) if len(self) else 1
            held = [torch.zeros((0, width), dtype=torch.long) for _ in self.names]
        else:
            if heldout.names != self.names:
                raise ValueError(f"held-out domains {heldout.names} differ from training domains {self.names}")
            held = [heldout.rows(np.arange(heldout.offsets[d], heldout.offsets[d + 1]))
                    for d in range(len(self.names))]
        return DomainData(self.names, train, held)


class _Column:
    """`dataset[column][i]` without reading the whole column."""

    def __init__(self, dataset, column: str):
        self.dataset, self.column = dataset, column

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int):
        return self.dataset[i][self.column]


class _DomainRows:
    """Domain d's training rows, read on demand (what `DomainData.train[d]` may be)."""

    def __init__(self, ds: DomainDataset, d: int):
        self.ds, self.lo, self.hi = ds, int(ds.offsets[d]), int(ds.offsets[d + 1])

    def __len__(self) -> int:
        return self.hi - self.lo

    def __getitem__(self, idx) -> torch.Tensor:
        ids = np.arange(self.lo, self.hi)[idx.numpy() if isinstance(idx, torch.Tensor) else idx]
        return self.ds.rows(np.atleast_1d(ids))


class MixtureSampler(torch.utils.data.Sampler):
    """Global row ids, `batch_size` at a time, drawn per domain by `mixer.probe_weights` read when the
    batch is drawn: domain counts by `domain_counts` (multinomial, or stratified for mixers with a carry),
    then rows uniformly within each domain, exactly as Tilth's `sample_batch` draws them.

    `step` is set by `TilthCallback` to the number of finished optimizer steps. The DataLoader asks for a
    batch before it is trained on (accelerate looks one batch ahead, gradient accumulation fetches a
    step's micro-batches together), so a batch may be drawn with the weights of one step earlier than in
    Tilth's own trainer."""

    def __init__(self, dataset: DomainDataset, mixer: Mixer, batch_size: int, num_samples: int | None = None,
                 seed: int = 0, signals=None):
        self.dataset, self.mixer, self.batch_size = dataset, mixer, batch_size
        self.num_samples = num_samples or len(dataset)
        self.gen = torch.Generator().manual_seed(seed)
        self.signals, self.step = signals, 0
        self.lens = np.diff(dataset.offsets)

    def __len__(self) -> int:
        return self.num_samples

    def draw(self) -> tuple[torch.Tensor, np.ndarray]:
        """One batch: global row ids and the weights it was drawn with."""
        weights = np.asarray(self.mixer.probe_weights(self.step, self.signals), dtype=np.float64)
        counts = domain_counts(weights, self.batch_size, self.gen, self.mixer.carry)
        rows = [torch.randint(int(self.lens[d]), (int(c),), generator=self.gen) + int(self.dataset.offsets[d])
                for d, c in enumerate(counts) if c]
        return torch.cat(rows), weights

    def __iter__(self):
        done = 0
        while done < self.num_samples:
            rows, _ = self.draw()
            yield from rows[: self.num_samples - done].tolist()
            done += len(rows)


def collate(items: list[dict]) -> dict:
    """Stack rows (`labels` = `input_ids`, for the Trainer's own evaluation); domain ids and row ids ride
    along as `tilth_domain`, `tilth_row`."""
    x = torch.stack([it["input_ids"] for it in items])
    return {"input_ids": x, "labels": x,
            **{k: torch.tensor([it[k] for it in items], dtype=torch.long) for k in KEYS}}


class TilthState:
    """The modules, their `Signals`, and what the current optimizer step's micro-batches gave them."""

    def __init__(self, mixer, selector, reweighter, signals: Signals, n_domains: int):
        self.mixer: Mixer = build("mixer", mixer) if isinstance(mixer, str | dict) else mixer
        self.mixer = self.mixer or build("mixer", "static")
        self.selector: Selector | None = build("selector", selector) if isinstance(selector, str | dict) else selector
        self.reweighter: Reweighter | None = (build("reweighter", reweighter) if isinstance(reweighter, str | dict)
                                              else reweighter)
        if not hasattr(self.mixer, "weights"):
            self.mixer.setup(n_domains)
        self.signals = signals
        self.pending: list[tuple] = []
        self.sampler: MixtureSampler | None = None
        self.history: list[np.ndarray] = []  # mixture weights after each optimizer step

    def state_dict(self) -> dict:
        mods = {"mixer": self.mixer, "selector": self.selector, "reweighter": self.reweighter}
        return {**{k: m.state_dict() for k, m in mods.items() if m is not None},
                "signals": self.signals.state_dict(), "history": list(self.history)}

    def load_state_dict(self, state: dict) -> None:
        for k in ("mixer", "selector", "reweighter"):
            if k in state and getattr(self, k) is not None:
                getattr(self, k).load_state_dict(state[k])
        self.signals.load_state_dict(state["signals"])
        self.history = list(state["history"])

    def loss(self, model, step: int, x: torch.Tensor, dom: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Weighted mean per-sample loss of one (micro-)batch, as in `tilth.train.trainer.Trainer.train_step`."""
        sig = self.signals
        if self.selector is not None and self.selector.schedule.active(step):
            n = max(1, len(x) // self.selector.pool_factor)
            sig.pool_rows = rows.cpu()
            mask = self.selector.select(step, x, dom.cpu(), n, sig).to(x.device)
            x, dom, rows = x[mask], dom[mask], rows[mask]
        tok = token_losses(model, x)
        per_sample = tok.mean(dim=1)
        row_w = torch.ones_like(per_sample)
        alpha = self.mixer.loss_weights()
        if alpha is not None:
            row_w = row_w * domain_objective_weights(alpha, dom.cpu()).to(per_sample.device)
        if self.reweighter is not None and self.reweighter.schedule.active(step):
            row_w = row_w * self.reweighter.weights(step, per_sample, dom.cpu(), sig).to(per_sample.device)
        self.pending.append((x.detach(), dom.cpu(), tok.detach(), rows.cpu()))
        return (row_w * per_sample).mean()

    def end_step(self, step: int) -> None:
        """After optimizer step `step` (0-based): the signals see all its rows, then observe / update."""
        if not self.pending:
            return
        x, dom, tok, rows = (torch.cat(t) for t in zip(*self.pending, strict=True))
        self.pending = []
        self.signals.new_step(step, x, dom, tok, rows)
        self.mixer.observe(step, self.signals)
        if not self.mixer.self_scheduled and self.mixer.schedule.active(step):
            self.mixer.update(step, self.signals)
        self.history.append(np.asarray(self.mixer.weights, dtype=np.float64).copy())
        if self.sampler is not None:
            self.sampler.step = step + 1


class TilthCallback(TrainerCallback):
    """Feeds the modules at each optimizer step's end."""

    def __init__(self, state: TilthState):
        self.tilth = state

    def on_step_end(self, args, state, control, **kwargs):
        self.tilth.end_step(state.global_step - 1)


class TilthLossMixin:
    """Put before a `transformers.Trainer` (sub)class: `class T(TilthLossMixin, SFTTrainer)`.

    Extra keyword arguments: `mixer`, `selector`, `reweighter` (module objects, or their YAML form: a name
    or a mapping), `reference_model` (DoReMi, RHO-LOSS), `heldout` (a `DomainDataset` of held-out rows:
    Aioli's evals, DoGE/LESS target gradients), `tilth_seed`, `projection_dim`, `grad_layers`,
    `eval_rows`, `eval_skip` (as in Tilth's config). `train_dataset` must be a `DomainDataset`; with a
    selector, the per-device batch is the candidate pool and `batch // pool_factor` rows are trained on.
    """

    def __init__(self, *args, mixer=None, selector=None, reweighter=None, reference_model=None,
                 heldout: DomainDataset | None = None, tilth_seed: int = 0, projection_dim: int | None = 128,
                 grad_layers: list[str] | None = None, eval_rows: int = 32, eval_skip: int = 0, **kwargs):
        kwargs.setdefault("data_collator", collate)
        super().__init__(*args, **kwargs)
        ds = self.train_dataset
        if not isinstance(ds, DomainDataset):
            raise TypeError("train_dataset must be a tilth.train.hf.DomainDataset")
        self.tilth_seed = tilth_seed
        device = self.args.device
        if reference_model is not None:
            reference_model = reference_model.to(device).eval()
        signals = Signals(self.model, ds.domain_data(heldout), device, eval_rows, eval_skip, grad_layers,
                          projection_dim, reference_model, tilth_seed)
        self.tilth = TilthState(mixer, selector, reweighter, signals, len(ds.names))
        self.add_callback(TilthCallback(self.tilth))
        self.loss_is_scaled_for_ga = False  # a per-micro-batch mean: the Trainer divides by the accumulation steps

    def log(self, logs: dict, *args, **kwargs) -> None:
        """Training log lines also carry the mixture weights, as `weight/<domain>`."""
        if "loss" in logs:
            names = self.train_dataset.names
            logs = {**logs, **{f"weight/{n}": float(w) for n, w in zip(names, self.tilth.mixer.weights, strict=True)}}
        super().log(logs, *args, **kwargs)

    STATE_FILE = "tilth_modules.pt"

    def _save_checkpoint(self, model, trial) -> None:
        """The Trainer's checkpoint, plus every module's `state_dict()` and the signals' memories."""
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial), f"checkpoint-{self.state.global_step}")
            torch.save(self.tilth.state_dict(), os.path.join(folder, self.STATE_FILE))

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model=None) -> None:
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        path = os.path.join(resume_from_checkpoint, self.STATE_FILE)
        if os.path.exists(path):
            self.tilth.load_state_dict(torch.load(path, map_location="cpu", weights_only=False))

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        self._signature_columns += [k for k in KEYS if k not in self._signature_columns]

    def _get_train_sampler(self, train_dataset=None):
        ds = train_dataset if train_dataset is not None else self.train_dataset
        sampler = MixtureSampler(ds, self.tilth.mixer, self._train_batch_size, len(ds), self.tilth_seed,
                                 self.tilth.signals)
        sampler.step = self.state.global_step
        self.tilth.sampler = sampler
        return sampler

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if "tilth_domain" not in inputs or not model.training:
            inputs = {k: v for k, v in inputs.items() if k not in KEYS}
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        loss = self.tilth.loss(model, self.state.global_step, inputs["input_ids"], inputs["tilth_domain"],
                               inputs["tilth_row"])
        return (loss, {"loss": loss}) if return_outputs else loss


class TilthTrainer(TilthLossMixin, Trainer):
    """`transformers.Trainer` with Tilth's mixer, selector and reweighter (see `TilthLossMixin`)."""
