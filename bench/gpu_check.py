"""The trainer's checks on a CUDA machine, as one prepared run (issue #15: run the benchmark there, report
tokens/s). Each part is time-boxed and writes its result to $OUT/gpu_check.json as soon as it ends, so a run
stopped at its limit still returns what it finished.

    python bench/gpu_check.py prepare          # here (CPU): builds the carried inputs under .gpu/
    python bench/gpu_check.py run [PART ...]   # there: env, cli, resume, sft, hf, throughput, mixture
    GPU_CHECK_SMALL=1 python bench/gpu_check.py run   # a dry run of every part at toy sizes, on any device

Carried inputs (.gpu/, git-ignored): the GPU-scale skewed corpus as Parquet (`realtext.py` reads Debian and
Python documentation that the GPU machine does not have) and SmolLM2-135M's tokenizer and config (its
weights, 540 MB converted, are too large to carry, so the throughput model is SmolLM2-shaped with random
weights: the same arithmetic per token).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CARRY = ROOT / ".gpu"
MIX_CFG = ROOT / "tilth/train/configs/realtext_skewed_gpu.yaml"
SMALL = os.environ.get("GPU_CHECK_SMALL") == "1"
OUT = Path(os.environ.get("OUT") or ROOT / "gpu-out")
RESULTS: dict = {}


def save() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gpu_check.json").write_text(json.dumps(RESULTS, indent=1, default=str))


def part(fn):
    """Run one check; record its result or its traceback, and how long it took."""
    t0 = time.perf_counter()
    print(f"== {fn.__name__}", flush=True)
    try:
        RESULTS[fn.__name__] = {"ok": True, **(fn() or {})}
    except Exception:  # a failed part is a finding, not the end of the run
        RESULTS[fn.__name__] = {"ok": False, "error": traceback.format_exc()[-3000:]}
        print(RESULTS[fn.__name__]["error"], flush=True)
    RESULTS[fn.__name__]["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"== {fn.__name__}: {json.dumps(RESULTS[fn.__name__], default=str)[:1500]}", flush=True)
    save()


def tilth(*args: str, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "tilth.cli", *args], cwd=ROOT, env=env, timeout=timeout,
                          capture_output=True, text=True)


def step_ms(ws, run: str, skip: int = 3) -> float:
    ms = ws.sql("SELECT ms FROM train_steps WHERE run = ? ORDER BY step", [run]).column("ms").to_pylist()
    return statistics.median(ms[skip:] or ms)


# --------------------------------------------------------------------------------------------- parts


def env():
    import torch

    cuda = torch.cuda.is_available()
    return {"torch": torch.__version__, "cuda": cuda, "gpu": torch.cuda.get_device_name(0) if cuda else None,
            "bf16": cuda and torch.cuda.is_bf16_supported(), "python": sys.version.split()[0]}


def cli():
    """`tilth train` on the quick-start config, as a user runs it: builds the corpus, trains DoReMi's
    reference, then the run; the device is chosen by the trainer (`device: auto`)."""
    import yaml

    from tilth.storage.workspace import Workspace

    cfg = yaml.safe_load((ROOT / "tilth/train/configs/quickstart.yaml").read_text())
    if SMALL:
        cfg.update(steps=12, reference={"steps": 6}, eval_every=6, checkpoint_every=6)
    tmp = Path(tempfile.mkdtemp())
    (tmp / "q.yaml").write_text(yaml.safe_dump(cfg))
    t0 = time.perf_counter()
    p = tilth("train", str(tmp / "q.yaml"), "-w", str(tmp / "ws"), timeout=240)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"tilth train exited {p.returncode}: {p.stderr[-2000:]}")
    ws = Workspace(tmp / "ws")
    ms = step_ms(ws, "quickstart")
    tok = cfg["batch_size"] * cfg["seq_len"]
    return {"wall_s": round(wall, 1), "ms_per_step": round(ms, 2), "tokens_per_s": round(tok / ms * 1000),
            "last_output": (p.stdout + p.stderr)[-600:]}


def _resume_cfg(**kw):
    from tilth.train.trainer import TrainConfig

    base = dict(dataset="synthetic_mix", model={"arch": "llama", "n_layer": 2, "n_embd": 64, "n_head": 4},
                seq_len=32, batch_size=16, steps=40, eval_every=10, eval_rows=8, warmup_steps=5, lr=1e-2,
                mixer="odm", reweighter="loss", selector={"name": "random", "seed": 3})
    return TrainConfig(**{**base, **kw})


def resume():
    """A run stopped after its step-20 checkpoint and resumed, against the run that never stopped, on the
    GPU (bf16 autocast on and off). On CPU this is bitwise (tests/train/test_train_resume.py); CUDA kernels
    need not be deterministic, so the difference is measured, not assumed."""
    import numpy as np

    from tilth.storage.workspace import Workspace
    from tilth.train import synthetic
    from tilth.train.trainer import Trainer

    ws = Workspace(tempfile.mkdtemp())
    synthetic.write_dataset(ws, docs_per_domain=6, doc_chars=600)
    out = {}
    for bf16 in (True, False):
        full = Trainer(_resume_cfg(run=f"full{bf16}", bf16=bf16), workspace=ws).run()

        Trainer(_resume_cfg(run=f"cut{bf16}", bf16=bf16, checkpoint_every=20), workspace=ws).run(stop_after=20)
        resumed = Trainer(_resume_cfg(run=f"cut{bf16}", bf16=bf16, checkpoint_every=20), workspace=ws,
                          resume=True).run()
        a = np.array([s["loss"] for s in full.steps])
        b = np.array([s["loss"] for s in resumed.steps])
        n = min(len(a), len(b))
        pa_, pb = (np.concatenate([p.detach().float().cpu().numpy().ravel() for p in r.model.parameters()])
                   for r in (full, resumed))
        out[f"bf16={bf16}"] = {"device": str(next(full.model.parameters()).device), "steps_compared": n,
                               "losses_bitwise": bool(np.array_equal(a[-n:], b[-n:])),
                               "max_loss_diff": float(np.abs(a[-n:] - b[-n:]).max()),
                               "max_param_diff": float(np.abs(pa_ - pb).max()),
                               "weights_bitwise": bool(np.array_equal(full.weights[-1], resumed.weights[-1]))}
    return out


def sft():
    """`task: sft` on the GPU with bf16 autocast: the tiny chat model of the tests, plain, with IFD and with
    LESS selection, and gradient accumulation."""
    import pyarrow as pa

    sys.path.insert(0, str(ROOT / "tests" / "train"))
    from sft_fixtures import make_tiny_chat_model

    from tilth.storage.workspace import Workspace
    from tilth.train.trainer import TrainConfig, Trainer

    tmp = Path(tempfile.mkdtemp())
    model = make_tiny_chat_model(tmp / "model")
    ws = Workspace(tmp / "ws")
    prompts = [f"what is {i} plus {i}?" for i in range(64)]
    replies = [f"{2 * i}. the cat sat on the mat." for i in range(64)]
    ws.write_table("chat", pa.table({"prompt": prompts, "response": replies, "domain": ["a", "b"] * 32}))
    out = {}
    steps = 6 if SMALL else 40
    runs = {"plain": {}, "grad_accum_2": {"grad_accum": 2}, "ifd": {"selector": "ifd"},
            "less": {"selector": "less", "projection_dim": 16}}
    for name, extra in runs.items():
        cfg = TrainConfig(dataset="chat", task="sft", model={"path": str(model)}, seq_len=48, batch_size=8,
                          steps=steps, lr=1e-2, eval_every=steps, eval_rows=4, warmup_steps=2, run=f"sft-{name}",
                          **extra)
        r = Trainer(cfg, workspace=ws).run()
        losses = [s["loss"] for s in r.steps]
        out[name] = {"loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4),
                     "ms_per_step": round(step_ms(ws, f"sft-{name}"), 2),
                     "param_dtype": str(next(r.model.parameters()).dtype),
                     "device": str(next(r.model.parameters()).device)}
    return out


def hf():
    """The Tilth modules inside `transformers.Trainer` (tilth.train.hf), via its test file: on this machine
    the HF Trainer places the model on the GPU."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/train/test_train_hf.py"],
                       cwd=ROOT, env=env, timeout=240, capture_output=True, text=True)
    return {"ok": p.returncode == 0, "tail": p.stdout[-1500:]}


