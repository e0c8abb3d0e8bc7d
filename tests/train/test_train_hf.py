"""Tilth's modules inside `transformers.Trainer` (tilth.train.hf), with a tiny GPT-2 on synthetic domains."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import TrainingArguments  # noqa: E402

from tilth.train.data import sample_batch  # noqa: E402
from tilth.train.hf import DomainDataset, MixtureSampler, TilthTrainer, collate  # noqa: E402
from tilth.train.mixers import ODM, DoReMi, StaticMixer  # noqa: E402
from tilth.train.model import build_model  # noqa: E402
from tilth.train.reweighters import LossReweighter  # noqa: E402
from tilth.train.selectors import LossSelector  # noqa: E402

V, L = 32, 17  # vocabulary, row length (16 predicted tokens per row)


def corpus(n_per_domain: int = 64, seed: int = 0):
    """Three domains, interleaved: `cycle` (0..7 repeated: learnable, low loss), `few` (uniform over 4 ids,
    floor ln 4) and `noise` (uniform over 32 ids, floor ln 32)."""
    rng = np.random.default_rng(seed)
    rows, doms = [], []
    for i in range(n_per_domain):
        start = i % 8
        rows += [[(start + j) % 8 for j in range(L)], rng.integers(0, 4, L).tolist(), rng.integers(0, V, L).tolist()]
        doms += ["cycle", "few", "noise"]
    return rows, doms


def tiny_model(seed: int = 0):
    return build_model({"n_layer": 2, "n_embd": 32, "n_head": 2}, V, L, seed)


def args(tmp_path, **kw):
    base = dict(output_dir=str(tmp_path), max_steps=4, per_device_train_batch_size=8, learning_rate=1e-2,
                report_to=[], save_strategy="no", logging_steps=1, use_cpu=True, disable_tqdm=True,
                dataloader_num_workers=0, seed=0)
    return TrainingArguments(**{**base, **kw})


def test_dataset_orders_rows_by_domain():
    rows, doms = corpus(4)
    ds = DomainDataset(rows, doms)
    assert ds.names == ["cycle", "few", "noise"] and ds.offsets.tolist() == [0, 4, 8, 12]
    item = ds[5]  # second row of "few" = original row 4
    assert item["tilth_domain"] == 1 and item["tilth_row"] == 5 and item["input_ids"].tolist() == rows[4]
    data = ds.domain_data()
    assert data.offsets.tolist() == [0, 4, 8, 12] and data.train[2][torch.tensor([1])].tolist() == [rows[5]]


class FakeHFDataset:
    """What `from_hf` uses of a `datasets.Dataset`: a whole column by name, a row (a dict) by index."""

    def __init__(self, columns: dict):
        self.columns = columns

    def __len__(self):
        return len(next(iter(self.columns.values())))

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.columns[key]
        return {k: v[key] for k, v in self.columns.items()}


def test_from_hf_dataset():
    rows, doms = corpus(4)
    ds = DomainDataset.from_hf(FakeHFDataset({"input_ids": rows, "src": doms}), "src")
    assert ds[0]["input_ids"].tolist() == rows[0] and ds[11]["input_ids"].tolist() == rows[11]


def test_sampler_draws_the_rows_tilths_sample_batch_draws():
    rows, doms = corpus(16)
    ds = DomainDataset(rows, doms)
    mixer = StaticMixer(weights=[0.6, 0.3, 0.1])
    mixer.setup(3)
    got, _ = MixtureSampler(ds, mixer, 8, seed=3).draw()
    _, dom, want = sample_batch(ds.domain_data(), mixer.weights, 8, torch.Generator().manual_seed(3))
    assert got.tolist() == want.tolist()
    assert ds.domain_of[got.numpy()].tolist() == dom.tolist()


def test_sampler_frequencies_follow_the_weights():
    rows, doms = corpus(16)
    ds = DomainDataset(rows, doms)
    mixer = StaticMixer(weights=[0.6, 0.3, 0.1])
    mixer.setup(3)
    ids = list(MixtureSampler(ds, mixer, 10, num_samples=20_000, seed=0))
    assert len(ids) == 20_000
    freq = np.bincount(ds.domain_of[ids], minlength=3) / len(ids)
    # multinomial: std of a share ≤ sqrt(0.25 / 20000) = 0.0035; 4 std
    np.testing.assert_allclose(freq, [0.6, 0.3, 0.1], atol=0.014)
    strat = StaticMixer(weights=[0.6, 0.3, 0.1])
    strat.setup(3)
    strat.carry = np.zeros(3)  # stratified: exact per-batch counts
    ids = list(MixtureSampler(ds, strat, 10, num_samples=100, seed=0))
    for b in range(10):
        assert np.bincount(ds.domain_of[ids[10 * b: 10 * b + 10]], minlength=3).tolist() == [6, 3, 1]


def make_trainer(tmp_path, n=64, **kw):
    rows, doms = corpus(n)
    torch.manual_seed(0)
    return TilthTrainer(model=tiny_model(), args=args(tmp_path, **kw.pop("targs", {})),
                        train_dataset=DomainDataset(rows, doms), **kw)


def hf_row_losses(model, x):
    """Each row's loss as the HF model computes it itself (labels = input_ids, mean over shifted tokens)."""
    return torch.stack([model(input_ids=r[None], labels=r[None]).loss for r in x])


