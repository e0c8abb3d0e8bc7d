"""Bad labels and bad requests give one clear error each (library and CLI); `tilth classifier` end to end."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from classifier_fixtures import boilerplate, educational
from typer.testing import CliRunner

from tilth.classify import store
from tilth.classify.labels import LabelError, LabelSpec
from tilth.classify.train import TrainConfig, train
from tilth.cli import app
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace

STATS = TrainConfig(features="stats")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    e, b = educational(60), boilerplate(60)
    w = Workspace(tmp_path_factory.mktemp("bad") / "ws")
    n = len(e) + len(b)
    ids = pa.array(range(1, n + 1), pa.int64())
    lab = ["keep"] * 60 + ["drop"] * 60
    w.write_table("good", pa.table({"_id": ids, "text": e + b, "label": lab}))
    w.write_table("one_class", pa.table({"_id": ids, "text": e + b, "label": ["keep"] * n}))
    w.write_table("nulls", pa.table({"_id": ids, "text": e + b, "label": [None if i % 10 == 0 else x
                                                                          for i, x in enumerate(lab)]}))
    w.write_table("nan", pa.table({"_id": ids, "text": e + b, "label": [float("nan") if i % 7 == 0 else float(x == "keep")
                                                                        for i, x in enumerate(lab)]}))
    w.write_table("words", pa.table({"_id": ids, "text": e + b, "label": ["great"] * n}))
    w.write_table("lists", pa.table({"_id": ids, "text": e + b, "label": [[1]] * n}))
    w.write_table("empty", pa.table({"_id": pa.array([], pa.int64()), "text": pa.array([], pa.string()),
                                     "label": pa.array([], pa.string())}))
    w.write_table("tiny", pa.table({"_id": ids.slice(0, 10), "text": (e + b)[:5] + (e + b)[-5:],
                                    "label": lab[:5] + lab[-5:]}))
    return w


@pytest.mark.parametrize("spec, message", [
    (LabelSpec(dataset="good", column="nope"), r"no column 'nope' in dataset 'good' v1 \(columns: _id, text, label\)"),
    (LabelSpec(dataset="good", column="label", text_field="body"), r"no column 'body'"),
    (LabelSpec(dataset="missing", column="label"), r"no dataset 'missing' \(known: "),
    (LabelSpec(column="label"), r"say which dataset"),
    (LabelSpec(), r"say where the labels are"),
    (LabelSpec(dataset="good", column="label", run="r"), r"got column, run"),
    (LabelSpec(dataset="one_class", column="label"), r"every labelled row .* is keep \(1\): a classifier needs both"),
    (LabelSpec(dataset="nulls", column="label"), r"12 of 120 rows .* have no label \(null or NaN\); pass skip_missing"),
    (LabelSpec(dataset="nan", column="label"), r"18 of 120 rows .* have no label"),
    (LabelSpec(dataset="words", column="label"), r"must be keep/drop .*got 'great'"),
    (LabelSpec(dataset="lists", column="label"), r"must be numbers, booleans or keep/drop words, not list"),
    (LabelSpec(dataset="empty", column="label"), r"no rows to learn from in column 'label' of dataset 'empty'"),
    (LabelSpec(dataset="tiny", column="label"), r"10 labelled rows are too few"),
    (LabelSpec(run="nope"), r"no run 'nope'"),
    (LabelSpec(sample="nope"), r"no human labels in this workspace"),
])
def test_bad_labels_are_refused_clearly(ws, spec, message):
    with pytest.raises((LabelError, KeyError, ValueError), match=message):
        train(ws, "m", spec, STATS)
    assert store.versions(ws.root, "m") == []  # nothing half-written


def test_missing_labels_can_be_skipped_and_are_counted(ws):
    meta = train(ws, "skip", LabelSpec(dataset="nulls", column="label", skip_missing=True), STATS)
    assert meta["rows"]["total"] == 108 and meta["labels"]["skipped_missing"] == 12


@pytest.mark.parametrize("kwargs, message", [
    ({"features": "embed+tfidf"}, r"features: use embed, ngrams, stats"),
    ({"head": "forest"}, r"head: linear or mlp"),
    ({"features": "ngrams", "head": "mlp"}, r"head mlp takes dense features only"),
])
def test_bad_training_options(ws, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(ws, "opt", LabelSpec(dataset="good", column="label"), TrainConfig(**kwargs))


def test_bad_names_and_unknown_models(ws):
    with pytest.raises(ValueError, match="classifier name '../x'"):
        train(ws, "../x", LabelSpec(dataset="good", column="label"), STATS)
    with pytest.raises(KeyError, match="no classifier 'ghost'"):
        store.load(ws.root, "ghost")
    train(ws, "real", LabelSpec(dataset="good", column="label"), STATS)
    with pytest.raises(KeyError, match=r"no classifier 'real' version 7 \(versions: \[1\]\)"):
        store.load(ws.root, "real", 7)


def test_mlp_head_learns_dense_features(ws):
    meta = train(ws, "mlp", LabelSpec(dataset="good", column="label"), TrainConfig(features="stats", head="mlp"))
    assert meta["head"] == "mlp" and meta["report"]["test"]["f1"] >= 0.9
    head, _ = store.load(ws.root, "mlp")
    assert head.score_texts(educational(3)).min() > head.score_texts(boilerplate(3)).max()


def test_cli_sample_train_show_and_errors(tmp_path):
    docs = educational(60) + boilerplate(60)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": t, "src": "doc" if i < 60 else "boiler"}) + "\n"
                            for i, t in enumerate(docs)))
    w = tmp_path / "ws"
    run_recipe(Recipe.model_validate({"name": "c", "input": {"path": str(path), "text": "text"}, "workers": 1,
                                      "steps": [{"length_filter": {"min": 1}}], "output": {"report": False}}),
               w, progress=False)
    cli = CliRunner()
    out = tmp_path / "to_annotate.jsonl"
    r = cli.invoke(app, ["classifier", "sample", "s1", "--run", "c", "--domain", "src", "--bins", "2",
                         "--per-stratum", "10", "--out", str(out), "-w", str(w)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 40 and {x["domain"] for x in rows} == {"doc", "boiler"}
    assert len({x["bin"] for x in rows}) == 2 and all(x["text"] for x in rows)
    # the annotation comes back as a column of a dataset: here, the source as the label
    ws = Workspace(w)
    ws.write_table("annotated", ws.sql("SELECT _id, text, src = 'doc' AS good FROM c__00_read_jsonl"))
    r = cli.invoke(app, ["classifier", "train", "cli", "--dataset", "annotated", "--column", "good",
                         "--features", "ngrams+stats", "-w", str(w)])
    assert r.exit_code == 0, r.output
    assert "classifier cli v1 (ngrams+stats, linear)" in r.output and "test: accuracy" in r.output
    r = cli.invoke(app, ["classifier", "show", "cli", "--json", "-w", str(w)])
    assert r.exit_code == 0 and json.loads(r.output)["labels"]["column"] == "good"
    r = cli.invoke(app, ["classifier", "train", "bad", "--dataset", "annotated", "--column", "nope", "-w", str(w)])
    assert r.exit_code == 2 and "error: no column 'nope' in dataset 'annotated'" in r.output
    r = cli.invoke(app, ["classifier", "show", "ghost", "-w", str(w)])
    assert r.exit_code == 2 and "error: no classifier 'ghost'" in r.output and "cli" in r.output
