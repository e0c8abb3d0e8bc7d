"""Online batch selection from a candidate pool drawn by the current mixture.

Every selector scores the whole pool with one batched pass (never a per-sample scan) and keeps `n` rows.
"""

from __future__ import annotations

import torch

from tilth.train.modules import Selector, register_selector


def top_mask(scores: torch.Tensor, n: int) -> torch.Tensor:
    mask = torch.zeros(len(scores), dtype=torch.bool)
    mask[torch.topk(scores.float().cpu(), n).indices] = True
    return mask


@register_selector("random")
class RandomSelector(Selector):
    """Keep `n` pool rows uniformly at random (a control with the same pool cost structure)."""

    def __init__(self, pool_factor: int = 2, seed: int = 0, schedule=None):
        super().__init__(schedule)
        self.pool_factor = pool_factor
        self.gen = torch.Generator().manual_seed(seed)

    def select(self, step, pool, domains, n, signals):
        mask = torch.zeros(len(pool), dtype=torch.bool)
        mask[torch.randperm(len(pool), generator=self.gen)[:n]] = True
        return mask


@register_selector("loss")
class LossSelector(Selector):
    """Loss-based selection (Loshchilov & Hutter 2015 / Kawaguchi & Lu 2020 style).

    mode "high": keep the n highest current-model losses. mode "band": keep rows whose loss lies in the
    pool's [q_low, q_high] quantile band — the rows closest to the band's middle quantile when the band
    holds more or fewer than n. Defaults: high; band 0.5–0.9.
    """

    def __init__(self, mode: str = "high", q_low: float = 0.5, q_high: float = 0.9, pool_factor: int = 2,
                 schedule=None):
        super().__init__(schedule)
        if mode not in ("high", "band"):
            raise ValueError("mode must be 'high' or 'band'")
        self.mode, self.q_low, self.q_high, self.pool_factor = mode, q_low, q_high, pool_factor

    def select(self, step, pool, domains, n, signals):
        loss = signals.inference_token_loss(pool).mean(dim=1).cpu()
        if self.mode == "high":
            return top_mask(loss, n)
        mid = torch.quantile(loss, (self.q_low + self.q_high) / 2)
        return top_mask(-(loss - mid).abs(), n)


@register_selector("rho")
class RhoSelector(Selector):
    """RHO-LOSS (Mindermann et al., 2022): keep the n rows with the highest reducible holdout loss

        score(x) = L(x; θ_t) − L(x; θ_IL)

    where θ_IL is a small reference ("irreducible loss") model trained on held-out data (`reference:`).
    Rows that are noisy (high both) or already learnt (low both) score low. Default pool factor 2.
    """

    def __init__(self, pool_factor: int = 2, schedule=None):
        super().__init__(schedule)
        self.pool_factor = pool_factor

    def select(self, step, pool, domains, n, signals):
        cur = signals.inference_token_loss(pool).mean(dim=1)
        ref = signals.reference_token_loss(pool).mean(dim=1)
        return top_mask((cur - ref).cpu(), n)


@register_selector("less")
class LessSelector(Selector):
    """LESS-style gradient selection (Xia et al., 2024): keep the n rows whose projected per-sample gradient
    has the highest cosine similarity with the mean projected gradient of the target set (held-out rows of
    `target` domains, all when None). Gradients are randomly projected to `projection_dim` (trainer
    setting, default 128). Deviation: plain SGD gradients, not LESS's Adam-preconditioned ones.
    """

    def __init__(self, target: list[int] | None = None, target_rows: int = 16, pool_factor: int = 2,
                 schedule=None):
        super().__init__(schedule)
        self.target, self.target_rows, self.pool_factor = target, target_rows, pool_factor

    def select(self, step, pool, domains, n, signals):
        g = signals.grads(pool)
        t = signals.target_grad(self.target, self.target_rows)
        cos = torch.nn.functional.cosine_similarity(g, t[None, :], dim=1)
        return top_mask(cos.cpu(), n)
