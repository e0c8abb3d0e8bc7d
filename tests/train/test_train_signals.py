"""Signals on a real tiny model: lazy, cached per step, and equal to direct computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tilth.train.data import DomainData
from tilth.train.model import build_model, token_losses
from tilth.train.signals import Signals


def make(projection_dim=4):
    gen = torch.Generator().manual_seed(0)
    data = DomainData(["a", "b"], [torch.randint(0, 20, (6, 9), generator=gen) for _ in range(2)],
                      [torch.randint(0, 20, (3, 9), generator=gen) for _ in range(2)])
    model = build_model({"n_layer": 1, "n_embd": 8, "n_head": 2}, 20, 8, seed=0)
    return Signals(model, data, torch.device("cpu"), eval_rows=2, eval_skip=3,
                   projection_dim=projection_dim), model, data


def test_eval_losses_are_per_domain_means_after_skip_and_cached():
    sig, model, data = make()
    with torch.no_grad():
        expected = [float(token_losses(model, data.heldout[d][:2])[:, 3:].mean()) for d in range(2)]
    np.testing.assert_allclose(sig.eval_losses(), expected, rtol=1e-6)
    sig.eval_losses()
    assert sig.cost["eval_calls"] == 1
    sig.new_step(1, data.train[0][:2], torch.tensor([0, 0]), torch.zeros(2, 8))
    sig.eval_losses()
    assert sig.cost["eval_calls"] == 2  # a new step invalidates the cache


def test_per_sample_loss_comes_from_the_given_forward_pass():
    sig, model, data = make()
    x = data.train[1][:3]
    with torch.no_grad():
        tl = token_losses(model, x)
    sig.new_step(0, x, torch.tensor([1, 1, 1]), tl)
    torch.testing.assert_close(sig.per_sample_loss, tl.mean(dim=1))
    torch.testing.assert_close(sig.inference_token_loss(x), tl)
    assert sig.cost["inference_rows"] == 3  # only the explicit inference call cost a pass


def test_batch_grads_are_projected_and_cached_per_step():
    sig, model, data = make(projection_dim=4)
    x = data.train[0][:3]
    sig.new_step(0, x, torch.tensor([0, 0, 0]), torch.zeros(3, 8))
    g = sig.batch_grads()
    assert g.shape == (3, 4) and sig.batch_grads() is g and sig.cost["grad_rows"] == 3
    assert sig.target_grad().shape == (4,)


def test_remembered_loss_records_trained_rows_and_falls_back_to_the_domain_average():
    sig, model, data = make()
    # rows 0-5 are domain a, 6-11 domain b; train on rows 1 and 2 (losses 1.0 and 3.0 per token)
    sig.new_step(0, data.train[0][1:3], torch.tensor([0, 0]), torch.tensor([[1.0] * 8, [3.0] * 8]),
                 rows=torch.tensor([1, 2]))
    got = sig.remembered_loss(torch.tensor([2, 1, 4, 7]), torch.tensor([0, 0, 0, 1]))
    # seen rows keep their own loss; unseen row 4 gets domain a's average 2.0; domain b is unseen → +inf
    assert got.tolist() == [3.0, 1.0, 2.0, float("inf")]
    sig.new_step(1, data.train[0][1:2], torch.tensor([0]), torch.full((1, 8), 0.5), rows=torch.tensor([1]))
    assert sig.remembered_loss(torch.tensor([1, 4]), torch.tensor([0, 0])).tolist() == pytest.approx([0.5, 0.9 * 2.0 + 0.1 * 0.5])
    assert sig.cost["inference_rows"] == 0


def test_reference_row_losses_are_computed_once_for_every_training_row():
    sig, model, data = make()
    ref = build_model({"n_layer": 1, "n_embd": 8, "n_head": 2}, 20, 8, seed=5)
    sig.reference_model = ref
    with torch.no_grad():
        expected = token_losses(ref, data.train[1][[0, 4]]).mean(dim=1)
    torch.testing.assert_close(sig.reference_row_loss(torch.tensor([6, 10])), expected)
    sig.reference_row_loss(torch.tensor([0]))
    assert sig.cost["inference_rows"] == 12  # one pass over the 12 training rows, then lookups
