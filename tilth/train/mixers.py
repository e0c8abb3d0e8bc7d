"""Domain mixture algorithms. Each docstring states the update rule and the defaults it uses."""

from __future__ import annotations

import math

import numpy as np

from tilth.train.modules import Mixer, Schedule, one_of, register_mixer


def domain_sums(values: np.ndarray, domains: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-domain sum of `values` and row count, so mixed batches credit each domain only its own rows."""
    return (np.bincount(domains, weights=values, minlength=k),
            np.bincount(domains, minlength=k).astype(np.float64))


def batch_domain_sums(values: np.ndarray, signals, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`domain_sums` of this step's batch rows, summed over all ranks when training runs in several processes
    (each rank holds its share of the global batch), so every rank updates its mixture from the same
    global statistics and holds identical weights."""
    sums, counts = domain_sums(values, signals.batch_domains, k)
    comm = getattr(signals, "comm", None)
    if comm is None or not comm.enabled:
        return sums, counts
    sums, counts = comm.sum(sums, counts)
    return sums, counts


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def natural_weights(sizes: np.ndarray | None, n_domains: int) -> np.ndarray:
    """Sampling proportional to domain size (training rows per domain): the "natural" mixture, which draws
    every training row with the same probability, as concatenating and shuffling the domains would."""
    if sizes is None:
        raise ValueError("natural weights need the domain sizes, which the trainer sets (Mixer.domain_sizes)")
    w = np.asarray(sizes, dtype=np.float64)
    if len(w) != n_domains or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"domain sizes {list(w)} do not fit {n_domains} domains")
    return w / w.sum()


@register_mixer("static")
class StaticMixer(Mixer):
    """Fixed weights: uniform unless `weights` is given, as a list aligned with the sorted domain names or
    as "natural" (proportional to each domain's training rows, `natural_weights`)."""

    def __init__(self, weights: list[float] | str | None = None, schedule=None):
        super().__init__(schedule)
        if isinstance(weights, str):
            one_of("weights", weights, ("natural",))
        self.fixed = weights

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        if isinstance(self.fixed, str):
            self.weights = natural_weights(self.domain_sizes, n_domains)
        elif self.fixed is not None:
            w = np.asarray(self.fixed, dtype=np.float64)
            if len(w) != n_domains or (w < 0).any() or w.sum() <= 0:
                raise ValueError(f"static weights {self.fixed} do not fit {n_domains} domains")
            self.weights = w / w.sum()

    def update(self, step: int, signals) -> None:
        pass


@register_mixer("stratified")
class StratifiedMixer(StaticMixer):
    """Static weights with exact per-batch domain counts instead of sampling: largest-remainder rounding whose
    remainders carry over to the next batch, so each domain's share is exact over steps, however small."""

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        self.carry = np.zeros(n_domains)


@register_mixer("doremi")
class DoReMi(Mixer):
    """DoReMi (Xie et al., 2023). Per update, over all steps since the previous update:

        λ_i = Σ_{x∈D_i} Σ_j max(ℓ_θ(x_j) − ℓ_ref(x_j), 0) / Σ_{x∈D_i} |x|    (per-token excess loss)
        α ← (1 − c) · α ⊙ exp(η λ) / Σ_k α_k exp(η λ_k) + c / K    (smoothed α carries over)
        ᾱ = mean of α over updates (the paper's output weights)

    Defaults follow the paper: η = 1, c = 1e-3, α₀ uniform. λ accumulates over the window between updates
    (not one batch), and only domain i's own rows of each mixed batch count towards λ_i. Needs a reference
    model (`reference:`, trained on the uniform mixture). The proxy is steered by α (`use: current`) or ᾱ
    (`use: average`), in one of two ways (`proxy`): "resample" (default, an online form: batches are drawn
    with the weights) or "reweight" (the paper's Algorithm 1: batches are drawn uniformly, the reference
    mixture, and the loss is Σ_i w_i · mean loss of domain i's rows). The paper's second stage, a fresh
    model trained on ᾱ, is a compare strategy `mixer: {name: static, weights_from: <this strategy>}`.
    """

    default_schedule = Schedule(warmup=0, every=1)

    def __init__(self, eta: float = 1.0, smoothing: float = 1e-3, use: str = "current", proxy: str = "resample",
                 schedule=None):
        super().__init__(schedule)
        self.eta, self.c, self.use = eta, smoothing, one_of("use", use, ("current", "average"))
        self.proxy = one_of("proxy", proxy, ("resample", "reweight"))

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        self.alpha = np.full(n_domains, 1.0 / n_domains)
        self.avg_sum = np.zeros(n_domains)
        self.n_updates = 0
        self._reset()

    def _reset(self):
        self.excess = np.zeros(self.n)
        self.tokens = np.zeros(self.n)

    def observe(self, step: int, signals) -> None:
        ex = (signals.token_loss - signals.batch_reference_token_loss()).clamp(min=0).sum(dim=1)
        s, c = batch_domain_sums(ex.cpu().numpy().astype(np.float64), signals, self.n)
        self.excess += s
        self.tokens += c * signals.token_loss.shape[1]

    def update(self, step: int, signals) -> None:
        lam = self.excess / np.maximum(self.tokens, 1)
        # α_t = (1 − c)·normalise(α_{t−1} ⊙ exp(ηλ)) + c/K: the smoothed α carries over, as in Algorithm 1
        w = (1 - self.c) * softmax(np.log(self.alpha) + self.eta * lam) + self.c / self.n
        self.alpha = w
        self.avg_sum += w
        self.n_updates += 1
        self.current = w
        self.average = self.avg_sum / self.n_updates
        self.weights = w if self.use == "current" else self.average
        self._reset()

    def probe_weights(self, step: int, signals=None) -> np.ndarray:
        return np.full(self.n, 1.0 / self.n) if self.proxy == "reweight" else self.weights

    def loss_weights(self) -> np.ndarray | None:
        return self.weights if self.proxy == "reweight" else None

    def output_weights(self) -> np.ndarray:
        """ᾱ: the paper trains its main model on the proxy's time-averaged weights (`weights_from` in a compare)."""
        return self.average if self.n_updates else self.weights


