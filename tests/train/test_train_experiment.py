"""The experiment runner logs strategies × seeds into the workspace and reports from the database."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from tilth.storage.workspace import Workspace
from tilth.train.experiment import ExperimentConfig, compare, weights_file, weights_source
from tilth.train.report import paired_text, steps_to_target, strategy_colors, summary

TINY = {"model": {"n_layer": 1, "n_embd": 16, "n_head": 2}, "seq_len": 16, "batch_size": 8, "steps": 6,
        "eval_every": 2, "eval_rows": 4, "warmup_steps": 2, "threads": 1}


def test_steps_to_target_is_first_eval_at_or_below_target():
    assert steps_to_target(np.array([3.0, 2.0, 1.0, 1.5]), np.array([10, 20, 30, 40]), 1.5) == 30
    assert steps_to_target(np.array([3.0, 2.0]), np.array([10, 20]), 1.0) is None


def test_summary_compares_with_uniforms_final_value():
    steps = np.array([10, 20, 30, 40])
    curve_u = np.array([4.0, 3.0, 2.0, 1.0])
    curve_f = np.array([3.0, 1.0, 0.8, 0.5])
    res = {"strategies": ["uniform", "fast"], "steps": steps, "ms": {"uniform": 10.0, "fast": 12.0},
           "evals": {"uniform": np.stack([curve_u[:, None].repeat(2, 1)] * 2),  # [seed, step, domain]
                     "fast": np.stack([curve_f[:, None].repeat(2, 1)] * 2)}}
    rows = {r["strategy"]: r for r in summary(res)}
    assert rows["uniform"]["steps_to_target"] == 40 and rows["uniform"]["ratio"] == 1.0
    assert rows["fast"]["steps_to_target"] == 20 and rows["fast"]["ratio"] == 0.5
    assert rows["fast"]["overhead"] == pytest.approx(1.2) and rows["fast"]["final_mean"] == 0.5


def test_paired_speedup_compares_each_seed_with_the_same_seed_of_uniform():
    steps = np.array([10, 20, 30, 40])
    uniform = np.array([[4.0, 3.0, 2.0, 1.0], [4.0, 3.9, 3.8, 3.7]])  # seed 1 is stuck on a plateau
    method = np.array([[3.0, 1.5, 1.0, 0.9], [3.0, 3.0, 3.0, 3.0]])
    res = {"strategies": ["uniform", "m"], "steps": steps, "ms": {},
           "evals": {"uniform": uniform[:, :, None], "m": method[:, :, None]}}
    rows = {r["strategy"]: r for r in summary(res)}
    # seed 0: reaches 1.0 at step 30 vs 40; seed 1: reaches 3.7 at 10 vs 40
    assert rows["m"]["paired"] == [0.75, 0.25] and rows["uniform"]["paired"] == [1.0, 1.0]
    # the seed-mean curves (uniform's stuck seed lifts its final value to 2.35): 20 vs 40 steps
    assert rows["m"]["ratio"] == 0.5
    assert paired_text(rows["m"]["paired"]) == "0.75 / 0.25 (median 0.50)"
    assert paired_text([0.8, None, 0.6]) == "0.80 / — / 0.60 (median 0.80)"
    assert paired_text([0.8, None]) == "0.80 / — (median —)"


def test_summary_uses_only_the_seeds_a_strategy_has_runs_for():
    steps = np.array([10, 20])
    uniform = np.array([[2.0, 1.0], [2.0, 1.2]])
    method = np.array([[1.0, 0.5], [np.nan, np.nan]])  # seed 1 not run (yet)
    res = {"strategies": ["uniform", "m"], "steps": steps, "ms": {},
           "evals": {"uniform": uniform[:, :, None], "m": method[:, :, None]}}
    m = {r["strategy"]: r for r in summary(res)}["m"]
    assert m["paired"] == [0.5] and m["final_mean"] == 0.5 and m["final_std"] == 0.0


def test_every_strategy_gets_its_own_colour_and_uniform_is_black():
    # bug: with matplotlib's 10-colour cycle the 11th strategy took uniform's colour in the loss plot
    names = ["uniform"] + [f"s{i}" for i in range(11)]
    colors = strategy_colors(names)
    assert colors["uniform"] == "black"
    assert len({tuple(c) for s, c in colors.items() if s != "uniform"}) == 11


def test_compare_runs_strategies_by_seeds_and_writes_report(tmp_path):
    ws = Workspace(tmp_path / "ws")
    cfg = ExperimentConfig(name="t", docs_per_domain=6, doc_chars=300, seeds=[0, 1], base=TINY,
                           out=str(tmp_path / "rep"),
                           strategies={"uniform": {"mixer": "static"},
                                       "doremi": {"mixer": "doremi", "reference": {"steps": 4}}})
    path = compare(cfg, ws, progress=lambda m: None)
    runs = ws.sql("SELECT strategy, seed FROM train_runs WHERE run LIKE 't:%' ORDER BY 1, 2").to_pylist()
    assert [(r["strategy"], r["seed"]) for r in runs] == [("doremi", 0), ("doremi", 1), ("uniform", 0),
                                                          ("uniform", 1)]
    page = path.read_text()
    assert page.count("data:image/png;base64,") == 4 and "<td>doremi</td>" in page
    from tilth.cli import app

    del ws  # the CLI opens the workspace itself
    out = CliRunner().invoke(app, ["experiment", "summary", "t", "--workspace", str(tmp_path / "ws")])
    assert out.exit_code == 0, out.output
    assert "experiment 't': 2 seeds" in out.output and "uniform" in out.output and "1.00" in out.output
    bad = CliRunner().invoke(app, ["experiment", "summary", "nope", "--workspace", str(tmp_path / "ws")])
    assert bad.exit_code == 1 and "no runs logged for experiment 'nope'" in bad.output


def test_strategies_may_not_change_the_token_budget(tmp_path):
    cfg = ExperimentConfig(docs_per_domain=6, doc_chars=300, seeds=[0], base=TINY,
                           strategies={"big": {"batch_size": 64}})
    with pytest.raises(ValueError, match="token budget"):
        compare(cfg, Workspace(tmp_path / "ws"), progress=lambda m: None)


def test_weights_from_trains_a_fresh_model_on_doremis_time_averaged_weights(tmp_path):
    """DoReMi's second stage: the static strategy samples, for each seed, with that seed's proxy ᾱ."""
    ws = Workspace(tmp_path / "ws")
    cfg = ExperimentConfig(name="two", docs_per_domain=6, doc_chars=300, seeds=[0, 1], base=TINY,
                           out=str(tmp_path / "rep"),
                           strategies={"doremi": {"mixer": {"name": "doremi", "schedule": {"every": 2}},
                                                  "reference": {"steps": 4}},
                                       "main": {"mixer": {"name": "static", "weights_from": "doremi"}}})
    compare(cfg, ws, progress=lambda m: None)
    for seed in (0, 1):
        def logged(strategy, seed=seed):
            rows = ws.sql(f"SELECT step, weight FROM train_domain_weights WHERE run = 'two:{strategy}:s{seed}' "
                          "ORDER BY step, domain").to_pylist()
            return np.array([r["weight"] for r in rows]).reshape(TINY["steps"], -1)
        # updates at steps 0, 2, 4 (every 2); each update's α is the sampling weight of the step after it
        alpha_bar = logged("doremi")[[1, 3, 5]].mean(axis=0)
        assert np.abs(alpha_bar - 0.25).max() > 1e-3  # the proxy moved away from uniform
        assert np.allclose(logged("main"), alpha_bar, rtol=0, atol=1e-12)


def test_weights_from_a_file_takes_another_experiments_run_with_the_same_seed(tmp_path):
    """The pilot-model workflow: a proxy experiment writes output_weights.json; a second experiment (e.g. a
    larger model) trains static mixtures read from it, seed by seed, and a skewed corpus with a natural
    baseline."""
    import json

    sizes = {"markov": 8, "arithmetic": 2, "noise": 2, "periodic": 2}
    proxy = ExperimentConfig(name="proxy", domain_docs=sizes, doc_chars=300, seeds=[0, 1], base=TINY,
                             out=str(tmp_path / "proxy"), baseline="natural",
                             strategies={"natural": {"mixer": {"name": "static", "weights": "natural"}},
                                         "odm": {"mixer": "odm"}})
    ws = Workspace(tmp_path / "ws")
    compare(proxy, ws, progress=lambda m: None)
    saved = json.loads((tmp_path / "proxy" / "output_weights.json").read_text())
    assert saved["domains"] == ["arithmetic", "markov", "noise", "periodic"]
    nat = saved["runs"]["natural"]["0"]
    # 300-byte documents + EOS, 1 held out per domain: 1, 7, 1, 1 training documents packed into windows of
    # 17 tokens: 301 // 17 = 17 rows, 7 · 301 // 17 = 123 rows
    assert np.allclose(nat["output"], np.array([17, 123, 17, 17]) / 174, rtol=0, atol=1e-15)
    assert np.allclose(nat["mean"], nat["output"], rtol=0, atol=1e-15)
    big = TINY | {"model": {"n_layer": 1, "n_embd": 32, "n_head": 2}}
    main = ExperimentConfig(name="main", domain_docs=sizes, doc_chars=300, seeds=[0, 1], base=big,
                            out=str(tmp_path / "main"),
                            strategies={"odm-main": {"mixer": {"name": "static", "weights_from": {
                                "file": str(tmp_path / "proxy" / "output_weights.json"), "strategy": "odm",
                                "use": "mean"}}}})
    compare(main, ws, progress=lambda m: None)
    for seed in (0, 1):
        rows = ws.sql(f"SELECT weight FROM train_domain_weights WHERE run = 'main:odm-main:s{seed}' AND step = 0 "
                      "ORDER BY domain").column("weight").to_pylist()
        assert np.allclose(rows, saved["runs"]["odm"][str(seed)]["mean"], rtol=0, atol=1e-12)
    assert saved["runs"]["odm"]["0"]["mean"] != saved["runs"]["odm"]["1"]["mean"]


def test_weights_from_must_name_an_earlier_strategy(tmp_path):
    cfg = ExperimentConfig(docs_per_domain=6, doc_chars=300, seeds=[0], base=TINY,
                           strategies={"main": {"mixer": {"name": "static", "weights_from": "doremi"}},
                                       "doremi": {"mixer": "doremi", "reference": {"steps": 4}}})
    with pytest.raises(ValueError, match="weights_from 'doremi', which is not a strategy listed before it"):
        compare(cfg, Workspace(tmp_path / "ws"), progress=lambda m: None)


def test_tilth_train_cli_trains_from_yaml(tmp_path):
    from tilth.cli import app
    from tilth.train import synthetic

    ws = Workspace(tmp_path / "ws")
    synthetic.write_dataset(ws, docs_per_domain=6, doc_chars=300)
    conf = tmp_path / "train.yaml"
    conf.write_text(yaml.safe_dump({**TINY, "dataset": "synthetic_mix", "mixer": "odm", "run": "cli-run"}))
    out = CliRunner().invoke(app, ["train", str(conf), "--workspace", str(tmp_path / "ws")])
    assert out.exit_code == 0, out.output
    assert "run cli-run: 6 steps" in out.output
    assert ws.sql("SELECT count(*) AS n FROM train_steps WHERE run = 'cli-run'").column("n")[0].as_py() == 6


@pytest.mark.parametrize("name", ["synthetic_compare.yaml", "realtext_compare.yaml", "synthetic_skewed.yaml",
                                  "realtext_skewed.yaml", "realtext_skewed_pilot.yaml"])
def test_shipped_experiment_configs_build_every_strategy(name):
    """Each strategy of the shipped configs is a valid TrainConfig whose modules and model build."""
    from pathlib import Path

    import tilth.train
    from tilth.train.experiment import load_experiment
    from tilth.train.model import build_model
    from tilth.train.modules import build
    from tilth.train.trainer import TrainConfig

    cfg = load_experiment(Path(tilth.train.__file__).parent / "configs" / name)
    for over in cfg.strategies.values():
        if weights_source(over) or weights_file(over):  # the runner fills in the weights from another run
            over = {**over, "mixer": {"name": over["mixer"]["name"], "weights": [0.25] * 4}}
        tc = TrainConfig(**{**cfg.base, **over, "dataset": "x"})
        assert build("mixer", tc.mixer) is not None
        build("selector", tc.selector), build("reweighter", tc.reweighter)
    assert build_model(dict(cfg.base["model"]), 300, cfg.base["seq_len"], 0).config.model_type == "llama"
