"""dataset_stats: exact dataset-level statistics of a small known dataset, caching, embedding dispersion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tilth.ops import build
from tilth.ops.evaluate.dataset_stats import DatasetStatsParams
from tilth.pipeline import Recipe, run_recipe
from tilth.report.embed import dispersion
from tilth.report.stats import CACHE_NAME, cached_statistics, dataset_statistics
from tilth.storage import Workspace

ROWS = [
    {"content": "alpha beta gamma", "source": "a", "response": "yes"},
    {"content": "alpha beta gamma", "source": "a", "response": "no way"},
    {"content": "Alpha  beta gamma ", "source": "b", "response": "ok"},
    {"content": "delta", "source": "b", "response": "fine then ok"},
    {"content": "epsilon zeta", "source": "c", "response": ""},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ds")
    src = tmp / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    recipe = Recipe.model_validate({
        "name": "ds", "input": {"path": str(src), "text": "content"}, "workers": 1,
        "steps": [{"dataset_stats": {"output_field": "response", "top_domains": 2, "diversity_sample": 0}}]})
    res = run_recipe(recipe, tmp / "ws", progress=False)
    return res, Workspace(tmp / "ws")


def test_lengths_domains_duplication_and_diversity_are_exact(run):
    res, ws = run
    s = dataset_statistics(ws, res.steps[1].view, DatasetStatsParams(output_field="response", top_domains=2,
                                                                        diversity_sample=0))
    assert s["rows"] == 5
    chars = [len(r["content"]) for r in ROWS]
    assert s["lengths"]["text:text"]["chars"] == pytest.approx(
        {"mean": np.mean(chars), "std": np.std(chars), "min": min(chars), "max": max(chars)})
    assert s["lengths"]["text:text"]["words"]["mean"] == pytest.approx(12 / 5)
    assert s["lengths"]["output:response"]["words"] == pytest.approx(
        {"mean": 7 / 5, "std": np.std([1, 2, 1, 3, 0]), "min": 0, "max": 3})
    # per domain, the mean text length too: a = two "alpha beta gamma" (16 chars, 3 words); b = "Alpha  beta
    # gamma " (18, 3) and "delta" (5, 1); other = c, "epsilon zeta" (12, 2)
    assert s["domains"] == [
        {"domain": "a", "rows": 2, "share": 0.4, "mean_chars": 16.0, "mean_words": 3.0},
        {"domain": "b", "rows": 2, "share": 0.4, "mean_chars": 11.5, "mean_words": 2.0},
        {"domain": "other", "rows": 1, "share": 0.2, "mean_chars": 12.0, "mean_words": 2.0}]
    assert s["duplication"] == {"exact_duplicate_rows": 1, "exact_rate": 0.2,
                                "normalised_duplicate_rows": 2, "normalised_rate": 0.4}
    # lower-cased words: alpha beta gamma x3, delta, epsilon zeta -> 6 distinct of 12; bigrams 3 of 7
    assert s["diversity"] == {"sample_rows": 5, "distinct_1": 0.5, "ngrams_1": 12,
                              "distinct_2": pytest.approx(3 / 7), "ngrams_2": 7}
    assert "embedding" not in s


def test_operator_leaves_rows_unchanged_and_missing_fields_are_skipped(run):
    res, ws = run
    assert [(s.rows_in, s.rows_out, s.modified) for s in res.steps] == [(5, 5, 0), (5, 5, 0)]
    before = ws.sql(f"SELECT * FROM {res.steps[0].view} ORDER BY _id")
    assert ws.sql(f"SELECT * FROM {res.steps[1].view} ORDER BY _id").equals(before)
    s = dataset_statistics(ws, res.steps[1].view, DatasetStatsParams(domain_field="nope", input_field="nope"))
    assert "domains" not in s and list(s["lengths"]) == ["text:text"]


def test_bounded_diversity_sample_is_seeded(run):
    res, ws = run
    p = DatasetStatsParams(diversity_sample=3, seed=7)
    a = dataset_statistics(ws, res.steps[1].view, p)["diversity"]
    b = dataset_statistics(ws, res.steps[1].view, p)["diversity"]
    assert a["sample_rows"] == 3 and a == b


def test_statistics_are_cached_in_the_step_scratch_dir_per_params(run, tmp_path):
    res, ws = run
    step_dir = tmp_path / "step"
    p = DatasetStatsParams(diversity_sample=0)
    first = cached_statistics(ws, res.steps[1].view, step_dir, p)
    cache = step_dir / "_scratch" / CACHE_NAME
    assert json.loads(cache.read_text())["rows"] == 5
    cache.write_text(json.dumps({**first, "rows": -1}))  # a reused cache is visible
    assert cached_statistics(ws, res.steps[1].view, step_dir, p)["rows"] == -1
    assert cached_statistics(ws, res.steps[1].view, step_dir, DatasetStatsParams(seed=1))["rows"] == 5


def test_run_report_carries_the_dataset_stats_step(run):
    res, ws = run
    stats = json.loads((res.report.parent / "stats.json").read_text())["dataset_stats"]
    assert list(stats) == ["input", "01_dataset_stats"]
    assert stats["01_dataset_stats"]["lengths"]["output:response"]["chars"]["max"] == len("fine then ok")
    assert (ws.root / res.steps[1].directory / "_scratch" / CACHE_NAME).exists()


def test_dispersion_of_known_vectors():
    assert dispersion(np.array([[1.0, 0.0], [1.0, 0.0]])) == pytest.approx(0.0)
    assert dispersion(np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(1 - np.sqrt(0.5))
    assert dispersion(np.zeros((0, 2))) == 0.0


def test_embedding_dispersion_with_minilm(run):
    res, ws = run
    s = dataset_statistics(ws, res.steps[1].view, DatasetStatsParams(embed_sample=3))["embedding"]
    assert s["sample_rows"] == 3 and s["model"] == "all-MiniLM-L6-v2"
    assert 0.0 < s["mean_cosine_distance"] < 1.0
    from tilth.report.embed import embed

    same = embed(["the same sentence"] * 3)
    assert same.shape == (3, 384) and dispersion(same) == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(Exception, match="embed_sample"):
        build("dataset_stats", {"embed_sample": 5000})


def test_distinct_n_is_linear_in_document_length(tmp_path):
    """Regression: n-grams were built by slicing the word list per position (minutes for one long doc)."""
    import time

    import pyarrow as pa

    from tilth.report.stats import distinct_n
    from tilth.storage import Workspace
    from tilth.storage.parts import write_part

    ws = Workspace(tmp_path / "ws")
    write_part(pa.table({"_id": [1, 2], "text": [" ".join(["a", "b"] * 10_000), "  c d  "]}), tmp_path / "d" / "p.parquet")
    with ws.connect() as con:
        ws.register_version(con, "long", tmp_path / "d")
    t0 = time.perf_counter()
    got = distinct_n(ws, "long", "text", 0, 0)
    assert time.perf_counter() - t0 < 20
    assert got["ngrams_1"] == 20_002 and got["distinct_1"] == 4 / 20_002
    assert got["ngrams_2"] == 19_999 + 1 and got["distinct_2"] == 3 / 20_000  # "a b", "b a", "c d"


def test_overview_statistics_are_those_of_the_texts(tmp_path):
    import pyarrow as pa

    from tilth.report.stats import overview_statistics

    texts = ["a", "héllo wörld", None, "a", "", "x" * 1000, "héllo wörld", "ünïcode ✓"]
    ws = Workspace(tmp_path / "ws")
    ws.write_table("t", pa.table({"_id": pa.array(range(len(texts)), pa.int64()), "text": pa.array(texts, pa.string())}))
    s = overview_statistics(ws, "t")
    n = np.array([len(t or "") for t in texts])
    assert s["rows"] == len(texts)
    assert s["lengths"]["text:text"]["chars"] == pytest.approx(
        {"mean": n.mean(), "std": n.std(), "min": n.min(), "max": n.max()})
    distinct = len({t or "" for t in texts})  # a null text counts as the empty one
    assert s["duplication"] == {"exact_duplicate_rows": len(texts) - distinct,
                                "exact_rate": (len(texts) - distinct) / len(texts)}


def test_the_input_overview_comes_from_the_readers_text_statistics_and_equals_the_scan(tmp_path):
    from tilth.report.stats import overview_statistics
    from tilth.storage.parts import TEXT_STATS, list_parts

    texts = ["a", "héllo wörld", "a", "", "x" * 1000, "héllo wörld", "ünïcode ✓", None]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t, "source": "s"}) + "\n" for t in texts))
    recipe = Recipe.model_validate({"name": "ov", "input": {"path": str(src), "batch_size": 3}, "workers": 1,
                                    "steps": []})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    reader = res.steps[0]
    parts = list_parts(reader.directory)
    assert len(parts) == 3 and all((p.parent / TEXT_STATS / p.name).exists() for p in parts)
    ws = Workspace(tmp_path / "ws")
    from_reader = overview_statistics(ws, reader.view, step_dir=reader.directory)
    assert from_reader == overview_statistics(ws, reader.view)  # the same numbers as reading the texts back
    report = json.loads((tmp_path / "ws" / "reports" / "ov" / "stats.json").read_text())
    assert report["dataset_stats"]["input"]["duplication"] == from_reader["duplication"]
    assert from_reader["duplication"]["exact_duplicate_rows"] == 3  # "a", "héllo wörld", and null as ""


@pytest.mark.parametrize("step", [{"length_filter": {"unit": "chars", "min": 2}}, {"exact_dedup": {}},
                                  {"minhash_dedup": {"ngram": 1, "threshold": 0.5}}])
def test_a_filters_or_dedups_output_keeps_the_readers_text_statistics_of_its_rows(tmp_path, step):
    """A filter or dedup keeps rows unchanged: its parts get the reader's text statistics of the rows
    kept (not a scan of the texts), and the output overview equals the scan."""
    from tilth.report.stats import overview_statistics
    from tilth.storage.parts import TEXT_STATS, list_parts

    texts = ["a", "héllo wörld", "a", "", "x" * 1000, "héllo wörld", "ünïcode ✓", None, "héllo wörld!"]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    recipe = Recipe.model_validate({"name": "kept", "input": {"path": str(src), "batch_size": 4}, "workers": 1,
                                    "steps": [step]})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    out = res.steps[-1]
    assert 0 < out.rows_out < len(texts)
    parts = list_parts(out.directory)
    assert len(parts) == 3 and all((p.parent / TEXT_STATS / p.name).exists() for p in parts)
    ws = Workspace(tmp_path / "ws")
    kept = overview_statistics(ws, out.view, step_dir=out.directory)
    assert kept == overview_statistics(ws, out.view) and kept["rows"] == out.rows_out


def test_loose_labels_count_each_hand_typed_label_once(tmp_path):
    """Trial 68: ' Northside', 'Northside' and 'NORTHSIDE' were three branches; with loose_labels they are one,
    shown in the commonest spelling, and an empty or all-space label counts as missing."""
    from tilth.report.stats import domain_counts

    rows = [{"text": f"visit {i}", "branch": b} for i, b in enumerate(
        ["Northside", " Northside", "NORTHSIDE", "Northside", "Old  Town", "old town", "   ", None])]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = Recipe.model_validate({"name": "loose", "input": {"path": str(src)}, "workers": 1,
                                    "steps": [{"dataset_stats": {"domain_field": "branch", "loose_labels": True}}]})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    got = domain_counts(ws, res.steps[1].view, "branch", 10, loose=True)
    assert [(d["domain"], d["rows"]) for d in got] == [("Northside", 4), ("(null)", 2), ("Old Town", 2)]
    assert [(d["domain"], d["rows"]) for d in domain_counts(ws, res.steps[1].view, "branch", 10)] == [
        ("Northside", 2), ("   ", 1), (" Northside", 1), ("(null)", 1), ("NORTHSIDE", 1), ("Old  Town", 1),
        ("old town", 1)]
