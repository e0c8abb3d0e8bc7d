"""The run report: written by every run, numbers match the run, images are real PNGs, text is escaped."""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib.image as mpimg
import pytest
from typer.testing import CliRunner

from tilth.cli import app
from tilth.pipeline import Recipe, run_recipe
from tilth.report import queries
from tilth.report.histogram import binned, score_histogram
from tilth.storage import Workspace

GOOD = [
    ("The quick brown fox jumps over the lazy dog.", "web"),
    ("Parquet files store columns together on disk.", "web"),
    ("DuckDB answers analytical queries over those files.", "books"),
    ("A funnel shows how many rows survive each step.", "books"),
    ("Histograms show where a threshold cuts a score.", "web"),
    ("Dropped rows keep their reason in the lineage table.", "code"),
]
SHORT = [("hi", "web"), ("<script>alert(1)</script>", "code")]
DUP = GOOD[1]


def lines() -> str:
    rows = [*GOOD, *SHORT, DUP]
    out = [json.dumps({"content": t, "source": s}) for t, s in rows]
    out.insert(3, '{"content": "broken')  # malformed: quarantined
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rep")
    (tmp / "in.jsonl").write_text(lines())
    recipe = Recipe.model_validate({
        "name": "rep", "input": {"path": str(tmp / "in.jsonl"), "text": "content"}, "workers": 1,
        "steps": [{"sample_metrics": {}}, {"length_filter": {"min": 3}}, {"exact_dedup": {}},
                  {"dataset_stats": {}}]})
    return run_recipe(recipe, tmp / "ws", progress=False), Workspace(tmp / "ws")


def images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)]


def test_every_run_writes_the_report(done):
    res, ws = done
    assert res.report == ws.root / "reports" / "rep" / "index.html" and res.report.exists()
    assert [s.rows_out for s in res.steps] == [9, 9, 7, 6, 6]


def test_stats_json_matches_the_run(done):
    res, _ = done
    data = json.loads((res.report.parent / "stats.json").read_text())
    assert data["drops"] == [
        {"step_index": 2, "step": "02_length_filter", "reason": "words < min=3", "rows": 2,
         "share_of_step_input": pytest.approx(2 / 9)},
        {"step_index": 3, "step": "03_exact_dedup", "reason": "exact duplicate", "rows": 1,
         "share_of_step_input": pytest.approx(1 / 7)},
    ]
    assert [(s["step"], s["in"], s["out"], s["dropped"], s["quarantined"]) for s in data["steps"]] == [
        ("00_read_jsonl", 10, 9, 0, 1), ("01_sample_metrics", 9, 9, 0, 0), ("02_length_filter", 9, 7, 2, 0),
        ("03_exact_dedup", 7, 6, 1, 0), ("04_dataset_stats", 6, 6, 0, 0)]
    stats = data["dataset_stats"]
    assert list(stats) == ["input", "04_dataset_stats"]
    assert [(d["domain"], d["rows"]) for d in stats["input"]["domains"]] == [("web", 5), ("books", 2), ("code", 2)]
    assert [(d["domain"], d["rows"]) for d in stats["04_dataset_stats"]["domains"]] == [
        ("web", 3), ("books", 2), ("code", 1)]
    assert stats["04_dataset_stats"]["duplication"]["exact_duplicate_rows"] == 0
    assert stats["input"]["duplication"]["exact_duplicate_rows"] == 1
    assert data["quarantine"]["total"] == 1


def test_score_histogram_covers_kept_and_dropped_rows_and_the_threshold(done):
    res, ws = done
    steps = queries.steps(ws, "rep")
    lf = steps[2]
    assert queries.score_columns(lf) == ["length_words"]
    assert lf.op.threshold_values() == [("length_words", "min", ">=", 3)]
    hist = score_histogram(ws, "rep", lf.index, lf.view, "length_words", bins=10, thresholds=[3])
    assert sum(hist["kept"]) == 7 and sum(hist["dropped"]) == 2
    assert hist["edges"][0] == 1.0 and hist["edges"][-1] == pytest.approx(9.0)
    assert hist["dropped"][0] == 2  # both one-word rows fall in the first bin


