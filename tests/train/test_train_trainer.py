"""End-to-end: a tiny model trains on a workspace table and logs every step into the workspace database."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tilth.storage.workspace import Workspace
from tilth.train import synthetic
from tilth.train.data import DomainData, load_domain_data, pack, sample_batch
from tilth.train.model import build_model, token_losses
from tilth.train.tokenizer import ByteTokenizer
from tilth.train.trainer import TrainConfig, Trainer, lr_at

TINY = {"n_layer": 1, "n_embd": 16, "n_head": 2}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("ws"))
    synthetic.write_dataset(w, docs_per_domain=6, doc_chars=300)
    return w


def cfg(**kw):
    base = dict(dataset="synthetic_mix", model=TINY, seq_len=16, batch_size=8, steps=6, eval_every=3,
                eval_rows=4, warmup_steps=2, threads=1)
    return TrainConfig(**{**base, **kw})


def test_pack_joins_documents_with_eos_and_drops_the_tail():
    out = pack([np.array([1, 2, 3]), np.array([4, 5])], seq_len=2, eos_id=9)
    assert out.tolist() == [[1, 2, 3], [9, 4, 5]]


def test_domains_come_from_the_domain_column(ws):
    data = load_domain_data(ws, "synthetic_mix", ByteTokenizer(), 16)
    assert data.domains == ["arithmetic", "markov", "noise", "periodic"]
    noise = ByteTokenizer().decode(data.train[2][0].tolist())
    assert set(noise) <= set(synthetic.NOISE_ALPHABET) | {""}


def test_sample_batch_follows_weights_and_reports_domains():
    data = DomainData(["a", "b"], [torch.zeros(5, 3, dtype=torch.long), torch.ones(5, 3, dtype=torch.long)],
                      [torch.zeros(1, 3, dtype=torch.long)] * 2)
    x, d, rows = sample_batch(data, np.array([0.0, 1.0]), 4, torch.Generator().manual_seed(0))
    assert d.tolist() == [1, 1, 1, 1] and bool((x == 1).all())
    assert ((rows >= 5) & (rows < 10)).all()  # global row ids: domain "b" starts after a's 5 rows


def test_lr_schedule_warms_up_then_decays_to_floor():
    c = cfg(steps=10, warmup_steps=2, lr=1.0, min_lr_ratio=0.1)
    assert [lr_at(0, c), lr_at(1, c)] == [0.5, 1.0]
    assert lr_at(2, c) == pytest.approx(1.0) and lr_at(10, c) == pytest.approx(0.1)


def test_first_logged_loss_is_the_initial_models_loss_on_the_first_batch(ws):
    c = cfg()
    trainer = Trainer(c, workspace=ws)
    gen = torch.Generator().manual_seed(c.seed)
    x, _, _ = sample_batch(trainer.data, np.full(4, 0.25), c.batch_size, gen)
    with torch.no_grad():
        expected = float(token_losses(build_model(TINY, 257, 16, c.seed), x).mean())
    res = trainer.run()
    assert res.steps[0]["loss"] == pytest.approx(expected, rel=1e-5)


def test_run_logs_steps_weights_and_evals_into_workspace(ws):
    res = Trainer(cfg(mixer="odm", reweighter="loss", run="odm-test", floors=synthetic.floors()),
                  workspace=ws).run()
    steps = ws.sql("SELECT step, tokens FROM train_steps WHERE run = 'odm-test' ORDER BY step").to_pylist()
    assert [r["step"] for r in steps] == list(range(6)) and steps[-1]["tokens"] == 6 * 8 * 16
    w = ws.sql("SELECT step, sum(weight) AS s, count(*) AS n FROM train_domain_weights "
               "WHERE run = 'odm-test' GROUP BY step").to_pylist()
    assert len(w) == 6 and all(r["n"] == 4 and r["s"] == pytest.approx(1.0) for r in w)
    ev = ws.sql("SELECT DISTINCT step FROM train_eval WHERE run = 'odm-test' ORDER BY 1").column(0).to_pylist()
    assert ev == [3, 6] and [e[0] for e in res.evals] == [3, 6]


def test_modules_combine_in_one_run(ws):
    c = cfg(mixer={"name": "doge", "schedule": {"warmup": 1, "every": 2}}, selector="loss",
            reweighter="loss", projection_dim=8, run="combo")
    res = Trainer(c, workspace=ws).run()
    assert len(res.steps) == 6 and not np.allclose(res.weights[-1], 0.25)
    assert all(np.isfinite(s["loss"]) for s in res.steps)


def test_doremi_reweight_proxy_samples_uniformly_and_logs_alpha(ws, monkeypatch):
    """Paper form of DoReMi's proxy: batches come from the uniform mixture; α acts on the loss and is logged."""
    import tilth.train.trainer as trainer_module

    drawn, real = [], trainer_module.sample_rows
    monkeypatch.setattr(trainer_module, "sample_rows", lambda data, w, *a: drawn.append(np.array(w)) or real(data, w, *a))
    weighed, real_w = [], trainer_module.domain_objective_weights
    monkeypatch.setattr(trainer_module, "domain_objective_weights",
                        lambda alpha, dom: weighed.append(np.array(alpha)) or real_w(alpha, dom))
    c = cfg(mixer={"name": "doremi", "proxy": "reweight"}, reference={"steps": 3})
    trainer = Trainer(c, workspace=ws)
    alphas, update = [], trainer.mixer.update
    trainer.mixer.update = lambda step, sig: (update(step, sig), alphas.append(trainer.mixer.weights.copy()))
    res = trainer.run(log=False)
    assert len(drawn) == 3 + 6 and all(np.array_equal(w, np.full(4, 0.25)) for w in drawn)  # reference, proxy
    # step t's loss (and log) uses the α of the update after step t − 1; α moved away from uniform
    np.testing.assert_allclose(np.array(res.weights[1:]), np.array(alphas[:-1]), rtol=1e-12)
    assert not np.allclose(res.weights[-1], 0.25)
    np.testing.assert_allclose(np.array(weighed), np.array(res.weights), rtol=1e-12)  # every step's loss used α


def test_same_seed_same_run(ws):
    a = Trainer(cfg(), workspace=ws).run(log=False)
    b = Trainer(cfg(), workspace=ws).run(log=False)
    assert [s["loss"] for s in a.steps] == [s["loss"] for s in b.steps]


def test_compact_vocab_renumbers_only_the_ids_the_data_uses(ws):
    full = load_domain_data(ws, "synthetic_mix", ByteTokenizer(), 16)
    small = load_domain_data(ws, "synthetic_mix", ByteTokenizer(), 16, compact_vocab=True)
    used = np.unique(torch.cat([torch.cat(full.train), torch.cat(full.heldout)]).numpy())
    assert small.vocab.tolist() == used.tolist() and small.vocab_size == len(used) < 257
    for a, b in zip(full.train + full.heldout, small.train + small.heldout, strict=True):
        assert torch.equal(torch.from_numpy(small.vocab)[b], a)  # same sequences, renumbered
    res = Trainer(cfg(compact_vocab=True, steps=2), workspace=ws).run(log=False)
    assert res.model.get_output_embeddings().weight.shape[0] == len(used)
