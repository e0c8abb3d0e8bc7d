"""Per-sample gradients from torch.func must equal plain autograd on each single sample."""

from __future__ import annotations

import pytest
import torch

from tilth.train.model import build_model, token_losses
from tilth.train.signals import Projector, per_sample_grads, select_params


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model({"n_layer": 1, "n_embd": 16, "n_head": 2}, vocab_size=31, seq_len=12, seed=0)


def autograd_grad(model, seq, names):
    model.zero_grad()
    token_losses(model, seq[None]).mean().backward()
    params = dict(model.named_parameters())
    return torch.cat([params[n].grad.reshape(-1) for n in names])


def test_per_sample_grads_match_autograd_on_each_sample(model):
    x = torch.randint(0, 31, (5, 13), generator=torch.Generator().manual_seed(1))
    names = select_params(model, None)
    g = per_sample_grads(model, x, names)
    assert g.shape == (5, sum(p.numel() for p in model.parameters()))
    for i in range(5):
        torch.testing.assert_close(g[i], autograd_grad(model, x[i], names), rtol=1e-4, atol=1e-6)


def test_layer_restriction_keeps_only_matching_parameters(model):
    x = torch.randint(0, 31, (3, 13), generator=torch.Generator().manual_seed(2))
    names = select_params(model, ["h.0.mlp"])
    assert names and all("h.0.mlp" in n for n in names)
    g = per_sample_grads(model, x, names, chunk_size=2)
    assert g.shape[1] == sum(dict(model.named_parameters())[n].numel() for n in names)
    torch.testing.assert_close(g[2], autograd_grad(model, x[2], names), rtol=1e-4, atol=1e-6)


def test_unknown_layer_name_is_an_error(model):
    with pytest.raises(ValueError, match="no parameters"):
        select_params(model, ["no_such_layer"])


def test_projection_is_a_fixed_seeded_linear_map():
    g = torch.randn(4, 50, generator=torch.Generator().manual_seed(3))
    p1, p2 = Projector(50, 8, seed=7), Projector(50, 8, seed=7)
    torch.testing.assert_close(p1(g), p2(g))
    torch.testing.assert_close(p1(g), g @ p1.matrix)
    assert set(torch.sign(p1.matrix).unique().tolist()) == {-1.0, 1.0}
    torch.testing.assert_close(p1.matrix.abs(), torch.full((50, 8), 8**-0.5))
    torch.testing.assert_close(p1(g[0] + g[1]), p1(g[0]) + p1(g[1]))


def test_projection_preserves_inner_products_on_average():
    """Johnson–Lindenstrauss: E[<Pa, Pb>] = <a, b>; with k = 4096 the error is small."""
    gen = torch.Generator().manual_seed(4)
    a, b = torch.randn(2, 300, generator=gen)
    p = Projector(300, 4096, seed=5)
    assert abs(float(p(a) @ p(b)) - float(a @ b)) < 0.1 * float(a.norm() * b.norm())


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_output_layer_grads_match_autograd_of_the_unembedding(arch):
    """Closed-form E_iᵀ H_i / T equals autograd w.r.t. an untied output matrix, and its Kronecker
    projection equals the dense projection vec(G) @ (P_V ⊗ P_d)."""
    from tilth.train.signals import KroneckerProjector, output_layer_grads

    m = build_model({"arch": arch, "n_layer": 1, "n_embd": 16, "n_head": 2, "tie_word_embeddings": False},
                    vocab_size=31, seq_len=12, seed=0)
    x = torch.randint(0, 31, (4, 13), generator=torch.Generator().manual_seed(3))
    name = next(n for n, p in m.named_parameters() if p is m.get_output_embeddings().weight)
    g = output_layer_grads(m, x)
    assert g.shape == (4, 31 * 16)
    for i in range(4):
        torch.testing.assert_close(g[i], autograd_grad(m, x[i], [name]), rtol=1e-4, atol=1e-6)
    proj = KroneckerProjector(31, 16, 128, seed=0)
    assert (proj.k1, proj.k2) == (16, 8)
    torch.testing.assert_close(output_layer_grads(m, x, proj), g @ proj.matrix(), rtol=1e-4, atol=1e-6)


def test_kronecker_projection_preserves_inner_products_on_average():
    from tilth.train.signals import KroneckerProjector

    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(40 * 24, generator=gen), torch.randn(40 * 24, generator=gen)
    b = 0.6 * a + 0.8 * b  # true cosine ≈ 0.6
    est = [float((a @ p) @ (b @ p)) for p in (KroneckerProjector(40, 24, 256, seed=s).matrix() for s in range(50))]
    assert sum(est) / len(est) == pytest.approx(float(a @ b), rel=0.1)