def throughput():
    """Tokens/s of a SmolLM2-135M-shaped model (random weights, the real config and tokenizer), pre-training
    on the carried corpus and SFT, bf16 autocast on and off, plain and with the data modules whose overhead
    the issue bounds (loss reweighting ≤ 5 %, DoReMi ≤ 1.5×)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from tilth.storage.workspace import Workspace
    from tilth.train.trainer import TrainConfig, Trainer

    tmp = Path(tempfile.mkdtemp())
    conf = AutoConfig.from_pretrained(CARRY / "smollm2")
    if SMALL:
        conf.num_hidden_layers, conf.hidden_size, conf.intermediate_size = 2, 64, 128
        conf.num_attention_heads, conf.num_key_value_heads, conf.head_dim = 4, 2, 16
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(conf).save_pretrained(tmp / "model")
    AutoTokenizer.from_pretrained(CARRY / "smollm2").save_pretrained(tmp / "model")
    params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(tmp / "model").parameters())
    ws = Workspace(tmp / "ws")
    corpus = pq.read_table(CARRY / "skewed_gpu.parquet")
    ws.write_table("corpus", corpus)
    texts = corpus.column("text").to_pylist()
    ws.write_table("chat", pa.table({"prompt": [t[:300] for t in texts], "response": [t[300:900] for t in texts],
                                     "domain": corpus.column("domain")}))
    seq, batch, steps = (256, 2, 4) if SMALL else (1024, 32, 25)
    setups = {"pretrain bf16": {}, "pretrain fp32 (tf32 off)": {"bf16": False},
              "pretrain bf16 + loss reweighting": {"reweighter": "loss"},
              "pretrain bf16 + DoReMi (reference forward)": {"mixer": "doremi", "reference": {"steps": 3}},
              "sft bf16": {"task": "sft", "dataset": "chat"}}
    rows = {}
    for name, extra in setups.items():
        cfg = TrainConfig(**{"dataset": "corpus", "model": {"path": str(tmp / "model")}, "seq_len": seq,
                             "batch_size": batch, "steps": steps, "lr": 1e-4, "eval_every": 10**6, "eval_rows": 4,
                             "warmup_steps": 2, "run": name, **extra})
        t0 = time.perf_counter()
        r = Trainer(cfg, workspace=ws).run()
        ms = step_ms(ws, name)
        rows[name] = {"ms_per_step": round(ms, 1), "tokens_per_s": round(batch * seq / ms * 1000),
                      "loss_last": round(r.steps[-1]["loss"], 3), "wall_s": round(time.perf_counter() - t0, 1),
                      "peak_gpu_gb": round(torch.cuda.max_memory_allocated() / 2**30, 1)
                      if torch.cuda.is_available() else None}
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        print(name, rows[name], flush=True)
    plain = rows["pretrain bf16"]["ms_per_step"]
    for name in rows:
        rows[name]["x_plain_bf16"] = round(rows[name]["ms_per_step"] / plain, 3)
    return {"params": params, "seq_len": seq, "batch": batch, "steps": steps, "rows": rows}


def mixture():
    """The skewed mixture benchmark at GPU scale (configs/realtext_skewed_gpu.yaml), one `tilth experiment
    compare` per seed into one workspace (runs are keyed by experiment, strategy and seed, so the report
    merges them); a seed is started only while there is time for it. Brings back the workspace database."""
    import yaml

    from tilth.storage.workspace import Workspace
    from tilth.train.experiment import ExperimentConfig, dataset_name

    raw = yaml.safe_load(MIX_CFG.read_text())
    if SMALL:
        raw["base"].update(steps=10, seq_len=32, batch_size=8, eval_every=5, eval_rows=4,
                           model={"arch": "llama", "n_layer": 1, "n_embd": 16, "n_head": 2})
        raw["strategies"]["doremi"]["reference"] = {"steps": 10}
    cfg = ExperimentConfig(**raw)
    wsdir = Path(tempfile.mkdtemp()) / "ws"
    ws = Workspace(wsdir)
    import pyarrow.parquet as pq

    ws.write_table(dataset_name("local_text", cfg), pq.read_table(CARRY / "skewed_gpu.parquet"))
    del ws
    budget = float(os.environ.get("MIX_BUDGET_S", "330"))
    t_start, per_seed, done = time.perf_counter(), [], []
    for seed in cfg.seeds:
        left = budget - (time.perf_counter() - t_start)
        if per_seed and left < 1.15 * max(per_seed):
            print(f"mixture: {left:.0f}s left, a seed takes {max(per_seed):.0f}s; stopping", flush=True)
            break
        one = {**raw, "seeds": [seed], "out": str(OUT / "mix_report")}
        path = wsdir.parent / f"seed{seed}.yaml"
        path.write_text(yaml.safe_dump(one))
        t0 = time.perf_counter()
        p = tilth("experiment", "compare", str(path), "-w", str(wsdir), timeout=max(60.0, left))
        per_seed.append(time.perf_counter() - t0)
        print((p.stdout + p.stderr)[-2500:], flush=True)
        if p.returncode:
            raise RuntimeError(f"compare seed {seed} exited {p.returncode}: {p.stderr[-1500:]}")
        done.append(seed)
        shutil.copy(wsdir / "tilth.duckdb", OUT / "mix_ws.duckdb")
        RESULTS["mixture_partial"] = {"seeds_done": done, "seconds_per_seed": [round(s, 1) for s in per_seed]}
        save()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    tables = subprocess.run([sys.executable, str(ROOT / "bench/mixbench_tables.py"), str(wsdir), cfg.name],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    (OUT / "mix_tables.md").write_text(tables.stdout + tables.stderr)
    print(tables.stdout[-4000:], tables.stderr[-1500:], flush=True)
    return {"seeds_done": done, "seconds_per_seed": [round(s, 1) for s in per_seed]}


PARTS = {f.__name__: f for f in (env, throughput, mixture, resume, sft, cli, hf)}


def prepare() -> None:
    """Here, before the call: the corpus and the SmolLM2 tokenizer/config into .gpu/ (carried)."""
    import pyarrow.parquet as pq

    from tilth.models import smollm2
    from tilth.train import realtext
    from tilth.train.experiment import load_experiment

    cfg = load_experiment(MIX_CFG)
    CARRY.mkdir(exist_ok=True)
    pq.write_table(realtext.skewed_documents(cfg.domain_docs, cfg.doc_chars), CARRY / "skewed_gpu.parquet",
                   compression="zstd")
    shutil.rmtree(CARRY / "smollm2", ignore_errors=True)
    smollm2.load_tokenizer().save_pretrained(CARRY / "smollm2")
    shutil.copy(Path(smollm2.model_dir()) / "config.json", CARRY / "smollm2" / "config.json")
    print(sorted(p.name for p in CARRY.rglob("*")))


def main() -> None:
    if sys.argv[1:2] == ["prepare"]:
        return prepare()
    names = sys.argv[2:] or list(PARTS)
    for name in names:
        part(PARTS[name])
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk not in ("error", "tail", "last_output")}
                      for k, v in RESULTS.items()}, indent=1, default=str))


if __name__ == "__main__":
    main()