def test_uniform_loss_is_the_models_own_loss(tmp_path):
    tr = make_trainer(tmp_path)
    batch = collate([tr.train_dataset[i] for i in (0, 70, 130, 150)])
    loss = tr.compute_loss(tr.model, batch)
    want = tr.model(input_ids=batch["input_ids"], labels=batch["input_ids"]).loss
    torch.testing.assert_close(loss, want, rtol=1e-5, atol=1e-6)


def test_reweighter_weights_multiply_the_per_sample_losses(tmp_path):
    tr = make_trainer(tmp_path, reweighter=LossReweighter("linupper"))
    batch = collate([tr.train_dataset[i] for i in (0, 70, 130, 150)])
    loss = tr.compute_loss(tr.model, batch)
    with torch.no_grad():
        ell = hf_row_losses(tr.model, batch["input_ids"]).double()
    # Sow et al. linupper with δ = 1: ℓ̃ = 2(ℓ − min)/(max − min) − 1, score = min(ℓ̃ + 1, 1), w = B·softmax
    norm = 2 * (ell - ell.min()) / (ell.max() - ell.min()) - 1
    score = torch.minimum(norm + 1, torch.ones_like(norm))
    w = 4 * torch.exp(score) / torch.exp(score).sum()
    assert not torch.allclose(w, torch.ones_like(w))
    torch.testing.assert_close(loss.double(), (w * ell).mean(), rtol=1e-5, atol=1e-6)


def test_selector_drops_rows_from_the_loss(tmp_path):
    tr = make_trainer(tmp_path, selector=LossSelector("high", scores="fresh", pool_factor=2))
    batch = collate([tr.train_dataset[i] for i in (0, 70, 130, 150)])
    loss = tr.compute_loss(tr.model, batch)
    with torch.no_grad():
        ell = hf_row_losses(tr.model, batch["input_ids"])
    torch.testing.assert_close(loss, ell.topk(2).values.mean(), rtol=1e-5, atol=1e-6)
    x, dom, _, rows = tr.tilth.pending[-1]
    assert len(x) == 2 and sorted(rows.tolist()) == sorted(batch["tilth_row"][ell.topk(2).indices].tolist())


class SpyODM(ODM):
    """ODM that records what it was given at each update."""

    def setup(self, n_domains):
        super().setup(n_domains)
        self.seen = []

    def update(self, step, signals):
        self.seen.append((signals.token_loss.clone(), signals.batch_domains.copy(), self.weights.copy()))
        super().update(step, signals)


def test_odm_in_hf_trainer_matches_odm_on_the_same_losses_and_upweights_noise(tmp_path, monkeypatch):
    drawn = []
    draw = MixtureSampler.draw

    def spy_draw(self):
        rows, w = draw(self)
        drawn.append((self.step, w))
        return rows, w

    monkeypatch.setattr(MixtureSampler, "draw", spy_draw)
    tr = make_trainer(tmp_path, mixer=SpyODM(), targs={"max_steps": 6})
    tr.train()
    mixer = tr.tilth.mixer
    assert tr.state.global_step == 6 and len(mixer.seen) == 6 and len(tr.tilth.history) == 6
    replay = ODM()
    replay.setup(3)
    for t, (tok, dom, w_before) in enumerate(mixer.seen):
        np.testing.assert_array_equal(replay.weights, w_before)
        replay.update(t, SimpleNamespace(token_loss=tok, per_sample_loss=tok.mean(dim=1), batch_domains=dom))
    np.testing.assert_array_equal(replay.weights, mixer.weights)
    # ODM's reward is the raw loss / π: the noise domain (loss ≈ ln 32) outweighs the learnable cycle
    assert mixer.weights[2] > mixer.weights[0]
    assert np.argmax(mixer.weights) == 2
    # each batch was drawn with the weights after `step` finished steps: the mixer's weights at that time
    weights_after = [np.full(3, 1 / 3)] + tr.tilth.history
    assert [s for s, _ in drawn][:6] == [0, 0, 1, 2, 3, 4]  # accelerate draws batch t + 1 before step t ends
    for s, w in drawn:
        np.testing.assert_array_equal(w, weights_after[s])
    logs = [h for h in tr.state.log_history if "weight/noise" in h]
    assert len(logs) == 6 and logs[-1]["weight/noise"] == mixer.weights[2]


