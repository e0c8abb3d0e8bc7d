"""What the trainer tells data modules about the model, computed only when a module asks.

Per-sample losses come for free from the training forward pass; everything else (inference on other
samples, per-sample gradients, held-out losses per domain, reference-model losses) costs extra compute and
is therefore lazy and cached per step.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import numpy as np
import torch
from torch.func import functional_call, grad, vmap

from tilth.train.data import training_row_chunks
from tilth.train.distributed import Comm
from tilth.train.model import split_rows, token_losses, weighted_ce


class Projector:
    """Johnson–Lindenstrauss projection R^D → R^k with a seeded Rademacher matrix scaled by 1/sqrt(k).

    Inner products and cosines between projected gradients approximate the originals (as in LESS / TRAK),
    so gradient-based modules can work in k dims instead of D.
    """

    def __init__(self, dim: int, k: int, seed: int = 0, device: torch.device | str = "cpu"):
        gen = torch.Generator().manual_seed(seed)
        self.matrix = ((torch.randint(0, 2, (dim, k), generator=gen) * 2 - 1).float() / k**0.5).to(device)

    def __call__(self, g: torch.Tensor) -> torch.Tensor:
        return g @ self.matrix


class KroneckerProjector:
    """Projection of a [V, d] weight gradient G to k = k1·k2 dims as P_Vᵀ G P_d (LoGra-style).

    This equals the JL projection vec(G) @ (P_V ⊗ P_d) with Rademacher P_V [V, k1] and P_d [d, k2] scaled by
    1/sqrt(k), so it preserves inner products in expectation like `Projector`, but for an output layer it
    never materialises G: P_Vᵀ G_i P_d = (E_i P_V)ᵀ (H_i P_d) from the errors E_i and hidden states H_i.
    """

    def __init__(self, rows: int, cols: int, k: int, seed: int = 0, device: torch.device | str = "cpu"):
        self.k2 = 2 ** int(np.log2(max(1.0, k**0.5)))
        self.k1 = max(1, k // self.k2)
        gen = torch.Generator().manual_seed(seed)
        scale = (self.k1 * self.k2) ** -0.25  # each factor carries the square root of 1/sqrt(k)
        self.left = ((torch.randint(0, 2, (rows, self.k1), generator=gen) * 2 - 1).float() * scale).to(device)
        self.right = ((torch.randint(0, 2, (cols, self.k2), generator=gen) * 2 - 1).float() * scale).to(device)

    def matrix(self) -> torch.Tensor:
        """The equivalent dense [V·d, k] matrix (for tests; row-major vec of G)."""
        return torch.kron(self.left, self.right)


@torch.no_grad()
def output_layer_grads(model: torch.nn.Module, x: torch.Tensor,
                       projector: KroneckerProjector | None = None) -> torch.Tensor:
    """Per-sample gradient of each row's mean token loss w.r.t. the output (unembedding) matrix W [V, d],
    in closed form from one inference pass: G_i = E_iᵀ H_i / T with E = softmax(logits) − onehot(targets)
    (each target's row scaled by its `split_rows` weight: response-only on SFT rows) and H the final hidden
    states. Returns [n, k] projected, or [n, V·d] flattened when `projector` is None.

    Exact for the output layer's own term; with tied embeddings the input-embedding term is left out.
    """
    inputs, targets, weights = split_rows(x)  # SFT rows: only response targets count (weights 0 elsewhere)
    out = model(inputs, output_hidden_states=True)
    h = out.hidden_states[-1].float()
    err = torch.softmax(out.logits.float(), dim=-1)
    err.scatter_add_(-1, targets[..., None], torch.full_like(err[..., :1], -1.0))
    err *= (weights / targets.shape[1])[..., None]
    if projector is None:
        return torch.einsum("ntv,ntd->nvd", err, h).reshape(len(x), -1)
    return torch.einsum("ntk,ntl->nkl", err @ projector.left, h @ projector.right).reshape(len(x), -1)


@contextlib.contextmanager
def eval_mode(model: torch.nn.Module):
    """Run `model` in eval mode for a block, restoring its train/eval state afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def select_params(model: torch.nn.Module, layers: list[str] | None) -> list[str]:
    """Parameter names whose name contains any of `layers` (all trainable parameters when None)."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    if layers:
        names = [n for n in names if any(s in n for s in layers)]
        if not names:
            raise ValueError(f"no parameters match layers={layers}")
    return names


def per_sample_grads(model: torch.nn.Module, x: torch.Tensor, names: list[str],
                     chunk_size: int | None = 32) -> torch.Tensor:
    """Flattened gradient of each sample's mean token loss w.r.t. the `names` parameters: [B, D].

    One `vmap(grad(.))` call over the batch; parameters not in `names` are held fixed as constants.
    """
    params = dict(model.named_parameters())
    chosen = {n: params[n].detach() for n in names}
    fixed = {n: p.detach() for n, p in params.items() if n not in chosen}
    fixed.update(dict(model.named_buffers()))

    def loss_one(p, seq):
        return token_losses_functional(model, {**fixed, **p}, seq[None]).mean()

    with warnings.catch_warnings():  # SDPA has no CPU batching rule; the per-sample fallback is exact
        warnings.filterwarnings("ignore", message=".*batching rule.*")
        g = vmap(grad(loss_one), in_dims=(None, 0), randomness="different", chunk_size=chunk_size)(chosen, x)
    return torch.cat([g[n].reshape(x.shape[0], -1) for n in names], dim=1)


def token_losses_functional(model, params, x):
    """`model.token_losses` with explicit parameters (for `torch.func`), response-only on SFT rows."""
    inputs, targets, weights = split_rows(x)
    return weighted_ce(functional_call(model, params, (inputs,)).logits, targets, weights)


class Signals:
    """Per-step view of the model for data modules. The trainer fills the batch fields each step.

    With several processes (`comm`), the batch fields (`batch_x`, `token_loss`, `per_sample_loss`,
    `batch_domains`, `batch_rows`) are this rank's share of the global batch: a module sums its per-domain
    statistics over ranks with `comm.sum` (see `mixers.batch_domain_sums`). Per-row losses are all-gathered
    every step, so the remembered losses, the domain moving averages and `global_per_sample` /
    `global_domains` are the whole batch's and identical on every rank; held-out evaluations and the target
    gradient are split over ranks and summed.
    """

    def __init__(self, model, data, device, eval_rows: int = 32, eval_skip: int = 0,
                 grad_layers: list[str] | None = None, projection_dim: int | None = 128,
                 reference_model: torch.nn.Module | None = None, seed: int = 0, comm: Comm | None = None):
        self.model, self.data, self.device = model, data, device
        self.comm = comm or Comm()
        self.eval_rows, self.eval_skip = eval_rows, eval_skip
        self.grad_layers, self.projection_dim, self.seed = grad_layers, projection_dim, seed
        self.reference_model = reference_model
        self.step = 0
        self.batch_x: torch.Tensor | None = None
        self.batch_domains: np.ndarray | None = None
        self.token_loss: torch.Tensor | None = None  # [B, T], detached, from the training forward pass
        self.batch_rows: torch.Tensor | None = None  # global training-row ids of the batch
        self.pool_rows: torch.Tensor | None = None  # global row ids of the candidate pool a selector sees
        self.global_per_sample: torch.Tensor | None = None  # every rank's per-row losses, global batch order
        self.global_domains: torch.Tensor | None = None
        # Every training row's loss when it was last trained on (NaN: never yet), and each domain's moving
        # average of training loss: what selectors rank by without another forward pass.
        self.row_loss = torch.full((int(data.offsets[-1]),), float("nan"))
        self.domain_loss = np.full(data.n_domains, np.nan)
        self._cache: dict = {}
        self.cost = {"inference_rows": 0, "grad_rows": 0, "eval_calls": 0}

    @property
    def n_domains(self) -> int:
        return self.data.n_domains

    STATE = ("step", "batch_x", "batch_domains", "token_loss", "batch_rows", "pool_rows", "row_loss",
             "domain_loss", "cost")

    def state_dict(self) -> dict:
        """What a resumed run needs to see the same signals: remembered losses, the last batch, and the
        cache (a target gradient is reused for `every` steps). Projections are left out: they are seeded,
        rebuilt identically on demand, and can be large."""
        cache = {k: v for k, v in self._cache.items() if not isinstance(v, Projector | KroneckerProjector)}
        return {**{k: copy.deepcopy(getattr(self, k)) for k in self.STATE}, "cache": copy.deepcopy(cache)}

    def load_state_dict(self, state: dict) -> None:
        for k in self.STATE:
            setattr(self, k, copy.deepcopy(state[k]))
        self._cache.update(copy.deepcopy(state["cache"]))

    def new_step(self, step: int, x: torch.Tensor, domains: torch.Tensor, token_loss: torch.Tensor,
                 rows: torch.Tensor | None = None, ema: float = 0.9) -> None:
        self.step, self.batch_x, self.token_loss = step, x, token_loss.detach()
        self.batch_domains = domains.cpu().numpy()
        self._cache = {k: v for k, v in self._cache.items() if k[0] == "static"}
        per_row = self.token_loss.mean(dim=1).float().cpu()
        doms = self.batch_domains
        if self.comm.enabled:  # the whole batch's rows on every rank: (loss, row id, domain), exact in float64
            ids = rows if rows is not None else torch.zeros(len(per_row), dtype=torch.long)
            packed = torch.stack([per_row.double(), ids.cpu().double(), domains.cpu().double()], dim=1)
            packed = self.comm.gather_rows(packed).cpu()
            self.batch_rows = rows
            per_row, rows = packed[:, 0].float(), (packed[:, 1].long() if rows is not None else None)
            doms = packed[:, 2].long().numpy()
        elif rows is not None:
            self.batch_rows = rows
        self.global_per_sample, self.global_domains = per_row, torch.as_tensor(doms)
        if rows is not None:
            self.row_loss[rows] = per_row
        sums = np.bincount(doms, weights=per_row.double().numpy(), minlength=self.n_domains)
        counts = np.bincount(doms, minlength=self.n_domains)
        seen = counts > 0
        mean = sums[seen] / counts[seen]
        old = self.domain_loss[seen]
        self.domain_loss[seen] = np.where(np.isnan(old), mean, ema * old + (1 - ema) * mean)

    def remembered_loss(self, rows: torch.Tensor, domains: torch.Tensor) -> torch.Tensor:
        """Each row's loss from the last training step that used it; rows never trained on get their
        domain's moving-average training loss (+inf for a domain not yet seen). Costs no forward pass."""
        loss = self.row_loss[rows.cpu()].clone()
        fallback = torch.as_tensor(self.domain_loss, dtype=loss.dtype)[domains.cpu()]
        fallback = torch.nan_to_num(fallback, nan=float("inf"))
        return torch.where(torch.isnan(loss), fallback, loss)

    @property
    def per_sample_loss(self) -> torch.Tensor:
        """Mean token loss of each training-batch row, taken from the training forward pass (no extra pass)."""
        return self.token_loss.mean(dim=1)

    # -- extra compute, on demand --------------------------------------------------------------------------
    @torch.no_grad()
    def inference_token_loss(self, x: torch.Tensor, model: torch.nn.Module | None = None) -> torch.Tensor:
        """Per-token loss [n, T] of the current (or a given) model on arbitrary samples, in one batched pass."""
        self.cost["inference_rows"] += len(x)
        with eval_mode(model or self.model) as m:
            return token_losses(m, x.to(self.device)).float()

    def reference_token_loss(self, x: torch.Tensor) -> torch.Tensor:
        if self.reference_model is None:
            raise RuntimeError("this module needs a reference model (set `reference` in the config)")
        return self.inference_token_loss(x, self.reference_model)

    def reference_row_loss(self, rows: torch.Tensor, batch: int = 256) -> torch.Tensor:
        """Reference-model mean loss of training rows, computed once for the whole training set (as
        RHO-LOSS precomputes its irreducible losses) and then looked up."""
        def every_row() -> torch.Tensor:
            return torch.cat([self.reference_token_loss(x).mean(dim=1).cpu()
                              for x in training_row_chunks(self.data, batch)])

        return self._static(("ref_rows",), every_row)[rows.cpu()]

    def batch_reference_token_loss(self) -> torch.Tensor:
        key = ("step", "ref_batch")
        if key not in self._cache:
            self._cache[key] = self.reference_token_loss(self.batch_x)
        return self._cache[key]

    def _static(self, key: tuple, make):
        """`make()` computed once and kept for the whole run (projections, precomputed reference losses)."""
        key = ("static", *key)
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def projector(self, dim: int) -> Projector | None:
        if not self.projection_dim:
            return None
        return self._static(("dense", dim), lambda: Projector(dim, self.projection_dim, self.seed, self.device))

    def grads(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample gradients of `x` rows ([n, k] when projected, [n, D] otherwise)."""
        self.cost["grad_rows"] += len(x)
        names = select_params(self.model, self.grad_layers)
        g = per_sample_grads(self.model, x.to(self.device), names)
        proj = self.projector(g.shape[1])
        return proj(g) if proj is not None else g

    def output_grads(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample output-layer gradients of `x` rows from one inference pass ([n, k] when projected)."""
        self.cost["inference_rows"] += len(x)
        proj = None
        if self.projection_dim:
            v, d = self.model.get_output_embeddings().weight.shape
            proj = self._static(("kron", v, d),
                                lambda: KroneckerProjector(v, d, self.projection_dim, self.seed, self.device))
        with eval_mode(self.model) as m:
            return output_layer_grads(m, x.to(self.device), proj)

    def batch_grads(self) -> torch.Tensor:
        key = ("step", "batch_grads")
        if key not in self._cache:
            self._cache[key] = self.grads(self.batch_x)
        return self._cache[key]

    def heldout_rows(self, domain: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed evaluation rows (first `eval_rows` per domain) and their domain ids."""
        doms = range(self.n_domains) if domain is None else [domain]
        xs = [self.data.heldout[d][: self.eval_rows] for d in doms]
        ids = [torch.full((len(x),), d) for d, x in zip(doms, xs, strict=True)]
        return torch.cat(xs), torch.cat(ids)

    def eval_losses(self) -> np.ndarray:
        """Mean held-out token loss per domain (positions ≥ eval_skip), cached for the current step."""
        key = ("step", "eval")
        if key not in self._cache:
            self.cost["eval_calls"] += 1
            x, ids = self.heldout_rows()
            if self.comm.enabled:  # each rank evaluates every world-th row; sums and counts are all-reduced
                x, ids = x[self.comm.rank::self.comm.world], ids[self.comm.rank::self.comm.world]
            tl = self.inference_token_loss(x)[:, self.eval_skip:].mean(dim=1).cpu().numpy()
            sums, counts = self.comm.sum(np.bincount(ids.numpy(), weights=tl, minlength=self.n_domains),
                                         np.bincount(ids.numpy(), minlength=self.n_domains))
            self._cache[key] = sums / np.maximum(counts, 1)
        return self._cache[key]

    def target_grad(self, target_domains: list[int] | None = None, rows: int = 16, kind: str = "full",
                    every: int = 1) -> torch.Tensor:
        """Mean (projected) gradient over held-out rows of the target domains (all domains when None).

        kind "full": per-sample gradients of the chosen layers (`grads`); "output": output-layer gradients
        (`output_grads`). `every` > 1 reuses the value for that many steps (the target moves slowly).
        """
        key = ("static", "target_grad", tuple(target_domains or []), kind)
        hit = self._cache.get(key)
        if hit is None or self.step - hit[0] >= every or self.step < hit[0]:
            doms = target_domains if target_domains else list(range(self.n_domains))
            x = torch.cat([self.data.heldout[d][:rows] for d in doms])
            if self.comm.enabled:  # each rank takes every world-th row; the mean is summed over ranks
                n_all, x = len(x), x[self.comm.rank::self.comm.world]
                g = self.output_grads(x) if kind == "output" else self.grads(x)
                total = self.comm.sum(g.double().sum(dim=0).cpu().numpy())[0]
                mean = torch.as_tensor(total / n_all, dtype=g.dtype, device=g.device)
            else:
                g = self.output_grads(x) if kind == "output" else self.grads(x)
                mean = g.mean(dim=0)
            self._cache[key] = hit = (self.step, mean)
        return hit[1]
