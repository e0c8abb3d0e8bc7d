"""The run report: written by every run, numbers match the run, figures are inline SVG drawn from those numbers,
text is escaped."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from tilth.cli import app
from tilth.pipeline import Recipe, run_recipe
from tilth.report import plots, queries
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


def figures(html: str) -> list[ET.Element]:
    """The page's figures, each parsed as XML: a text that was not escaped would fail here."""
    return [ET.fromstring(m) for m in re.findall(r"<figure>(<svg .*?</svg>)</figure>", html, re.S)]


def texts(svg: ET.Element, cls: str) -> list[str]:
    return [t.text for t in svg.iter("text") if t.get("class") == cls]


def rects(svg: ET.Element, cls: str) -> list[dict[str, float]]:
    return [{k: float(r.get(k)) for k in ("x", "y", "width", "height")} for r in svg.iter("rect") if r.get("class") == cls]


def axis(svg: ET.Element) -> tuple[float, float, float]:
    """(left, right, bottom) of a histogram's plot area, from its x axis line."""
    [line] = [a for a in svg.iter("line") if a.get("class") == "axis"]
    return float(line.get("x1")), float(line.get("x2")), float(line.get("y1"))


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


def y_ticks(svg: ET.Element) -> list[tuple[float, float]]:
    """(value, y) of a histogram's count axis labels."""
    return [(float(t.text.replace(",", "")), float(t.get("y"))) for t in svg.iter("text")
            if t.get("class") == "tick" and t.get("text-anchor") == "end"]


def x_ticks(svg: ET.Element) -> list[str]:
    return [t.text for t in svg.iter("text") if t.get("class") == "tick" and t.get("text-anchor") == "middle"]


def check_histogram(svg: ET.Element, hist: dict, thresholds: list[float]) -> None:
    """A bar per non-empty bin and status, on its bin's left edge, as tall as its count (dropped stacked on
    kept), and a dashed line at each threshold: all at the positions the axes give."""
    left, right, bottom = axis(svg)
    lo, hi = hist["edges"][0], hist["edges"][-1]

    def x(v):
        return left + (v - lo) / (hi - lo) * (right - left)

    top_value, top_y = y_ticks(svg)[-1]
    per_row = (bottom - top_y) / top_value
    kept = iter(rects(svg, "kept"))
    dropped = iter(rects(svg, "dropped"))
    for edge, k, d in zip(hist["edges"], hist["kept"], hist["dropped"], strict=False):
        base = bottom
        if k:
            r = next(kept)
            assert (r["x"], r["y"] + r["height"], r["height"]) == pytest.approx((x(edge), bottom, k * per_row), abs=0.1)
            base = r["y"]
        if d:
            r = next(dropped)
            assert (r["x"], r["y"] + r["height"], r["height"]) == pytest.approx((x(edge), base, d * per_row), abs=0.1)
    assert next(kept, None) is None and next(dropped, None) is None
    lines = [float(line.get("x1")) for line in svg.iter("line") if line.get("class") == "threshold"]
    assert lines == pytest.approx([x(v) for v in thresholds], abs=0.06)


