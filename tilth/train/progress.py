"""The live line `tilth train` shows while it runs: step, loss, tokens/s and the current mixture weights.

On a terminal it is one line redrawn in place (rich), at most ten times a second; in a log file or pipe it
is a plain line every `every` steps (a twentieth of the run by default) and at the last step, so logs
stay short and still show the run moving.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def progress_text(step: int, total: int, loss: float, tokens_per_s: float, domains: list[str],
                  weights: np.ndarray) -> str:
    mix = "  ".join(f"{d[:12]} {w:.3f}" for d, w in zip(domains, weights, strict=True))
    return f"step {step}/{total}  loss {loss:.4f}  {tokens_per_s:,.0f} tok/s  weights {mix}"


class ProgressLine:
    def __init__(self, total: int, domains: list[str], stream=None, every: int | None = None,
                 min_interval: float = 0.1):
        self.total, self.domains = total, domains
        self.stream = stream or sys.stderr
        self.every = every or max(1, total // 20)
        self.min_interval = min_interval
        self.live = None
        if self.stream.isatty():
            from rich.console import Console
            from rich.live import Live

            self.live = Live("", console=Console(file=self.stream), auto_refresh=False, transient=False)
            self.live.start()
        self.last_t: float | None = None
        self.last_tokens = 0
        self.last_shown = 0.0

    def update(self, step: int, loss: float, tokens: int, weights) -> None:
        """`step` steps done, `tokens` trained on so far; tokens/s is measured since the previous line."""
        now = time.perf_counter()
        if self.last_t is None:  # the first step of this process: no rate yet
            self.last_t, self.last_tokens = now, tokens
            rate = 0.0
        else:
            rate = (tokens - self.last_tokens) / max(now - self.last_t, 1e-9)
        last = step == self.total
        if self.live is not None:
            if last or now - self.last_shown >= self.min_interval:
                self.live.update(progress_text(step, self.total, loss, rate, self.domains, weights), refresh=True)
                self._mark(now, tokens)
        elif last or step % self.every == 0:
            print(progress_text(step, self.total, loss, rate, self.domains, weights), file=self.stream, flush=True)
            self._mark(now, tokens)

    def _mark(self, now: float, tokens: int) -> None:
        self.last_shown = self.last_t = now
        self.last_tokens = tokens

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