def test_doremi_upweights_the_domain_with_excess_loss(tmp_path):
    """DoReMi fed by the HF Trainer gives the weights of DoReMi replayed on the same losses, and its last
    update multiplied each weight by exp(λ_i)/Z: the domain with the largest excess loss gained most."""
    ref = tiny_model(seed=1)
    tr = make_trainer(tmp_path, mixer=DoReMi(), reference_model=ref, targs={"max_steps": 3})
    seen = []
    orig = tr.tilth.mixer.observe

    def spy(step, signals):
        seen.append((signals.token_loss.clone(), signals.batch_reference_token_loss().clone(),
                     signals.batch_domains.copy()))
        orig(step, signals)

    tr.tilth.mixer.observe = spy
    tr.train()
    replay = DoReMi()
    replay.setup(3)
    for t, (tok, reft, dom) in enumerate(seen):
        fs = SimpleNamespace(token_loss=tok, batch_domains=dom, batch_reference_token_loss=lambda r=reft: r)
        replay.observe(t, fs)
        replay.update(t, fs)
    np.testing.assert_array_equal(replay.weights, tr.tilth.mixer.weights)
    # direction: the domain with the largest pooled excess loss in the last window gained weight most
    tok, reft, dom = seen[-1]
    ex = (tok - reft).clamp(min=0).sum(dim=1).numpy()
    lam = np.bincount(dom, weights=ex, minlength=3) / np.maximum(np.bincount(dom, minlength=3) * tok.shape[1], 1)
    before, after, c = tr.tilth.history[-2], tr.tilth.mixer.weights, 1e-3
    gain = (after - c / 3) / (1 - c) / before  # = exp(λ_i) / Σ_k α_k exp(λ_k)
    np.testing.assert_allclose(gain / gain.sum(), np.exp(lam) / np.exp(lam).sum(), rtol=1e-9)
    assert np.argmax(gain) == np.argmax(lam) and lam.max() > lam.min()


def test_full_train_with_mixer_selector_reweighter_and_accumulation(tmp_path):
    tr = make_trainer(tmp_path, mixer={"name": "odm"}, selector={"name": "loss", "pool_factor": 2},
                      reweighter={"name": "loss"}, targs={"max_steps": 3, "gradient_accumulation_steps": 2})
    out = tr.train()
    assert tr.state.global_step == 3 and np.isfinite(out.training_loss)
    assert len(tr.tilth.history) == 3 and abs(tr.tilth.history[-1].sum() - 1) < 1e-9
    assert not np.allclose(tr.tilth.history[-1], 1 / 3)
    # each step's signals held both micro-batches' selected rows: 2 × 8 // 2 = 8 rows
    assert len(tr.tilth.signals.batch_domains) == 8
    assert np.isfinite(tr.tilth.signals.row_loss[tr.tilth.signals.batch_rows]).all()


def test_module_state_rides_in_the_trainers_checkpoint(tmp_path):
    tr = make_trainer(tmp_path, mixer="odm", reweighter="loss",
                      targs={"max_steps": 2, "save_strategy": "steps", "save_steps": 2})
    tr.train()
    fresh = make_trainer(tmp_path, mixer="odm", reweighter="loss")
    assert np.allclose(fresh.tilth.mixer.weights, 1 / 3)
    fresh._load_from_checkpoint(str(tmp_path / "checkpoint-2"))
    np.testing.assert_array_equal(fresh.tilth.mixer.weights, tr.tilth.mixer.weights)
    np.testing.assert_array_equal(fresh.tilth.mixer.rewards, tr.tilth.mixer.rewards)
    assert fresh.tilth.mixer.t == 2 and len(fresh.tilth.history) == 2
    torch.testing.assert_close(fresh.tilth.signals.row_loss, tr.tilth.signals.row_loss, equal_nan=True)