def test_html_is_self_contained_with_inline_svg_figures(done):
    res, ws = done
    html = res.report.read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html and "<img" not in html
    figs = figures(html)
    metrics = ["n_chars", "n_words", "n_lines", "mean_word_len", "ttr", "distinct_2", "dup_line_frac"]
    assert [f.find("title").text for f in figs] == [
        "Rows after each step", "Dropped rows per step and reason", *[f"01_sample_metrics: {c}" for c in metrics],
        "02_length_filter: length_words", "Domain distribution"]
    for f in figs:
        assert f.tag == "svg" and f.get("viewBox") == f"0 0 {f.get('width')} {f.get('height')}"
        assert float(f.get("width")) >= 460 and float(f.get("height")) > 100
    funnel, reasons, *_, length, domains = figs
    assert list(zip(texts(funnel, "label"), texts(funnel, "value"), strict=True)) == [
        ("00_read_jsonl", "9 (100%)"), ("01_sample_metrics", "9 (100%)"), ("02_length_filter", "7 (78%)"),
        ("03_exact_dedup", "6 (67%)"), ("04_dataset_stats", "6 (67%)")]
    widths = [r["width"] for r in rects(funnel, "bar")]
    assert widths == pytest.approx([widths[0] * n / 9 for n in (9, 9, 7, 6, 6)], abs=0.1)
    assert texts(funnel, "tick") == ["0", "2", "4", "6", "8", "10"] and texts(funnel, "title") == ["Rows after each step"]
    assert list(zip(texts(reasons, "label"), texts(reasons, "value"), strict=True)) == [
        ("02_length_filter: words < min=3", "2"), ("03_exact_dedup: exact duplicate", "1")]
    steps = queries.steps(ws, "rep")
    hist = score_histogram(ws, "rep", steps[2].index, steps[2].view, "length_words", thresholds=[3])
    check_histogram(length, hist, [3])
    assert texts(length, "legend") == ["kept", "dropped", "min=3 (keep if >=)"]
    assert texts(domains, "legend") == ["input (9 rows)", "04_dataset_stats (6 rows)"]
    assert texts(domains, "label") == ["web", "books", "code"]
    assert texts(domains, "value") == ["55.6%", "50%", "22.2%", "33.3%", "22.2%", "16.7%"]
    shares = [5 / 9, 1 / 2, 2 / 9, 1 / 3, 2 / 9, 1 / 6]
    assert [r["width"] for r in rects(domains, "bar")] == pytest.approx(
        [rects(domains, "bar")[0]["width"] * v / shares[0] for v in shares], abs=0.1)


def test_histogram_stacks_counts_draws_thresholds_and_notes_the_tail():
    hist = {"column": "score", "edges": [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], "kept": [0, 3, 10, 1, 1500],
            "dropped": [4, 2, 0, 0, 0], "above": 7, "top": 3.0}
    svg = ET.fromstring(plots.histogram(hist, "s: score", [("min", ">=", -0.5), ("max", "<=", 1000000)]))
    check_histogram(svg, hist, [-0.5])
    assert texts(svg, "legend") == ["kept", "dropped", "min=-0.5 (keep if >=)", "max=1000000 (keep if <=), off scale"]
    assert texts(svg, "note") == ["last bin also holds 7 rows > 3"]
    assert x_ticks(svg) == ["-2", "-1", "0", "1", "2", "3"]
    assert [t for t, _ in y_ticks(svg)] == [0, 500, 1000, 1500] and "1,500" in texts(svg, "tick")
    assert "min" in [t.text for t in svg.iter("text")]  # the line is named where it is drawn
    assert [r.find("title").text for r in svg.iter("rect") if r.get("class") == "dropped"] == [
        "-2 to -1: 0 kept, 4 dropped", "-1 to 0: 3 kept, 2 dropped"]
    # nothing dropped and no thresholds: no legend, as nothing needs explaining
    calm = ET.fromstring(plots.histogram({**hist, "dropped": [0] * 5, "above": 0}, "s: score"))
    assert texts(calm, "legend") == [] and texts(calm, "note") == [] and rects(calm, "dropped") == []


def finite(svg: str) -> ET.Element:
    """Parse a figure and check every coordinate is a finite number and no size is negative."""
    root = ET.fromstring(svg)
    for el in root.iter():
        for k in ("x", "y", "width", "height", "x1", "x2", "y1", "y2"):
            if el.get(k) is not None:
                v = float(el.get(k))
                assert v == v and abs(v) < 1e5 and (k not in ("width", "height") or v >= 0), (el.tag, k, v)
    return root


def test_figures_of_edge_cases_are_valid_svg():
    zeros = finite(plots.histogram({"column": "c", "edges": [0, 1, 2], "kept": [0, 0], "dropped": [0, 0]}, "zeros"))
    assert rects(zeros, "kept") == [] and [t for t, _ in y_ticks(zeros)] == [0, 1]
    # one bin; one bin of no width, spread over a unit around its value
    for edges, ticks in (([7.0, 7.5], ["7", "7.1", "7.2", "7.3", "7.4", "7.5"]), ([7.0, 7.0], ["6.6", "6.8", "7", "7.2", "7.4"])):
        one = finite(plots.histogram({"column": "c", "edges": edges, "kept": [12], "dropped": [0]}, "one"))
        left, right, bottom = axis(one)
        [bar] = rects(one, "kept")
        assert bar["x"] == left and bar["width"] == pytest.approx(right - left - 1, abs=0.1) and x_ticks(one) == ticks
    for empty in (plots.funnel([]), plots.reason_bars([]), plots.domains({}),
                  plots.histogram({"column": "c", "edges": [], "kept": [], "dropped": []}, "none")):
        assert texts(finite(empty), "note") == ["nothing to show"]
    nothing = finite(plots.funnel([("00_read", 0), ("01_f", 0)]))
    assert texts(nothing, "value") == ["0 (0%)", "0 (0%)"] and [r["width"] for r in rects(nothing, "bar")] == [0, 0]
    assert texts(nothing, "tick") == ["0", "1"]