@register_mixer("odm")
class ODM(Mixer):
    """Online Data Mixing (Albalak et al., 2023): EXP3 with smoothed importance-weighted loss rewards.

        ε_t  = min(1/K, sqrt(ln K / (K t))),  ε_0 = 1/K
        π(t) = (1 − K ε_t) · softmax(ε_{t−1} R) + ε_t
        after step t, for every domain i present in the mixed batch (mean row loss L_i):
            R̂_i = L_i / π_i(t),   R_i ← α R_i + (1 − α) R̂_i      (absent domains keep R_i)

    Default α = 0.9 (paper). The reward is the raw training loss, exactly as in the paper, so ODM favours
    domains with high *irreducible* loss (e.g. noise) — the benchmark shows this failure mode honestly.
    """

    def __init__(self, alpha: float = 0.9, schedule=None):
        super().__init__(schedule)
        self.alpha = alpha

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        self.rewards = np.zeros(n_domains)
        self.t = 0

    def eps(self, t: int) -> float:
        return 1.0 / self.n if t == 0 else min(1.0 / self.n, math.sqrt(math.log(self.n) / (self.n * t)))

    def update(self, step: int, signals) -> None:
        self.t += 1
        sums, counts = batch_domain_sums(signals.per_sample_loss.cpu().numpy().astype(np.float64), signals,
                                         self.n)
        present = counts > 0
        est = sums[present] / counts[present] / self.weights[present]
        self.rewards[present] = self.alpha * self.rewards[present] + (1 - self.alpha) * est
        e_next, e_now = self.eps(self.t + 1), self.eps(self.t)
        self.weights = (1 - self.n * e_next) * softmax(e_now * self.rewards) + e_next


def fit_power_law(n: np.ndarray, loss: np.ndarray, grid: int = 200) -> tuple[float, float, float]:
    """Fit L(n) = ε + β n^(−α) in log space, as ADO does: grid over ε ∈ [0, min L), closed-form (log β, α)
    per ε, and keep the ε whose curve has the least squared error in log L.

    Log-space error weighs the flat tail of a curve as much as its early drop, so a domain that has stopped
    improving is fitted with α ≈ 0 (little predicted progress) rather than a slow fake decay. Vectorised
    over the ε grid; returns (ε, β, α) with α ≥ 0 (α = 0 means no measurable progress).
    """
    n, loss = np.asarray(n, dtype=np.float64), np.asarray(loss, dtype=np.float64)
    eps = np.linspace(0.0, 0.999, grid) * loss.min()
    y = np.log(np.maximum(loss[None, :] - eps[:, None], 1e-12))
    x = np.log(n)
    xc = x - x.mean()
    slope = (y - y.mean(axis=1, keepdims=True)) @ xc / max(float(xc @ xc), 1e-12)
    alpha = np.maximum(-slope, 0.0)
    log_beta = y.mean(axis=1) + alpha * x.mean()
    pred = eps[:, None] + np.exp(log_beta[:, None] - alpha[:, None] * x[None, :])
    best = int(np.argmin(((np.log(pred) - np.log(loss)[None, :]) ** 2).sum(axis=1)))
    return float(eps[best]), float(np.exp(log_beta[best])), float(alpha[best])


