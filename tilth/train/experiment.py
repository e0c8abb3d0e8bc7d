"""Strategies × seeds under one token budget, all logged into the workspace, then an HTML report.

Every strategy shares the data (same held-out split), the model config, steps, batch size and sequence
length, so the token budget is identical; only the data modules (and the seed) differ. Reference models
(DoReMi, RHO-LOSS) are trained once per seed and their cost is reported separately.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
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
    domain_docs: dict[str, int] | None = None  # documents per domain (skewed sizes) instead of docs_per_domain
    doc_chars: int = 2000
    baseline: str = "uniform"  # the strategy speed-ups are measured against (e.g. natural)
    seeds: list[int] = [0, 1, 2]
    base: dict[str, Any] = {}
    strategies: dict[str, dict[str, Any]]
    out: str = "train-report"


def load_experiment(path: str | Path) -> ExperimentConfig:
    return ExperimentConfig(**yaml.safe_load(Path(path).read_text()))


def weights_source(strategy: dict) -> str | None:
    """The strategy whose run (same seed) supplies this one's static mixture, e.g. DoReMi's ᾱ for its second
    stage: `mixer: {name: static, weights_from: doremi}`. None also for a mapping (`weights_file`)."""
    mixer = strategy.get("mixer")
    src = mixer.get("weights_from") if isinstance(mixer, dict) else None
    return src if isinstance(src, str) else None


def weights_file(strategy: dict) -> dict | None:
    """`weights_from: {file: PATH, strategy: S, use: output|mean}`: the mixture of strategy S's run with the
    same seed in another experiment (e.g. a smaller proxy model), read from the `output_weights.json` that
    experiment's compare wrote. `use: output` (default) is the mixer's recommended mixture (DoReMi's ᾱ,
    otherwise the final weights); `mean` is the mean of the weights it sampled with over all steps."""
    mixer = strategy.get("mixer")
    src = mixer.get("weights_from") if isinstance(mixer, dict) else None
    if src is None or isinstance(src, str):
        return None
    if not isinstance(src, dict) or set(src) - {"file", "strategy", "use"} or not {"file", "strategy"} <= set(src):
        raise ValueError(f"weights_from must be a strategy name or {{file, strategy[, use]}}, not {src!r}")
    return {"use": "output", **src}


def dataset_name(prefix: str, cfg: ExperimentConfig) -> str:
    if cfg.domain_docs is None:
        return f"{prefix}_{cfg.docs_per_domain}x{cfg.doc_chars}"
    sizes = json.dumps(dict(sorted(cfg.domain_docs.items())))
    return f"{prefix}_skewed_{hashlib.sha1(sizes.encode()).hexdigest()[:8]}x{cfg.doc_chars}"


def compare(cfg: ExperimentConfig, ws, progress=print) -> Path:
    """Run every strategy for every seed, log into `ws`, and write `<out>/report.html`."""
    base = dict(cfg.base)
    floors = None
    if cfg.benchmark == "synthetic":
        name = dataset_name("synthetic", cfg)
        known = set(ws.datasets().column("name").to_pylist())
        if name not in known:
            synthetic.write_dataset(ws, name, docs_per_domain=cfg.docs_per_domain, doc_chars=cfg.doc_chars,
                                    domain_docs=cfg.domain_docs)
        base.update(dataset=name, tokenizer="byte")
        base.setdefault("eval_skip", synthetic.EVAL_SKIP)
        floors = synthetic.floors()
    elif cfg.benchmark == "realtext":
        from tilth.train import realtext

        name = dataset_name("local_text", cfg)
        if name not in set(ws.datasets().column("name").to_pylist()):
            realtext.write_dataset(ws, name, docs_per_domain=cfg.docs_per_domain, doc_chars=cfg.doc_chars,
                                   domain_docs=cfg.domain_docs)
        base["dataset"] = name
    for i, (s, over) in enumerate(cfg.strategies.items()):
        clash = [f for f in BUDGET_FIELDS if f in over]
        if clash:
            raise ValueError(f"strategy {s!r} overrides {clash}: the token budget must be identical")
        src = weights_source(over)
        if src is not None and src not in list(cfg.strategies)[:i]:
            raise ValueError(f"strategy {s!r} takes weights_from {src!r}, which is not a strategy listed before it")
        wf = weights_file(over)
        if wf is not None and not Path(wf["file"]).exists():
            raise FileNotFoundError(f"strategy {s!r} takes weights from {wf['file']}, which does not exist")
    if cfg.baseline != "uniform" and cfg.baseline not in cfg.strategies:  # (uniform: the first strategy if absent)
        raise ValueError(f"baseline {cfg.baseline!r} is not one of the strategies")
    probe = TrainConfig(**base)
    data = load_domain_data(ws, probe.dataset, load_tokenizer(probe.tokenizer), probe.seq_len, probe.text_column,
                            probe.domain_column, probe.heldout_fraction, seed=0, compact_vocab=probe.compact_vocab)
    vocab_size = data.vocab_size or load_tokenizer(probe.tokenizer).vocab_size
    refs: dict = {}
    outputs: dict = {}  # (seed, strategy) -> the mixer's recommended weights, for `weights_from`
    saved: dict = {"domains": data.domains, "runs": {}}  # -> <out>/output_weights.json, for other experiments
    out = Path(cfg.out)
    for seed in cfg.seeds:
        for strategy, over in cfg.strategies.items():
            src, wf = weights_source(over), weights_file(over)
            if src is not None or wf is not None:
                mixer = {k: v for k, v in over["mixer"].items() if k != "weights_from"}
                if wf is not None:
                    other = json.loads(Path(wf["file"]).read_text())
                    if other["domains"] != data.domains:
                        raise ValueError(f"{wf['file']} has domains {other['domains']}, not {data.domains}")
                    w = other["runs"][wf["strategy"]][str(seed)][wf["use"]]
                else:
                    w = outputs[(seed, src)]
                over = {**over, "mixer": {**mixer, "weights": [float(x) for x in w]}}
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
            saved["runs"].setdefault(strategy, {})[str(seed)] = {
                "output": [float(x) for x in outputs[(seed, strategy)]],
                "mean": [float(x) for x in np.mean(res.weights, axis=0)]}
            out.mkdir(parents=True, exist_ok=True)
            (out / "output_weights.json").write_text(json.dumps(saved, indent=1))
            final = res.evals[-1][1]
            progress(f"{strategy} seed {seed}: {time.perf_counter() - t0:.1f}s, {res.ms_per_step:.1f} ms/step, "
                     f"final eval {dict(zip(data.domains, final.round(3), strict=True))}")
    from tilth.train.report import write_report

    return write_report(ws, cfg.name, out, cfg.baseline)
