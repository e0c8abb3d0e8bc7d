"""The classifier head: logistic regression (L-BFGS, any features) or a one-hidden-layer MLP (torch, dense
features only), with class-balanced training and Platt calibration fitted on a separate split.

Its state is plain numpy arrays, saved as one .npz, so loading a model needs neither pickle nor torch.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from tilth.classify import features as F


@contextlib.contextmanager
def one_blas_thread():
    """Small matrix-vector products run on one BLAS thread: OpenBLAS's spinning threads made a 0.1 s fit take
    6 s on two cores that other processes were using."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -40, 40)))


def check_head(head: str, kinds: tuple[str, ...]) -> None:
    if head not in ("linear", "mlp"):
        raise ValueError(f"head: linear or mlp (got {head!r})")
    if head == "mlp" and "ngrams" in kinds:
        raise ValueError("head mlp takes dense features only (embed, stats): drop ngrams or use head linear")


@dataclass
class Head:
    """Features config + weights + calibration: everything needed to score raw texts."""

    kinds: tuple[str, ...]
    head: str = "linear"  # linear | mlp
    ngram_dim: int = 1 << 16
    max_chars: int = 1000
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    # -- features ----------------------------------------------------------------------------------------
    def features(self, texts: list[str], embeddings: np.ndarray | None = None) -> sp.csr_matrix:
        scale = (self.arrays["stats_mu"], self.arrays["stats_sd"]) if "stats_mu" in self.arrays else None
        return F.featurize(texts, self.kinds, self.ngram_dim, self.max_chars, embeddings, scale)

    def fit_scaling(self, texts: list[str]) -> None:
        if "stats" in self.kinds:
            s = F.stats(texts)
            self.arrays["stats_mu"] = s.mean(0)
            self.arrays["stats_sd"] = np.maximum(s.std(0), 1e-6)

    # -- training ----------------------------------------------------------------------------------------
    def fit(self, x: sp.csr_matrix, y: np.ndarray, l2: float = 1e-3, seed: int = 0) -> None:
        """Class-balanced fit of the raw logit (calibration comes after, on other rows)."""
        w = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1)))
        with one_blas_thread():
            if self.head == "linear":
                self._fit_linear(x, y.astype(np.float64), w, l2)
            else:
                self._fit_mlp(x, y, w, l2, seed)

    def _fit_linear(self, x, y, w, l2) -> None:
        n, d = x.shape

        def loss(theta):
            z = x @ theta[:d] + theta[d]
            p = sigmoid(z)
            ll = np.sum(w * (np.logaddexp(0, z) - y * z)) / n + 0.5 * l2 * theta[:d] @ theta[:d]
            g = w * (p - y) / n
            return ll, np.concatenate([x.T @ g + l2 * theta[:d], [g.sum()]])

        res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
        self.arrays.update(w=res.x[:d].astype(np.float32), b=np.array([res.x[d]], np.float32))

    def _fit_mlp(self, x, y, w, l2, seed, hidden: int = 64, epochs: int = 200) -> None:
        import torch

        check_head(self.head, self.kinds)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a 64-unit layer: more threads only spin
        try:
            self._fit_mlp_torch(torch, x, y, w, l2, seed, hidden, epochs)
        finally:
            torch.set_num_threads(threads)

    def _fit_mlp_torch(self, torch, x, y, w, l2, seed, hidden, epochs) -> None:
        torch.manual_seed(seed)
        xt = torch.tensor(x.toarray(), dtype=torch.float32)
        yt, wt = torch.tensor(y, dtype=torch.float32), torch.tensor(w, dtype=torch.float32)
        net = torch.nn.Sequential(torch.nn.Linear(xt.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=l2)
        for _ in range(epochs):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt).squeeze(1), yt, weight=wt)
            loss.backward()
            opt.step()
        sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
        self.arrays.update(w1=sd["0.weight"], b1=sd["0.bias"], w2=sd["2.weight"].ravel(), b2=sd["2.bias"])

    def calibrate(self, z: np.ndarray, y: np.ndarray) -> None:
        """Platt scaling: p = sigmoid(a z + c), fitted on held-out logits by maximum likelihood, with Platt's
        smoothed targets ((n+ + 1) / (n+ + 2) and 1 / (n- + 2)) so that separable rows do not send a to infinity."""
        pos = y.sum()
        y = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (len(y) - pos + 2))

        def nll(t):
            s = t[0] * z + t[1]
            p = sigmoid(s)
            return np.mean(np.logaddexp(0, s) - y * s), np.array([np.mean((p - y) * z), np.mean(p - y)])

        with one_blas_thread():
            res = minimize(nll, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
        self.arrays["platt"] = res.x.astype(np.float64)

    # -- scoring -----------------------------------------------------------------------------------------
    def logit(self, x: sp.csr_matrix) -> np.ndarray:
        a = self.arrays
        if self.head == "linear":
            return np.asarray(x @ a["w"]).ravel() + a["b"][0]
        h = np.maximum(x @ a["w1"].T + a["b1"], 0)
        return np.asarray(h @ a["w2"]).ravel() + a["b2"][0]

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        """Calibrated P(keep)."""
        a, c = self.arrays.get("platt", (1.0, 0.0))
        return sigmoid(a * self.logit(x) + c)

    def score_texts(self, texts: list[str]) -> np.ndarray:
        x = self.features(texts)
        with one_blas_thread():
            return self.proba(x)

    # -- persistence -------------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {"features": "+".join(self.kinds), "head": self.head, "ngram_dim": self.ngram_dim,
                "max_chars": self.max_chars}

    @classmethod
    def from_saved(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Head:
        return cls(F.parse_kinds(config["features"]), config["head"], int(config["ngram_dim"]),
                   int(config["max_chars"]), dict(arrays))