def test_bar_charts_scale_label_and_grow_with_their_bars():
    steps = [("00_read", 1_234_567), ("01_filter", 617_283), ("02_" + "x" * 60, 0)]
    svg = finite(plots.funnel(steps))
    assert texts(svg, "label") == ["00_read", "01_filter", "02_" + "x" * 36 + "…"]
    assert texts(svg, "value") == ["1,234,567 (100%)", "617,283 (50%)", "0 (0%)"]
    assert texts(svg, "tick") == ["0", "500,000", "1,000,000", "1,500,000"]
    bars = rects(svg, "bar")
    assert [b["width"] for b in bars] == pytest.approx([bars[0]["width"], bars[0]["width"] * 617_283 / 1_234_567, 0],
                                                       abs=0.1)
    assert bars[0]["y"] < bars[1]["y"] < bars[2]["y"]  # first step on top
    # 640 px wide, wider only when long labels leave the bars less than 300 px
    assert float(finite(plots.funnel(steps[:2])).get("width")) == 640 and float(svg.get("width")) > 640
    taller = finite(plots.funnel(steps + [(f"{i:02d}_more", 5) for i in range(3, 10)]))
    assert float(taller.get("height")) - float(svg.get("height")) == pytest.approx(7 * (bars[1]["y"] - bars[0]["y"]))
    reasons = finite(plots.reason_bars([{"step": "02_f", "reason": "r" * 80, "rows": 3}]))
    assert texts(reasons, "label") == ["02_f: " + "r" * 49 + "…"]
    assert [b.get("fill") for b in reasons.iter("rect") if b.get("class") == "bar"] == [plots.DROPPED]


def test_text_from_data_is_escaped_in_every_figure():
    evil = '<script>alert("x")</script> & co\x07'
    clean = evil.replace("\x07", "")
    hist = {"column": evil, "edges": [0.0, 1.0], "kept": [1], "dropped": [1], "above": 0, "top": 1.0}
    figs = [plots.funnel([(evil, 1)]), plots.reason_bars([{"step": "s", "reason": evil, "rows": 1}]),
            plots.histogram(hist, evil, [(evil, ">=", 0.5)]),
            plots.domains({evil: [{"domain": evil, "rows": 1, "share": 1.0}]})]
    for svg in figs:
        assert "<script" not in svg and "&lt;script&gt;" in svg and "\x07" not in svg
        words = [t.text for t in ET.fromstring(svg).iter("text")] + [t.text for t in ET.fromstring(svg).iter("title")]
        assert any(clean in (w or "") for w in words)  # the text reads as written, once parsed


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


@pytest.mark.parametrize("stage", ["build_report", "save_report"])
def test_report_failure_warns_but_run_succeeds(tmp_path, monkeypatch, stage):
    """The runner builds the report while the export runs and saves it after: a failure at either stage warns."""
    import tilth.report

    def boom(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tilth.report, stage, boom)
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
    assert ok.output.strip() == str(out) and len(figures(out.read_text())) == 11
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
    # one distinct value sits mid-axis on a unit-wide axis, not at the left of `bins` unit-wide bins
    single = binned(ws, "SELECT 0.0 AS x, 'kept' AS status", [], "x", bins=4)
    assert single["edges"] == [-0.5, -0.25, 0.0, 0.25, 0.5] and single["kept"] == [0, 0, 1, 0]
    # 99% at the minimum: no tail to cut, the axis spans all values (it used to end at p99 = the minimum)
    flat = binned(ws, "SELECT 0.0 AS x, 'kept' AS status FROM range(200) UNION ALL SELECT 1.0, 'kept'", [], "x",
                  bins=4)
    assert flat["edges"] == [0.0, 0.25, 0.5, 0.75, 1.0] and flat["kept"] == [200, 0, 0, 1] and flat["above"] == 0


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
