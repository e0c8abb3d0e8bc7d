"""Strategies × seeds under one token budget, all logged into the workspace, then an HTML report.

Every strategy shares the data (same held-out split), the model config, steps, batch size and sequence
length, so the token budget is identical; only the data modules (and the seed) differ. Reference models
(DoReMi, RHO-LOSS) are trained once per seed and their cost is reported separately.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from tilth.train import synthetic
from tilth.train.data import load_domain_data
from tilth.train.tokenizer import load_tokenizer
from tilth.train.trainer import TrainConfig, Trainer, train_reference

BUDGET_FIELDS = ("steps", "batch_size", "seq_len", "model", "tokenizer", "dataset", "compact_vocab")


class ExperimentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "compare"
    benchmark: str = "synthetic"  # "synthetic", "realtext", or "dataset" (base.dataset names a table)
    docs_per_domain: int = 64
    doc_chars: int = 2000
    seeds: list[int] = [0, 1, 2]
    base: dict[str, Any] = {}
    strategies: dict[str, dict[str, Any]]
    out: str = "train-report"


def load_experiment(path: str | Path) -> ExperimentConfig:
    return ExperimentConfig(**yaml.safe_load(Path(path).read_text()))


def weights_source(strategy: dict) -> str | None:
    """The strategy whose run (same seed) supplies this one's static mixture, e.g. DoReMi's ᾱ for its second
    stage: `mixer: {name: static, weights_from: doremi}`."""
    mixer = strategy.get("mixer")
    return mixer.get("weights_from") if isinstance(mixer, dict) else None


def compare(cfg: ExperimentConfig, ws, progress=print) -> Path:
    """Run every strategy for every seed, log into `ws`, and write `<out>/report.html`."""
    base = dict(cfg.base)
    floors = None
    if cfg.benchmark == "synthetic":
        name = f"synthetic_{cfg.docs_per_domain}x{cfg.doc_chars}"
        known = set(ws.datasets().column("name").to_pylist())
        if name not in known:
            synthetic.write_dataset(ws, name, docs_per_domain=cfg.docs_per_domain, doc_chars=cfg.doc_chars)
        base.update(dataset=name, tokenizer="byte")
        base.setdefault("eval_skip", synthetic.EVAL_SKIP)
        floors = synthetic.floors()
    elif cfg.benchmark == "realtext":
        from tilth.train import realtext

        name = f"local_text_{cfg.docs_per_domain}x{cfg.doc_chars}"
        if name not in set(ws.datasets().column("name").to_pylist()):
            realtext.write_dataset(ws, name, docs_per_domain=cfg.docs_per_domain, doc_chars=cfg.doc_chars)
        base["dataset"] = name
    for i, (s, over) in enumerate(cfg.strategies.items()):
        clash = [f for f in BUDGET_FIELDS if f in over]
        if clash:
            raise ValueError(f"strategy {s!r} overrides {clash}: the token budget must be identical")
        src = weights_source(over)
        if src is not None and src not in list(cfg.strategies)[:i]:
            raise ValueError(f"strategy {s!r} takes weights_from {src!r}, which is not a strategy listed before it")
    probe = TrainConfig(**base)
    data = load_domain_data(ws, probe.dataset, load_tokenizer(probe.tokenizer), probe.seq_len, probe.text_column,
                            probe.domain_column, probe.heldout_fraction, seed=0, compact_vocab=probe.compact_vocab)
    vocab_size = data.vocab_size or load_tokenizer(probe.tokenizer).vocab_size
    refs: dict = {}
    outputs: dict = {}  # (seed, strategy) -> the mixer's recommended weights, for `weights_from`
    for seed in cfg.seeds:
        for strategy, over in cfg.strategies.items():
            src = weights_source(over)
            if src is not None:
                mixer = {k: v for k, v in over["mixer"].items() if k != "weights_from"}
                over = {**over, "mixer": {**mixer, "weights": [float(w) for w in outputs[(seed, src)]]}}
            tc = TrainConfig(**{**base, **over, "seed": seed, "strategy": strategy, "floors": floors,
                                "run": f"{cfg.name}:{strategy}:s{seed}"})
            ref = None
            if tc.reference:
                key = (seed, tuple(sorted(tc.reference.items())))
                if key not in refs:
                    t0 = time.perf_counter()
                    refs[key] = train_reference(tc, data, vocab_size)
                    progress(f"reference {dict(tc.reference)} seed {seed}: {time.perf_counter() - t0:.1f}s")
                ref = refs[key]
            t0 = time.perf_counter()
            trainer = Trainer(tc, data, ws, reference_model=ref, vocab_size=vocab_size)
            res = trainer.run()
            outputs[(seed, strategy)] = trainer.mixer.output_weights()
            final = res.evals[-1][1]
            progress(f"{strategy} seed {seed}: {time.perf_counter() - t0:.1f}s, {res.ms_per_step:.1f} ms/step, "
                     f"final eval {dict(zip(data.domains, final.round(3), strict=True))}")
    from tilth.train.report import write_report

    return write_report(ws, cfg.name, Path(cfg.out))
