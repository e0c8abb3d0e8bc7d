"""Each mixer's update checked against the paper's rule computed by hand on tiny inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from train_fake_signals import FakeSignals

from tilth.train.data import domain_counts
from tilth.train.mixers import ADO, ODM, Aioli, DoGE, DoReMi, StaticMixer, fit_power_law
from tilth.train.modules import Schedule, build, domain_objective_weights


def test_static_weights_are_normalised_and_checked():
    m = StaticMixer(weights=[1, 3])
    m.setup(2)
    assert m.weights.tolist() == [0.25, 0.75]
    with pytest.raises(ValueError):
        StaticMixer(weights=[1, 2, 3]).setup(2)


def test_natural_weights_are_domain_sizes_over_their_total():
    m = build("mixer", {"name": "static", "weights": "natural"})
    m.domain_sizes = np.array([800, 50, 40, 60, 50])
    m.setup(5)
    assert m.weights.tolist() == [0.8, 0.05, 0.04, 0.06, 0.05]
    with pytest.raises(ValueError, match="need the domain sizes"):
        StaticMixer(weights="natural").setup(5)
    with pytest.raises(ValueError, match="weights must be one of"):
        StaticMixer(weights="proportional")


def test_ado_natural_prior_starts_from_and_shrinks_towards_the_natural_mixture():
    m = ADO(prior="natural")
    m.domain_sizes = np.array([3, 1])
    m.setup(2)
    assert m.mu.tolist() == [0.75, 0.25] and m.weights.tolist() == [0.75, 0.25]
    assert m.pi_bar.tolist() == [0.75, 0.25] and m.h.tolist() == [0.75, 0.25]
    u = ADO()
    u.setup(2)
    assert u.mu.tolist() == [0.5, 0.5] and u.weights.tolist() == [0.5, 0.5]


def test_trainer_gives_the_mixer_each_domains_training_rows(tmp_path):
    from tilth.train.data import DomainData
    from tilth.train.trainer import TrainConfig, Trainer

    rows = lambda n: torch.zeros((n, 9), dtype=torch.long)  # noqa: E731
    data = DomainData(["a", "b"], [rows(30), rows(10)], [rows(2), rows(2)])
    cfg = TrainConfig(model={"n_layer": 1, "n_embd": 16, "n_head": 2}, seq_len=8, batch_size=4, steps=1,
                      mixer={"name": "static", "weights": "natural"}, threads=1)
    t = Trainer(cfg, data)
    assert t.mixer.domain_sizes.tolist() == [30, 10] and t.mixer.weights.tolist() == [0.75, 0.25]


def test_stratified_counts_use_largest_remainder():
    carry = np.zeros(3)
    counts = domain_counts(np.array([0.5, 0.3, 0.2]), 7, torch.Generator(), carry)
    assert counts.tolist() == [4, 2, 1]  # raw 3.5, 2.1, 1.4 → floors 3,2,1; largest remainder 0.5 → domain 0
    assert np.allclose(carry, [-0.5, 0.1, 0.4])
    # floors 3,2,1 again; owed 0.5−0.5, 0.1+0.1, 0.4+0.4 → the spare row goes to domain 2
    assert domain_counts(np.array([0.5, 0.3, 0.2]), 7, torch.Generator(), carry).tolist() == [3, 2, 2]
    assert np.allclose(carry, [0.0, 0.2, -0.2])


def test_stratified_small_weight_is_not_starved():
    # bug: without the carried remainder, 0.015 · 32 = 0.48 rounded to 0 rows at every step
    carry = np.zeros(4)
    w = np.array([0.30, 0.63, 0.015, 0.055])
    got = sum(domain_counts(w, 32, torch.Generator(), carry) for _ in range(100))
    assert got.tolist() == [960, 2016, 48, 176]  # exactly w · 3200


@given(st.lists(st.floats(0.01, 10), min_size=1, max_size=6), st.integers(1, 200), st.integers(1, 30))
def test_stratified_counts_sum_to_n_and_track_the_target_over_steps(ws, n, steps):
    w = np.array(ws) / sum(ws)
    carry = np.zeros(len(w))
    total = np.zeros(len(w))
    for _ in range(steps):
        counts = domain_counts(w, n, torch.Generator(), carry)
        assert counts.sum() == n and (counts >= 0).all()
        total += counts
    assert np.all(np.abs(total - w * n * steps) < 2)  # |carry|: observed ≤ 1.15 over 1.2M random steps


def test_schedule_warmup_every_and_stop():
    s = Schedule(warmup=2, every=3, stop_after=9)
    assert [t for t in range(12) if s.active(t)] == [2, 5, 8]


def test_build_from_yaml_forms():
    assert isinstance(build("mixer", "odm"), ODM)
    m = build("mixer", {"name": "doremi", "eta": 0.5, "schedule": {"every": 4}})
    assert m.eta == 0.5 and m.schedule.every == 4
    with pytest.raises(KeyError, match="unknown mixer"):
        build("mixer", "nope")


def doremi_batch():
    # domain 0 rows: excess clamp(1-0.5, 3-3.5) = (0.5, 0) and (1, 1); domain 1 row: (0, 0)
    return FakeSignals(token_loss=[[1.0, 3.0], [2.0, 2.0], [0.5, 0.5]], domains=[0, 0, 1],
                       ref_token_loss=[[0.5, 3.5], [1.0, 1.0], [1.0, 1.0]])


def test_doremi_update_matches_hand_computation():
    m = DoReMi(eta=1.0, smoothing=0.1)
    m.setup(2)
    m.observe(0, doremi_batch())
    m.update(0, None)
    lam0 = 2.5 / 4  # per-token excess of domain 0; domain 1 has none
    a0 = math.exp(lam0) / (math.exp(lam0) + 1)
    np.testing.assert_allclose(m.weights, [0.9 * a0 + 0.05, 0.9 * (1 - a0) + 0.05], rtol=1e-12)


def test_doremi_reweight_proxy_samples_uniformly_and_puts_alpha_on_the_loss():
    m = DoReMi(eta=1.0, smoothing=0.1, proxy="reweight")
    m.setup(2)
    m.observe(0, doremi_batch())
    m.update(0, None)
    a0 = math.exp(2.5 / 4) / (math.exp(2.5 / 4) + 1)
    np.testing.assert_array_equal(m.probe_weights(1), [0.5, 0.5])
    np.testing.assert_allclose(m.loss_weights(), [0.9 * a0 + 0.05, 0.9 * (1 - a0) + 0.05], rtol=1e-12)
    assert DoReMi().loss_weights() is None  # the default proxy resamples instead
    with pytest.raises(ValueError, match="proxy must be one of"):
        DoReMi(proxy="both")


def test_domain_objective_weights_make_the_mean_a_weighted_sum_of_domain_means():
    alpha = np.array([0.5, 0.3, 0.2])
    domains = torch.tensor([0, 0, 1, 2, 2, 2])
    losses = torch.tensor([1.0, 3.0, 2.0, 4.0, 5.0, 6.0])
    w = domain_objective_weights(alpha, domains)
    np.testing.assert_allclose(w.numpy(), [1.5, 1.5, 1.8, 0.4, 0.4, 0.4], rtol=1e-6)  # α_d · 6 / n_d
    assert float((w * losses).mean()) == pytest.approx(0.5 * 2.0 + 0.3 * 2.0 + 0.2 * 5.0)


def test_doremi_lambda_pools_the_whole_window_not_one_batch():
    m = DoReMi(eta=2.0, smoothing=0.0)
    m.setup(2)
    m.observe(0, doremi_batch())
    m.observe(1, FakeSignals(token_loss=[[3.0, 3.0]], domains=[1], ref_token_loss=[[1.0, 2.0]]))
    m.update(1, None)
    lam = np.array([2.5 / 4, 3.0 / 4])  # domain 1: (0 + 0 + 2 + 1) excess over 2 + 2 tokens
    np.testing.assert_allclose(m.weights, np.exp(2 * lam) / np.exp(2 * lam).sum(), rtol=1e-12)
    first = m.weights.copy()
    m.update(2, None)  # empty window: λ = 0, α unchanged; time average of two equal vectors
    np.testing.assert_allclose(m.average, first, rtol=1e-12)


def test_doremi_smoothed_alpha_carries_into_the_next_update():
    m = DoReMi(eta=1.0, smoothing=0.1)
    m.setup(2)
    m.observe(0, doremi_batch())
    m.update(0, None)
    a1 = m.weights.copy()
    m.observe(1, doremi_batch())
    m.update(1, None)
    raw = a1 * np.exp([2.5 / 4, 0.0])
    a2 = 0.9 * raw / raw.sum() + 0.05
    np.testing.assert_allclose(m.weights, a2, rtol=1e-12)
    np.testing.assert_allclose(m.average, (a1 + a2) / 2, rtol=1e-12)


def test_odm_exp3_update_matches_hand_computation():
    m = ODM(alpha=0.9)
    m.setup(2)
    m.update(0, FakeSignals(token_loss=[[2.0], [4.0], [1.0]], domains=[0, 0, 1]))
    R = 0.1 * np.array([3.0 / 0.5, 1.0 / 0.5])  # per-domain mean loss / π, smoothed from R = 0
    np.testing.assert_allclose(m.rewards, R)
    e2, e1 = math.sqrt(math.log(2) / 4), 0.5  # ε_2 = sqrt(ln2 / (2·2)) < 1/2; ε_1 capped at 1/K
    soft = np.exp(e1 * R) / np.exp(e1 * R).sum()
    np.testing.assert_allclose(m.weights, (1 - 2 * e2) * soft + e2, rtol=1e-12)
    pi, before = m.weights.copy(), m.rewards[0]
    m.update(1, FakeSignals(token_loss=[[2.0]], domains=[1]))  # domain 0 absent: its reward is kept
    assert m.rewards[0] == before
    assert m.rewards[1] == pytest.approx(0.9 * R[1] + 0.1 * 2.0 / pi[1])


def test_power_law_fit_recovers_known_curve():
    n = np.geomspace(10, 5000, 60)
    eps, beta, alpha = fit_power_law(n, 1.5 + 2.0 * n**-0.5, grid=400)
    assert eps == pytest.approx(1.5, abs=0.01)
    assert beta == pytest.approx(2.0, rel=0.05)
    assert alpha == pytest.approx(0.5, rel=0.05)


def test_ado_update_matches_hand_computation():
    m = ADO(gamma1=0.1, gamma2=0.1, s=0.5, delta_min=0.01)
    m.setup(2)
    m.params = np.array([[1.0, 2.0, 0.5], [1.0, 1.0, 0.5]])  # (ε, β, α) per domain
    m.counts = np.array([100.0, 100.0])
    m.update(0, None)
    rho = np.array([2 / 3, 1 / 3])  # −dL/dn = αβ n^−α / n = 0.001 and 0.0005; μ and h uniform
    pi = 0.1 * rho + 0.9 * 0.5
    np.testing.assert_allclose(m.weights, pi)
    np.testing.assert_allclose(m.h, 0.1 * pi + 0.9 * 0.5)
    np.testing.assert_allclose(m.pi_bar, 0.5 * rho + 0.5 * 0.5)


def test_ado_enforces_minimum_probability():
    m = ADO(gamma2=1.0, delta_min=0.1)
    m.setup(2)
    m.params = np.array([[1.0, 2.0, 0.5], [1.0, 2.0, 0.0]])  # domain 1 has stopped improving
    m.counts = np.array([100.0, 100.0])
    m.update(0, None)
    np.testing.assert_allclose(m.weights, [1 / 1.1, 0.1 / 1.1])


def test_ado_observes_only_each_domains_own_rows():
    m = ADO(ignore_first=0)
    m.setup(2)
    m.observe(0, FakeSignals(token_loss=[[2.0], [4.0], [9.0]], domains=[0, 0, 1]))
    assert m.hist_l == [[3.0], [9.0]] and m.counts.tolist() == [2.0, 1.0]


def test_doge_update_matches_hand_computation():
    m = DoGE(eta=1.0, smoothing=0.0)
    m.setup(2)
    sig = FakeSignals(domains=[0, 0, 1], grads=[[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]], target=[2.0, 0.0])
    m.update(0, sig)
    # ⟨g, g_T⟩/‖g_T‖² per row = 0.5, 1.5, 0 → domain means 1.0 and 0.0
    np.testing.assert_allclose(m.weights, [math.e / (math.e + 1), 1 / (math.e + 1)])


def test_aioli_recovers_interaction_matrix_under_linear_dynamics():
    A_true = np.array([[0.3, 0.1], [0.05, 0.2]])
    m = Aioli(delta=0.5, eta=1.0, probe_steps=1, exploit_steps=0)
    m.setup(2)
    sig = FakeSignals(eval_losses=[3.0, 3.0])
    p0 = m.weights.copy()
    for step in range(2):  # one probe segment per domain, one step each
        p = m.probe_weights(step, sig)
        sig.L = sig.L - A_true @ p
        m.observe(step, sig)
    np.testing.assert_allclose(m.A, A_true, atol=1e-12)
    s = A_true.sum(axis=0)
    w = p0 * np.exp(s / np.abs(s).max())
    np.testing.assert_allclose(m.weights, w / w.sum())


def test_ado_fits_block_means_of_its_noisy_per_step_losses():
    from tilth.train.mixers import block_means

    assert block_means([1.0, 2.0, 3.0, 4.0, 5.0], 2).tolist() == [1.5, 3.5]
    m = ADO(ignore_first=0, smooth=10)
    m.setup(1)
    n = np.arange(1, 31, dtype=float)
    m.hist_n[0], m.hist_l[0] = list(n * 100), list(1.5 + 2.0 * (n * 100) ** -0.5 + 0.01 * (-1) ** n)
    m.fit()  # three block means: the ±0.01 alternation cancels inside each block of 10
    expect = fit_power_law(block_means(m.hist_n[0], 10), block_means(m.hist_l[0], 10))
    np.testing.assert_allclose(m.params[0], expect)
    m.hist_n[0], m.hist_l[0] = m.hist_n[0][:29], m.hist_l[0][:29]
    m.fit()  # only two full blocks: too few points to fit, so no predicted progress
    assert m.params[0].tolist() == [0.0, 0.0, 0.0]