def test_html_is_self_contained_with_real_pngs(done):
    res, _ = done
    html = res.report.read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    imgs = images(html)
    # funnel, reasons, 7 sample metrics, 1 length score, domains
    assert len(imgs) == 11
    for png in imgs:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        h, w = mpimg.imread(io.BytesIO(png)).shape[:2]
        assert h > 100 and w > 100


def test_dropped_examples_are_joined_with_input_text_and_escaped(done):
    res, ws = done
    steps = queries.steps(ws, "rep")
    short = queries.dropped_examples(ws, "rep", steps[2], steps[1])
    assert {(e["kind"], e["text"]) for e in short} == {("words < min=3", "hi"),
                                                       ("words < min=3", "<script>alert(1)</script>")}
    [dup] = queries.dropped_examples(ws, "rep", steps[3], steps[2])
    assert dup["text"] == DUP[0] and dup["text_chars"] == len(DUP[0])
    kept_id = ws.sql(f"SELECT _id FROM {res.steps[3].view} WHERE text = ?", [DUP[0]]).column(0)[0].as_py()
    assert dup["duplicate_of"] == kept_id
    html = res.report.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "broken" in html  # quarantined raw record is shown


def test_report_failure_warns_but_run_succeeds(tmp_path, monkeypatch):
    import tilth.report

    def boom(ws, run):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tilth.report, "write_report", boom)
    (tmp_path / "in.jsonl").write_text(lines())
    recipe = Recipe.model_validate({"name": "r2", "input": {"path": str(tmp_path / "in.jsonl"), "text": "content"},
                                    "workers": 1, "steps": [{"length_filter": {"min": 3}}]})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    assert res.report is None and res.rows_out == 7
    assert Workspace(tmp_path / "ws").sql("SELECT status FROM runs WHERE run = 'r2'").column(0)[0].as_py() == "done"


def test_cli_report_rewrites_and_names_unknown_runs(done, tmp_path):
    res, ws = done
    out = tmp_path / "r.html"
    cli = CliRunner()
    ok = cli.invoke(app, ["report", "rep", "-w", str(ws.root), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == str(out) and len(images(out.read_text())) == 11
    bad = cli.invoke(app, ["report", "nope", "-w", str(ws.root)])
    assert bad.exit_code == 2 and "no run 'nope'" in bad.output and "rep" in bad.output


def test_long_tail_ends_the_axis_at_p99_and_far_thresholds_are_off_scale(tmp_path):
    ws = Workspace(tmp_path / "ws")
    values = "SELECT x, 'kept' AS status FROM (SELECT range::DOUBLE AS x FROM range(100) UNION ALL SELECT 1e6)"
    hist = binned(ws, values, [], "x", bins=10, thresholds=[50.0, 1e9])
    # 101 values: p99 sits at position 0.99 * 100 = 99, i.e. the value 99; only 1e6 lies above it
    assert hist["edges"][0] == 0 and hist["edges"][-1] == pytest.approx(99.0)
    assert hist["above"] == 1 and hist["kept"][-1] == 11 and sum(hist["kept"]) == 101
    short = binned(ws, "SELECT 5.0 AS x, 'kept' AS status", [], "x", bins=4, thresholds=[3.0])
    assert short["edges"] == [3.0, 3.5, 4.0, 4.5, 5.0] and short["kept"] == [0, 0, 0, 1]


def test_reason_kinds_drop_per_row_values(tmp_path):
    ws = Workspace(tmp_path / "ws")
    reasons = ["words=3 < min=5", "words=12 < min=5", "ppl=812.5 > max_perplexity=500",
               "exact duplicate", "gopher_quality: hash_ratio > max"]
    got = ws.sql(f"SELECT {queries.REASON_KIND} AS k FROM unnest(?) t(reason)", [reasons]).column("k").to_pylist()
    assert got == ["words < min=5", "words < min=5", "ppl > max_perplexity=500", "exact duplicate",
                   "gopher_quality: hash_ratio > max"]


def test_thresholds_resolve_placeholders_and_skip_unset_params():
    from tilth.ops.process.length_filter import LengthFilter

    assert LengthFilter(unit="chars", min=3).threshold_values() == [("length_chars", "min", ">=", 3)]
    assert LengthFilter(min=1, max=9).threshold_values() == [("length_words", "min", ">=", 1),
                                                            ("length_words", "max", "<=", 9)]
    assert {"score": "length_{unit}", "param": "max", "keep_if": "<="} in LengthFilter.metadata()["thresholds"]
