"""A stand-in for trainer Signals with hand-chosen values, so module updates can be checked exactly."""

from __future__ import annotations

import numpy as np
import torch


class FakeSignals:
    def __init__(self, token_loss=None, domains=None, ref_token_loss=None, grads=None, target=None,
                 eval_losses=None, pool_loss=None, pool_ref_loss=None):
        self.token_loss = None if token_loss is None else torch.tensor(token_loss, dtype=torch.float64)
        self.batch_domains = None if domains is None else np.asarray(domains)
        self.ref = None if ref_token_loss is None else torch.tensor(ref_token_loss, dtype=torch.float64)
        self._grads = None if grads is None else torch.tensor(grads, dtype=torch.float64)
        self._target = None if target is None else torch.tensor(target, dtype=torch.float64)
        self.L = None if eval_losses is None else np.asarray(eval_losses, dtype=np.float64)
        self.pool_loss, self.pool_ref_loss = pool_loss, pool_ref_loss
        self.pool_rows = None if pool_loss is None else torch.arange(len(pool_loss))

    @property
    def per_sample_loss(self):
        return self.token_loss.mean(dim=1)

    def batch_reference_token_loss(self):
        return self.ref

    def batch_grads(self):
        return self._grads

    def grads(self, x):
        return self._grads

    def output_grads(self, x):
        return self._grads

    def target_grad(self, target=None, rows=16, kind="full", every=1):
        return self._target

    def eval_losses(self):
        return self.L.copy()

    def inference_token_loss(self, x, model=None):
        return torch.tensor(self.pool_loss, dtype=torch.float64)[:, None].repeat(1, 3)

    def remembered_loss(self, rows, domains):
        return torch.tensor(self.pool_loss, dtype=torch.float64)[rows]

    def reference_row_loss(self, rows):
        return torch.tensor(self.pool_ref_loss, dtype=torch.float64)[rows]

    def reference_token_loss(self, x):
        return torch.tensor(self.pool_ref_loss, dtype=torch.float64)[:, None].repeat(1, 3)
