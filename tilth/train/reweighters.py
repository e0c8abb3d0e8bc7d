"""Per-sample loss reweighting: uniform, and Sow et al. (ICLR 2025) dynamic loss-based reweighting."""

from __future__ import annotations

import torch

from tilth.train.modules import Reweighter, one_of, register_reweighter


@register_reweighter("uniform")
class UniformReweighter(Reweighter):
    """Every row weighs 1 (plain mean loss); the baseline for the others."""

    def weights(self, step, losses, domains, signals):
        return torch.ones_like(losses)


@register_reweighter("loss")
class LossReweighter(Reweighter):
    """Sow et al. 2025, "Dynamic Loss-Based Sample Reweighting for Improved LLM Pretraining".

    Batch losses are mapped to [−δ, δ]:  ℓ̃ = 2δ (ℓ − ℓ_min)/(ℓ_max − ℓ_min) − δ, then scored by
        linupper:  min(ℓ̃ + δ, δ)      (down-weight easy rows, cap hard ones)
        quadratic: 1 − ℓ̃² / δ²        (favour medium-loss rows)
        extremes:  |ℓ̃|                (favour both ends)
    and w = B · softmax(score / r), so weights average 1 and the loss is Σ softmax·ℓ as in the paper.
    Defaults: linupper, δ = 1, temperature r = 1; uniform weights before `schedule.warmup`.
    """

    STRATEGIES = ("linupper", "quadratic", "extremes")

    def __init__(self, strategy: str = "linupper", delta: float = 1.0, temperature: float = 1.0, schedule=None):
        super().__init__(schedule)
        self.strategy = one_of("strategy", strategy, self.STRATEGIES)
        self.delta, self.temperature = delta, temperature

    def scores(self, losses: torch.Tensor) -> torch.Tensor:
        lo, hi = losses.min(), losses.max()
        d = self.delta
        norm = 2 * d * (losses - lo) / torch.clamp(hi - lo, min=1e-6) - d
        if self.strategy == "linupper":
            return torch.minimum(norm + d, torch.full_like(norm, d))
        if self.strategy == "quadratic":
            return 1 - norm**2 / d**2
        return norm.abs()

    def weights(self, step, losses, domains, signals):
        losses = losses.detach().float()
        return len(losses) * torch.softmax(self.scores(losses) / self.temperature, dim=0)
