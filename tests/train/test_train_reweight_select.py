"""Sow et al. reweighting and the selectors, against hand-computed weights and masks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from train_fake_signals import FakeSignals

from tilth.train.reweighters import LossReweighter, UniformReweighter
from tilth.train.selectors import LessSelector, LossSelector, RandomSelector, RhoSelector

LOSSES = torch.tensor([1.0, 2.0, 3.0])  # normalised to ℓ̃ = −1, 0, 1 with δ = 1
E = math.e


@pytest.mark.parametrize("strategy, expected", [
    ("linupper", [1, E, E]),     # min(ℓ̃ + 1, 1) = 0, 1, 1
    ("quadratic", [1, E, 1]),    # 1 − ℓ̃² = 0, 1, 0
    ("extremes", [E, 1, E]),     # |ℓ̃| = 1, 0, 1
])
def test_sow_weights_match_hand_computation(strategy, expected):
    w = LossReweighter(strategy=strategy).weights(0, LOSSES, None, None)
    e = np.array(expected)
    np.testing.assert_allclose(w.numpy(), 3 * e / e.sum(), rtol=1e-6)


def test_temperature_flattens_weights():
    hot = LossReweighter(temperature=1e6).weights(0, LOSSES, None, None)
    np.testing.assert_allclose(hot.numpy(), [1, 1, 1], rtol=1e-5)


@given(st.lists(st.floats(0.0, 20.0), min_size=2, max_size=32))
def test_linupper_weights_average_one_and_never_decrease_with_loss(values):
    losses = torch.tensor(values, dtype=torch.float64)
    w = LossReweighter("linupper").weights(0, losses, None, None).double()
    assert float(w.mean()) == pytest.approx(1.0)
    order = torch.argsort(losses)
    assert torch.all(torch.diff(w[order]) >= -1e-6)


def test_uniform_reweighter_is_all_ones():
    assert UniformReweighter().weights(0, LOSSES, None, None).tolist() == [1.0, 1.0, 1.0]


POOL = torch.zeros(4, 5, dtype=torch.long)


@pytest.mark.parametrize("scores", ["remembered", "fresh"])
def test_loss_selector_high_keeps_highest_losses(scores):
    sig = FakeSignals(pool_loss=[0.1, 0.9, 0.5, 0.7])
    assert LossSelector("high", scores=scores).select(0, POOL, None, 2, sig).tolist() == [False, True, False, True]


def test_selectors_reject_unknown_score_source():
    with pytest.raises(ValueError, match="scores must be one of"):
        LossSelector(scores="stale")


def test_loss_selector_band_keeps_rows_nearest_the_band_middle():
    sig = FakeSignals(pool_loss=[0.1, 0.9, 0.5, 0.7])
    # middle quantile 0.4 of the pool → 0.54 (linear interpolation); nearest rows 0.5 and 0.7
    mask = LossSelector("band", q_low=0.2, q_high=0.6).select(0, POOL, None, 2, sig)
    assert mask.tolist() == [False, False, True, True]


def test_rho_selector_keeps_highest_reducible_loss():
    sig = FakeSignals(pool_loss=[2.0, 3.0, 1.0, 2.5], pool_ref_loss=[1.9, 1.0, 0.2, 2.5])
    # reducible = 0.1, 2.0, 0.8, 0.0: the noisy row (high both) and the learnt row (low both) lose
    assert RhoSelector().select(0, POOL, None, 2, sig).tolist() == [False, True, True, False]


def test_less_selector_keeps_rows_best_aligned_with_target_gradient():
    sig = FakeSignals(grads=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]], target=[1.0, 0.2])
    # cosines 0.98, 0.20, 0.83, −0.98
    assert LessSelector().select(0, POOL, None, 2, sig).tolist() == [True, False, True, False]


def test_random_selector_keeps_exactly_n_and_is_seeded():
    a = RandomSelector(seed=3).select(0, torch.zeros(10, 5), None, 4, None)
    b = RandomSelector(seed=3).select(0, torch.zeros(10, 5), None, 4, None)
    assert int(a.sum()) == 4 and a.tolist() == b.tolist()
