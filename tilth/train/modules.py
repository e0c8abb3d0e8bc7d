"""The three data-module interfaces (Selector, Mixer, Reweighter), their schedules and registries.

A module is configured in YAML either by name (`mixer: doremi`) or as a mapping
(`mixer: {name: doremi, eta: 1.0, schedule: {warmup: 50, every: 10, stop_after: 2000}}`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Schedule:
    """When a module acts: from step `warmup`, every `every` steps, never at or after `stop_after`."""

    warmup: int = 0
    every: int = 1
    stop_after: int | None = None

    def active(self, step: int) -> bool:
        if step < self.warmup or (self.stop_after is not None and step >= self.stop_after):
            return False
        return (step - self.warmup) % max(self.every, 1) == 0


def one_of(name: str, value: str, choices: tuple[str, ...]) -> str:
    """`value` if it is one of `choices`; otherwise a ValueError naming the parameter and its choices."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, not {value!r}")
    return value


class Module:
    name = "base"
    default_schedule = Schedule()

    def __init__(self, schedule: Schedule | dict | None = None):
        if isinstance(schedule, dict):
            schedule = Schedule(**schedule)
        self.schedule = schedule or Schedule(**vars(self.default_schedule))

    def state_dict(self) -> dict:
        """Every instance attribute (weights, statistics, fits, memories, a generator's state), copied.

        Taking all of them, not a per-class list, means a module that gains a field is still resumed
        exactly; parameters come along too, and the checkpoint refuses a changed config anyway.
        """
        return {k: v.get_state() if isinstance(v, torch.Generator) else copy.deepcopy(v)
                for k, v in vars(self).items()}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            current = getattr(self, k, None)
            if isinstance(current, torch.Generator):
                current.set_state(v)
            else:
                setattr(self, k, copy.deepcopy(v))


class Mixer(Module):
    """Domain weights, for sampling (or, through `loss_weights`, on the objective). `observe` sees every step's
    signals; `update` runs on the schedule."""

    carry: np.ndarray | None = None  # stratified mixers: per-domain rounding remainder (see data.domain_counts)
    # Training rows per domain, set by the trainer before `setup` (None when unknown): what `natural`
    # weights (sampling proportional to domain size) and ADO's natural prior are computed from.
    domain_sizes: np.ndarray | None = None
    self_scheduled = False  # True: the mixer decides inside `observe` when to update (e.g. Aioli's rounds)

    def setup(self, n_domains: int) -> None:
        self.n = n_domains
        self.weights = np.full(n_domains, 1.0 / n_domains)

    def observe(self, step: int, signals) -> None:  # noqa: B027 - optional hook
        """Accumulate cheap statistics between updates (default: nothing)."""

    def update(self, step: int, signals) -> None:
        raise NotImplementedError

    def loss_weights(self) -> np.ndarray | None:
        """Per-domain weights on the objective instead of on sampling (None: the plain mean loss). Given α,
        the step's loss is Σ_i α_i · (mean loss of domain i's rows): see `domain_objective_weights`."""
        return None

    def output_weights(self) -> np.ndarray:
        """The mixture this run recommends for training a fresh model (default: the final weights)."""
        return self.weights

    def probe_weights(self, step: int, signals=None) -> np.ndarray:
        """Weights to sample the next batch with (methods that perturb the mixture override this)."""
        return self.weights


def domain_objective_weights(alpha: np.ndarray, domains: torch.Tensor) -> torch.Tensor:
    """Row weights w with mean(w · ℓ) = Σ_i α_i · mean_{rows of domain i} ℓ: w = α_d · B / n_d for a row of
    domain d, where domain d has n_d of the batch's B rows (domains absent from the batch contribute 0)."""
    counts = torch.bincount(domains, minlength=len(alpha)).to(torch.float64)
    per_row = torch.as_tensor(alpha, dtype=torch.float64)[domains] * len(domains) / counts[domains]
    return per_row.to(torch.float32)


class Selector(Module):
    """Boolean mask over a candidate pool, choosing which rows the next step trains on."""

    pool_factor = 2

    def select(self, step: int, pool: torch.Tensor, domains: torch.Tensor, n: int, signals) -> torch.Tensor:
        raise NotImplementedError


class Reweighter(Module):
    """Per-sample loss weights (mean 1) for the current training batch."""

    def weights(self, step: int, losses: torch.Tensor, domains: torch.Tensor, signals) -> torch.Tensor:
        raise NotImplementedError


MIXERS: dict[str, type[Mixer]] = {}
SELECTORS: dict[str, type[Selector]] = {}
REWEIGHTERS: dict[str, type[Reweighter]] = {}


def _register(table):
    def deco(name: str):
        def wrap(cls):
            cls.name = name
            table[name] = cls
            return cls
        return wrap
    return deco


register_mixer = _register(MIXERS)
register_selector = _register(SELECTORS)
register_reweighter = _register(REWEIGHTERS)


def build(kind: str, spec):
    """Instantiate a module from its YAML form (a name, a mapping with `name`, or None)."""
    import tilth.train.mixers  # noqa: F401  (registration side effects)
    import tilth.train.reweighters  # noqa: F401
    import tilth.train.selectors  # noqa: F401

    if spec is None:
        return None
    table = {"mixer": MIXERS, "selector": SELECTORS, "reweighter": REWEIGHTERS}[kind]
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = spec.pop("name")
    if name not in table:
        raise KeyError(f"unknown {kind} {name!r}; known: {', '.join(sorted(table))}")
    return table[name](**spec)