def block_means(values: list[float], block: int) -> np.ndarray:
    """Means of consecutive blocks of `block` values; a trailing partial block is dropped."""
    v = np.asarray(values, dtype=np.float64)
    k = len(v) // block
    return v[: k * block].reshape(k, block).mean(axis=1) if k else v[:0]


@register_mixer("ado")
class ADO(Mixer):
    """Adaptive Data Optimization (Jiang et al., 2024): per-domain scaling laws drive the mixture.

    Each domain's training loss is fitted as L_k(n) = ε_k + β_k n^(−α_k) over n_k = rows of domain k seen
    so far (refit every `fit_every` updates). Per update t:

        −dL_k/dn = α_k (L_k(n_k) − ε_k) / n_k
        ρ_k  ∝ μ_k · h_k^s · (−dL_k/dn)                   (μ prior = uniform)
        π(t) = γ₂ ρ + (1 − γ₂) π̄(t−1),  then π_k ≥ δ_min and renormalised
        h    ← γ₁ π(t) + (1 − γ₁) h,      π̄(t) = ρ/(t+1) + (1 − 1/(t+1)) π̄(t−1)

    Defaults follow the paper: γ₁ = γ₂ = 0.1, s = 0.5, δ_min = 0.01. The prior μ (also the initial π, h
    and π̄) is uniform by default; `prior: natural` makes it proportional to domain size, as the paper's
    prior is the corpus's own mixture (`natural_weights`). Losses of the first `ignore_first`
    observed steps are left out of the fits (early transients); per-domain losses come from each domain's
    own rows of the mixed batch. Per-step training losses are noisy, so (like the authors' code, which
    smooths them before fitting) the fit sees means over blocks of `smooth` consecutive observations.
    """

    default_schedule = Schedule(warmup=100, every=1)

    def __init__(self, gamma1: float = 0.1, gamma2: float = 0.1, s: float = 0.5, delta_min: float = 0.01,
                 fit_every: int = 50, ignore_first: int = 20, smooth: int = 10, prior: str = "uniform",
                 schedule=None):
        super().__init__(schedule)
        self.prior = one_of("prior", prior, ("uniform", "natural"))
        self.gamma1, self.gamma2, self.s, self.delta_min = gamma1, gamma2, s, delta_min
        self.fit_every, self.ignore_first, self.smooth = fit_every, ignore_first, max(1, smooth)

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        self.mu = (natural_weights(self.domain_sizes, n_domains) if self.prior == "natural"
                   else np.full(n_domains, 1.0 / n_domains))
        self.weights = self.mu.copy()
        self.h = self.mu.copy()
        self.pi_bar = self.mu.copy()
        self.counts = np.zeros(n_domains)
        self.hist_n: list[list[float]] = [[] for _ in range(n_domains)]
        self.hist_l: list[list[float]] = [[] for _ in range(n_domains)]
        self.params: np.ndarray | None = None
        self.t = 0
        self.n_obs = 0

    def observe(self, step: int, signals) -> None:
        sums, counts = batch_domain_sums(signals.per_sample_loss.cpu().numpy().astype(np.float64), signals,
                                         self.n)
        self.counts += counts
        self.n_obs += 1
        if self.n_obs <= self.ignore_first:
            return
        for k in np.nonzero(counts)[0]:
            self.hist_n[k].append(self.counts[k])
            self.hist_l[k].append(sums[k] / counts[k])

    def fit(self) -> None:
        params = []
        for k in range(self.n):
            n, loss = block_means(self.hist_n[k], self.smooth), block_means(self.hist_l[k], self.smooth)
            if len(n) >= 3 and len(set(n)) >= 3:
                params.append(fit_power_law(n, loss))
            else:
                params.append((0.0, 0.0, 0.0))
        self.params = np.array(params)

    def update(self, step: int, signals) -> None:
        if self.params is None or (self.t and self.t % self.fit_every == 0):
            self.fit()
        self.t += 1
        eps, beta, alpha = self.params.T
        n = np.maximum(self.counts, 1.0)
        neg_dl = alpha * beta * n ** (-alpha) / n  # = α (L(n) − ε) / n
        rho = np.maximum(self.mu * self.h**self.s * neg_dl, 0)
        rho = rho / rho.sum() if rho.sum() > 0 else self.mu.copy()
        pi = self.gamma2 * rho + (1 - self.gamma2) * self.pi_bar
        pi = np.maximum(pi / pi.sum(), self.delta_min)
        pi /= pi.sum()
        self.h = self.gamma1 * pi + (1 - self.gamma1) * self.h
        w = 1.0 / (self.t + 1.0)
        self.pi_bar = w * rho + (1 - w) * self.pi_bar
        self.weights = pi


