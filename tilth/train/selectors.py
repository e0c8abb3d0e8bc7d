"""Online batch selection from a candidate pool drawn by the current mixture.

Every selector scores the whole pool with one batched pass (never a per-sample scan) and keeps `n` rows.
"""

from __future__ import annotations

import torch

from tilth.train.modules import Selector, one_of, register_selector


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


SCORES = ("remembered", "fresh")


def current_loss(scores: str, pool: torch.Tensor, domains: torch.Tensor, signals) -> torch.Tensor:
    """The current model's mean loss on each pool row: "fresh" runs one batched inference pass over the
    pool; "remembered" looks up the loss each row had when last trained on (its domain's moving average if
    never), which needs no extra pass — Loshchilov & Hutter's stored-loss ranking."""
    if scores == "fresh":
        return signals.inference_token_loss(pool).mean(dim=1).cpu()
    return signals.remembered_loss(signals.pool_rows, domains)


@register_selector("loss")
class LossSelector(Selector):
    """Loss-based online batch selection (Loshchilov & Hutter 2015; Kawaguchi & Lu 2020).

    mode "high": keep the n pool rows with the highest current loss. mode "band": keep rows whose loss lies
    in the pool's [q_low, q_high] quantile band — the rows closest to the band's middle quantile when the
    band holds more or fewer than n. Defaults: high; band 0.5–0.9; pool factor 2; scores "remembered"
    (each row's loss from its last training step, as in Loshchilov & Hutter: no extra forward pass) or
    "fresh" (one batched inference pass over the pool each step: exact, about 1.7× the step time).
    """

    def __init__(self, mode: str = "high", q_low: float = 0.5, q_high: float = 0.9, pool_factor: int = 2,
                 scores: str = "remembered", schedule=None):
        super().__init__(schedule)
        self.mode, self.scores = one_of("mode", mode, ("high", "band")), one_of("scores", scores, SCORES)
        self.q_low, self.q_high, self.pool_factor = q_low, q_high, pool_factor

    def select(self, step, pool, domains, n, signals):
        loss = current_loss(self.scores, pool, domains, signals)
        if self.mode == "high":
            return top_mask(loss, n)
        finite = loss[torch.isfinite(loss)]
        if len(finite) == 0:
            return top_mask(torch.zeros(len(loss)), n)
        mid = torch.quantile(finite.float(), (self.q_low + self.q_high) / 2)
        return top_mask(-(loss.nan_to_num(posinf=float(mid)) - mid).abs(), n)


@register_selector("rho")
class RhoSelector(Selector):
    """RHO-LOSS (Mindermann et al., 2022): keep the n rows with the highest reducible holdout loss

        score(x) = L(x; θ_t) − L(x; θ_IL)

    where θ_IL is a small reference ("irreducible loss") model trained on held-out data (`reference:`).
    As in the paper, L(x; θ_IL) is computed once for every training row and looked up. L(x; θ_t) is
    "fresh" (one inference pass over the pool per step, as in the paper) or "remembered" (no extra pass;
    see LossSelector). Rows that are noisy (high both) or already learnt (low both) score low.
    Defaults: pool factor 2, scores "remembered".
    """

    def __init__(self, pool_factor: int = 2, scores: str = "remembered", schedule=None):
        super().__init__(schedule)
        self.pool_factor, self.scores = pool_factor, one_of("scores", scores, SCORES)

    def select(self, step, pool, domains, n, signals):
        cur = current_loss(self.scores, pool, domains, signals)
        ref = signals.reference_row_loss(signals.pool_rows)
        return top_mask((cur - ref).cpu(), n)


@register_selector("ifd")
class IfdSelector(Selector):
    """IFD (Li et al., 2024, "Cherry LLM"), online over SFT rows: keep the n pool rows with the highest

        IFD(x) = L(reply | prompt; θ_t) / L(reply; θ_t)

    from two batched inference passes of the current model: the rows as they are (response-only loss), and
    the same rows with the prompt cut off (`sft.strip_prompt`). A high IFD means the prompt barely helps
    predict the reply (a hard, informative pair); rows with IFD ≥ `max_ifd` (default 1: the prompt does not
    help at all, often a misaligned pair) rank last, as Cherry LLM discards them. Needs `task: sft`.
    Defaults: pool factor 2.
    """

    def __init__(self, max_ifd: float = 1.0, pool_factor: int = 2, schedule=None):
        super().__init__(schedule)
        self.max_ifd, self.pool_factor = max_ifd, pool_factor

    def select(self, step, pool, domains, n, signals):
        from tilth.train.sft import strip_prompt

        ifd = ifd_scores(pool, signals, strip_prompt).cpu()
        return top_mask(torch.where(ifd < self.max_ifd, ifd, -ifd), n)  # IFD ≥ 0: rows at/above max_ifd last


def ifd_scores(pool: torch.Tensor, signals, strip) -> torch.Tensor:
    """L(reply | prompt) / L(reply) per row, from the current model (two inference passes)."""
    conditioned = signals.inference_token_loss(pool).mean(dim=1)
    alone = signals.inference_token_loss(strip(pool)).mean(dim=1)
    return conditioned / alone.clamp(min=1e-8)


@register_selector("less")
class LessSelector(Selector):
    """LESS-style gradient selection (Xia et al., 2024): keep the n rows whose projected per-sample gradient
    has the highest cosine similarity with the mean projected gradient of the target set (held-out rows of
    `target` domains, all when None), projected to `projection_dim` (trainer setting, default 128).

    gradients "output" (default): output-layer gradients in closed form from one inference pass with a
    Kronecker (LoGra-style) projection — about the cost of a forward pass over the pool. "full": vmap
    per-sample gradients of the trainer's `grad_layers` (all by default; several times a training step).
    The target gradient is recomputed every `target_every` steps (default 10). Deviation from LESS: plain
    SGD gradients, not Adam-preconditioned ones.
    """

    def __init__(self, target: list[int] | None = None, target_rows: int = 16, pool_factor: int = 2,
                 gradients: str = "output", target_every: int = 10, schedule=None):
        super().__init__(schedule)
        self.target, self.target_rows, self.pool_factor = target, target_rows, pool_factor
        self.gradients, self.target_every = one_of("gradients", gradients, ("output", "full")), target_every

    def select(self, step, pool, domains, n, signals):
        g = signals.output_grads(pool) if self.gradients == "output" else signals.grads(pool)
        t = signals.target_grad(self.target, self.target_rows, self.gradients, self.target_every)
        cos = torch.nn.functional.cosine_similarity(g, t[None, :], dim=1)
        return top_mask(cos.cpu(), n)
