"""SFT of a local Hugging Face model: reply-only labels, response-only losses for selectors, gradient
accumulation, hostile rows and paths. Uses a tiny chat model built in the test (sft_fixtures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import torch
from sft_fixtures import make_tiny_chat_model
from transformers import AutoModelForCausalLM, AutoTokenizer

import tilth.train.selectors as selectors
from tilth.storage.workspace import Workspace
from tilth.train.model import autocast_dtype, build_model, split_rows, token_losses
from tilth.train.sft import encode_rows, load_sft_data
from tilth.train.signals import output_layer_grads, per_sample_grads
from tilth.train.trainer import TrainConfig, Trainer

PROMPT, REPLY = "what is two plus two?", "four. the cat sat on the mat."
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_tiny_chat_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tok(model_dir):
    return AutoTokenizer.from_pretrained(model_dir, local_files_only=True)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("ws"))
    prompts = [f"name a colour {i}" for i in range(24)]
    replies = ["red, green, blue." if i % 2 else "the cat sat on the mat." for i in range(24)]
    w.write_table("chat", pa.table({"prompt": prompts, "response": replies,
                                    "domain": ["a" if i % 3 else "b" for i in range(24)]}))
    return w


def sft_cfg(model_dir, **kw):
    base = dict(dataset="chat", task="sft", model={"path": str(model_dir)}, seq_len=32, batch_size=4, steps=2,
                eval_every=2, eval_rows=2, warmup_steps=1, lr=1e-2, threads=1, heldout_fraction=0.2)
    return TrainConfig(**{**base, **kw})


def boundary(tok, prompt=PROMPT, reply=REPLY):
    """Index where the reply starts (prompt rendered with the generation prompt) and the full ids."""
    user = [{"role": "user", "content": prompt}]
    start = len(tok.apply_chat_template(user, tokenize=True, add_generation_prompt=True, return_dict=False))
    full = tok.apply_chat_template(user + [{"role": "assistant", "content": reply}], tokenize=True,
                                   return_dict=False)
    return start, list(full)


def test_trained_targets_are_exactly_the_reply_tokens(tok):
    (row,), skipped = encode_rows(tok, [{"prompt": PROMPT, "response": REPLY}], seq_len=40)
    start, full = boundary(tok)
    _, targets, weights = split_rows(row[None])
    trained = (weights[0] > 0).nonzero().flatten() + 1  # target t is token t + 1 of the row
    assert trained.tolist() == list(range(start, len(full)))
    assert targets[0, weights[0] > 0].tolist() == full[start:]
    assert tok.decode(full[start:]) == REPLY + "<|im_end|>\n"  # the reply and its end-of-turn markup
    assert len(row) == 41 and not skipped


def test_loss_is_the_mean_over_reply_tokens_only(tok, model_dir):
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()
    short = ("hi", "red.")
    rows, _ = encode_rows(tok, [{"prompt": PROMPT, "response": REPLY},
                                {"prompt": short[0], "response": short[1]}], seq_len=40)
    with torch.no_grad():
        got = token_losses(model, torch.stack(rows)).mean(dim=1)
        for i, (p, r) in enumerate([(PROMPT, REPLY), short]):
            start, full = boundary(tok, p, r)
            logits = model(torch.tensor([full[:-1]])).logits[0]
            by_hand = torch.nn.functional.cross_entropy(logits[start - 1:], torch.tensor(full[start:]))
            assert got[i].item() == pytest.approx(by_hand.item(), rel=1e-5)


def test_less_gradients_use_the_reply_only_loss(tok, model_dir):
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()
    rows, _ = encode_rows(tok, [{"prompt": PROMPT, "response": REPLY}], seq_len=40)
    x = torch.stack(rows)
    start, full = boundary(tok)
    model.zero_grad()
    logits = model(torch.tensor([full[:-1]])).logits[0]
    torch.nn.functional.cross_entropy(logits[start - 1:], torch.tensor(full[start:])).backward()
    want = model.lm_head.weight.grad.flatten()
    assert torch.allclose(output_layer_grads(model, x)[0], want, atol=1e-6)  # LESS "output" gradients
    full_grads = per_sample_grads(model, x, ["lm_head.weight"])[0]  # LESS "full" gradients
    assert torch.allclose(full_grads, want, atol=1e-6)


def test_a_loss_selector_ranks_by_reply_only_losses(ws, model_dir, monkeypatch):
    seen = []
    real_top = selectors.top_mask
    monkeypatch.setattr(selectors, "top_mask", lambda s, n: seen.append(s.clone()) or real_top(s, n))
    trainer = Trainer(sft_cfg(model_dir, steps=1, selector={"name": "loss", "scores": "fresh"}), workspace=ws)
    pools = []
    real_select = trainer.selector.select
    trainer.selector.select = lambda step, pool, *a: pools.append(pool.clone()) or real_select(step, pool, *a)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()  # = initial weights
    trainer.run(log=False)
    (pool,), (scores,) = pools, seen
    assert len(pool) == 8
    with torch.no_grad():
        for row, score in zip(pool, scores, strict=True):
            ids = torch.where(row < 0, -row - 1, row)
            trained = (row[1:] >= 0).nonzero().flatten()
            logits = model(ids[None, :-1]).logits[0]
            by_hand = torch.nn.functional.cross_entropy(logits[trained], ids[1:][trained])
            assert score.item() == pytest.approx(by_hand.item(), rel=1e-5)


def test_grad_accum_makes_the_update_of_a_larger_batch(ws, model_dir):
    one = Trainer(sft_cfg(model_dir, batch_size=8), workspace=ws)
    acc = Trainer(sft_cfg(model_dir, batch_size=4, grad_accum=2), workspace=ws)
    r1, r2 = one.run(log=False), acc.run(log=False)
    assert [s["loss"] for s in r1.steps] == pytest.approx([s["loss"] for s in r2.steps], rel=1e-5)
    for (name, p), q in zip(one.model.named_parameters(), acc.model.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6), name
    assert r1.steps[1]["loss"] != r1.steps[0]["loss"]  # the model did change


def test_bf16_is_a_no_op_on_cpu():
    assert autocast_dtype(torch.device("cpu"), bf16=True) is None


def test_hostile_rows_are_skipped_and_counted(tok):
    rows = [{"prompt": "hi", "response": ""},  # empty reply
            {"messages": [{"role": "user", "content": "hi"}]},  # no assistant turn
            {"prompt": "word " * 200, "response": "red."},  # truncation would leave no reply token
            {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"},
                          {"role": "assistant", "content": "red."}]}]
    kept, skipped = encode_rows(tok, rows, seq_len=32)
    assert len(kept) == 1 and dict(skipped) == {"empty response": 1, "no assistant turn": 1,
                                                "no response token left after truncation": 1}
    _, targets, weights = split_rows(kept[0][None])
    assert tok.decode(targets[0, weights[0] > 0].tolist()) == "red.<|im_end|>\n"  # system/user masked


def test_missing_columns_and_unusable_tables_are_refused(tmp_path, tok):
    w = Workspace(tmp_path / "ws")
    w.write_table("bad", pa.table({"prompt": ["hi"] * 4}))
    with pytest.raises(ValueError, match="'messages' column or both 'prompt' and 'response'"):
        load_sft_data(w, "bad", tok, 32)
    w.write_table("empty", pa.table({"prompt": ["hi"] * 4, "response": [""] * 4}))
    with pytest.raises(ValueError, match="0 usable SFT rows.*empty response"):
        load_sft_data(w, "empty", tok, 32)


def test_a_model_path_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a local Hugging Face model directory"):
        build_model({"path": str(tmp_path / "nope")}, 10, 8, 0)


def test_sft_needs_a_chat_tokenizer(ws):
    with pytest.raises(ValueError, match="needs a Hugging Face tokenizer"):
        Trainer(TrainConfig(dataset="chat", task="sft", model={"n_layer": 1, "n_embd": 16, "n_head": 2},
                            seq_len=16, batch_size=4, steps=1, threads=1), workspace=ws)


def test_tilth_train_fine_tunes_a_local_model(ws, model_dir, tmp_path):
    cfg = tmp_path / "sft.yaml"
    cfg.write_text(f"dataset: chat\ntask: sft\nmodel: {{path: {model_dir}}}\nseq_len: 32\nbatch_size: 4\n"
                   "grad_accum: 2\nsteps: 3\neval_every: 3\neval_rows: 2\nwarmup_steps: 1\nthreads: 1\n"
                   "heldout_fraction: 0.2\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "tilth.cli", "train", str(cfg), "-w", str(ws.root)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "run default-s0: 3 steps" in out.stdout


def test_ifd_selector_scores_reply_given_prompt_over_reply_alone(ws, model_dir, tok, monkeypatch):
    seen = []
    real_top = selectors.top_mask
    monkeypatch.setattr(selectors, "top_mask", lambda s, n: seen.append(s.clone()) or real_top(s, n))
    trainer = Trainer(sft_cfg(model_dir, steps=1, selector={"name": "ifd", "max_ifd": 100.0}), workspace=ws)
    pools = []
    real_select = trainer.selector.select
    trainer.selector.select = lambda step, pool, *a: pools.append(pool.clone()) or real_select(step, pool, *a)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()
    trainer.run(log=False)
    (pool,), (scores,) = pools, seen
    header_end = tok("\n", add_special_tokens=False)["input_ids"][-1]  # "<|im_start|>assistant\n" ends so
    with torch.no_grad():
        for row, score in zip(pool, scores, strict=True):
            ids = torch.where(row < 0, -row - 1, row)
            trained = (row[1:] >= 0).nonzero().flatten()
            reply = ids[1:][trained]
            assert ids[trained[0]] == header_end
            given = torch.nn.functional.cross_entropy(model(ids[None, :-1]).logits[0][trained], reply)
            alone_ids = torch.tensor([header_end, *reply.tolist()])  # the header's last token, then the reply
            alone = torch.nn.functional.cross_entropy(model(alone_ids[None, :-1]).logits[0], alone_ids[1:])
            assert score.item() == pytest.approx((given / alone).item(), rel=1e-4)


def test_ifd_refuses_rows_without_a_prompt():
    from tilth.train.sft import strip_prompt

    with pytest.raises(ValueError, match="no IFD"):
        strip_prompt(torch.arange(10).view(2, 5))


def test_grad_accum_with_a_reweighter_is_refused(model_dir):
    with pytest.raises(ValueError, match="grad_accum > 1 with a reweighter"):
        Trainer(sft_cfg(model_dir, grad_accum=2, reweighter="loss"))


def test_ifd_ranks_rows_at_or_above_max_ifd_last(monkeypatch):
    scores = torch.tensor([0.5, 1.5, 0.9, 1.0])
    monkeypatch.setattr(selectors, "ifd_scores", lambda pool, sig, strip: scores)
    assert selectors.IfdSelector().select(0, None, None, 2, None).tolist() == [True, False, True, False]
    # with room for one more, the discarded row with the smaller IFD (1.0) comes first
    assert selectors.IfdSelector().select(0, None, None, 3, None).tolist() == [True, False, True, True]


def test_sft_with_ifd_and_grad_accum_resumes_bitwise(ws, model_dir, tmp_path, monkeypatch):
    from test_train_resume import assert_same_run

    kw = dict(steps=4, grad_accum=2, selector="ifd", eval_every=2)
    ref = Trainer(sft_cfg(model_dir, **kw), workspace=ws).run(log=False)
    c = sft_cfg(model_dir, **kw, checkpoint_every=2, checkpoint_dir=str(tmp_path))
    real_step = Trainer.train_step

    def crash_at_3(self, step):
        if step == 3:
            raise KeyboardInterrupt("simulated crash")
        return real_step(self, step)

    monkeypatch.setattr(Trainer, "train_step", crash_at_3)
    with pytest.raises(KeyboardInterrupt):
        Trainer(c, workspace=ws).run(log=False)
    monkeypatch.setattr(Trainer, "train_step", real_step)
    torch.manual_seed(1234)
    resumed = Trainer(c, workspace=ws, resume=True)
    assert resumed.resumed["next_step"] == 2
    res = resumed.run(log=False)
    assert_same_run(ref, res, ref.model, res.model)


def test_a_messages_column_is_read_from_a_workspace_table(tmp_path, tok):
    w = Workspace(tmp_path / "ws")
    conv = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "a colour?"},
            {"role": "assistant", "content": "red."}, {"role": "user", "content": "another?"},
            {"role": "assistant", "content": "blue."}]
    w.write_table("msgs", pa.table({"messages": [conv] * 5 + [conv[:2]], "response": [None] * 6}))
    with pytest.warns(UserWarning, match="'no assistant turn': 1"):
        data = load_sft_data(w, "msgs", tok, 128, heldout_fraction=0.2)
    assert data.domains == ["all"] and (len(data.train[0]), len(data.heldout[0])) == (4, 1)
    _, targets, weights = split_rows(data.train[0][:1])
    assert tok.decode(targets[0, weights[0] > 0].tolist()) == "red.<|im_end|>\nblue.<|im_end|>\n"