@register_mixer("doge")
class DoGE(Mixer):
    """DoGE (Fan et al., 2023): upweight domains whose gradient aligns with the target gradient.

        g_i = mean (projected) per-sample gradient of this batch's rows from domain i
        g_T = mean (projected) gradient on held-out rows of `target` domains (all → generalist DoGE)
        log α_i ← log α_i + η · ⟨g_i, g_T⟩ / ‖g_T‖²
        w = (1 − c) α + c / K,   ᾱ = mean of w over updates

    The ‖g_T‖² normalisation makes η scale-free (the paper folds the model learning rate into η);
    defaults η = 1, c = 1e-3, every 10 steps after 20 warm-up steps. Domains absent from the batch keep α_i.
    """

    default_schedule = Schedule(warmup=20, every=10)

    def __init__(self, eta: float = 1.0, smoothing: float = 1e-3, target: list[int] | None = None,
                 target_rows: int = 16, schedule=None):
        super().__init__(schedule)
        self.eta, self.c, self.target, self.target_rows = eta, smoothing, target, target_rows

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        self.log_alpha = np.zeros(n_domains)
        self.avg_sum = np.zeros(n_domains)
        self.n_updates = 0

    def update(self, step: int, signals) -> None:
        g = signals.batch_grads().double()
        gt = signals.target_grad(self.target, self.target_rows).double()
        align = (g @ gt / max(float(gt @ gt), 1e-30)).cpu().numpy()
        sums, counts = batch_domain_sums(align, signals, self.n)
        present = counts > 0
        self.log_alpha[present] += self.eta * sums[present] / counts[present]
        w = (1 - self.c) * softmax(self.log_alpha) + self.c / self.n
        self.avg_sum += w
        self.n_updates += 1
        self.weights = w


@register_mixer("aioli")
class Aioli(Mixer):
    """Aioli (Chen et al., 2024): estimate the inter-domain interaction matrix A, then exponentiated gradient.

    Rounds of K probe segments (`probe_steps` each) followed by `exploit_steps` steps at the current p.
    Segment i trains with p_i = (1 − δ) p + δ e_i and records ΔL_{:,i} = L_after − L_before (held-out loss
    per domain). Under the linear dynamics L_{t+1} − L_t ≈ −A p_t the K segments give A = −ΔL P⁻¹ with
    P = [p_1 … p_K]. Update:  p_i ← p_i · exp(η s_i / max|s|) / Z  with s = Σ_j A_{j,:}  (the domain whose
    weight lowers the summed loss most gains). The max|s| scaling makes η scale-free; defaults δ = 0.5,
    η = 1, probe_steps = 5, exploit_steps = 20.
    """

    self_scheduled = True

    def __init__(self, delta: float = 0.5, eta: float = 1.0, probe_steps: int = 5, exploit_steps: int = 20,
                 schedule=None):
        super().__init__(schedule)
        self.delta, self.eta, self.probe_steps, self.exploit_steps = delta, eta, probe_steps, exploit_steps

    def setup(self, n_domains: int) -> None:
        super().setup(n_domains)
        self.delta_loss = np.zeros((n_domains, n_domains))
        self.before: np.ndarray | None = None
        self.A: np.ndarray | None = None

    def _pos(self, step: int) -> int | None:
        if step < self.schedule.warmup or (self.schedule.stop_after and step >= self.schedule.stop_after):
            return None
        return (step - self.schedule.warmup) % (self.n * self.probe_steps + self.exploit_steps)

    def probe_mixture(self, i: int) -> np.ndarray:
        return (1 - self.delta) * self.weights + self.delta * np.eye(self.n)[i]

    def probe_weights(self, step: int, signals=None) -> np.ndarray:
        pos = self._pos(step)
        if pos is None or pos >= self.n * self.probe_steps:
            return self.weights
        if pos % self.probe_steps == 0 and signals is not None:
            self.before = signals.eval_losses().copy()  # model state before this segment's first step
        return self.probe_mixture(pos // self.probe_steps)

    def observe(self, step: int, signals) -> None:
        pos = self._pos(step)
        if pos is None or pos >= self.n * self.probe_steps or (pos + 1) % self.probe_steps:
            return
        i = pos // self.probe_steps
        if self.before is not None:
            self.delta_loss[:, i] = signals.eval_losses() - self.before
        if i == self.n - 1:
            self.update(step, signals)

    def update(self, step: int, signals) -> None:
        P = np.stack([self.probe_mixture(i) for i in range(self.n)], axis=1)
        self.A = -self.delta_loss @ np.linalg.inv(P)
        s = self.A.sum(axis=0)
        scale = np.abs(s).max()
        if scale > 0:
            w = self.weights * np.exp(self.eta * s / scale)
            self.weights = w / w.sum()
