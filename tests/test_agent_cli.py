"""`tilth agent` end to end on a math QA file (the paper's example) and `tilth ask`, through the real CLI.

This uses the whole registry as it is, so it asserts what any registry must give: a validated recipe
with a deduplicator that removed the planted copies, the dataset, and a report that agrees with it.
"""

from __future__ import annotations

import json

import pytest
from agent_fixtures import PAPER
from typer.testing import CliRunner

from tilth.agent.eval.mathqa import make_math_qa
from tilth.cli import app
from tilth.ops import registry
from tilth.pipeline.recipe import Recipe
from tilth.pipeline.validate import validate


def test_paper_example_end_to_end_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "math.jsonl"
    counts = make_math_qa(data, n=60, duplicates=6, junk=4)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["agent", PAPER, "--data", str(data), "--yes", "--no-embed",
                                   "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    recipe = Recipe.from_yaml(out / "recipe.yaml")
    assert validate(recipe)[2] == []
    kinds = [registry.get(s.op).kind for s in recipe.steps]
    assert "deduplicator" in kinds
    rep = json.loads((out / "report.json").read_text())
    assert rep["validation"]["ok"] and rep["validation"]["dry_run"] and rep["planner"] == "offline"
    rows = [json.loads(line) for line in open(out / "dataset.jsonl")]
    assert rep["stats"]["rows"] == len(rows) == rep["run"]["steps"][-1]["rows_out"]
    dedup = next(s for s in rep["run"]["steps"] if registry.get(s["step"].split("_", 1)[1]).kind == "deduplicator")
    assert dedup["dropped"] >= counts["duplicates"]
    originals = [r for r in rows if r.get("_parent_id") is None]
    assert len({r["question"] for r in originals}) == len(originals)  # no duplicate survives among the originals
    assert (out / "report.md").read_text().startswith("# Data Agent report")
    assert (tmp_path / "ws" / "agent" / "skills" / f"{recipe.name}.yaml").exists()


def test_ask_cites_sources():
    res = CliRunner().invoke(app, ["ask", "how is a plan validated before I review it?", "--no-embed", "--json"])
    assert res.exit_code == 0, res.output
    ans = json.loads(res.output)
    assert "docs/agent.md#validation" in ans["citations"]
    assert "[docs/agent.md#validation]" in ans["answer"]


def test_a_request_nothing_understands_fails_and_is_not_saved(tmp_path, monkeypatch):
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "math.jsonl"
    make_math_qa(data, n=20)
    ws = tmp_path / "ws"
    res = CliRunner().invoke(app, ["agent", "Compile every problem into Klingon opera librettos.", "--data", str(data),
                                   "--yes", "--no-embed", "-w", str(ws), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "I did not understand" in res.output and "the plan is empty: no step was planned for" in res.output
    assert not (ws / "agent" / "skills").exists() or not list((ws / "agent" / "skills").glob("*.yaml"))
    assert not (tmp_path / "out" / "dataset.jsonl").exists()


def test_agent_report_reads_an_output_path_with_an_apostrophe(tmp_path):
    from tilth.agent.report import output_stats

    path = tmp_path / "it's here" / "dataset.jsonl"
    path.parent.mkdir()
    path.write_text('{"text": "two words", "n": 1}\n{"text": "three words here", "n": 3}\n')
    out = output_stats(path)
    assert out["rows"] == 2 and out["text_words_mean"] == 2.5 and out["means"] == {"n": 2.0}


def test_without_a_terminal_or_yes_the_plan_is_written_not_run_nor_kept_as_a_skill(tmp_path, monkeypatch):
    """A newcomer's script piped nothing into `tilth agent` and it ran and saved an unreviewed plan."""
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "math.jsonl"
    make_math_qa(data, n=20)
    ws = tmp_path / "ws"
    res = CliRunner().invoke(app, ["agent", "remove exact duplicates", "--data", str(data), "--no-embed",
                                   "-w", str(ws), "--out", str(tmp_path / "out")])  # CliRunner's stdin is no tty
    assert res.exit_code == 0, res.output
    assert "not run: no terminal to review the plan" in res.output
    assert (tmp_path / "out" / "recipe.yaml").exists() and not (tmp_path / "out" / "dataset.jsonl").exists()
    assert not (ws / "agent" / "skills").exists() or not list((ws / "agent" / "skills").glob("*.yaml"))
    # with --no-run the reason is the flag (a newcomer read "no terminal" as something wrong)
    res = CliRunner().invoke(app, ["agent", "remove exact duplicates", "--data", str(data), "--no-embed", "--no-run",
                                   "-w", str(ws), "--out", str(tmp_path / "out2")])
    assert res.exit_code == 0 and "not run: --no-run; run it with `tilth run RECIPE`" in res.output.replace("\n", " ")
    # --no-run --yes: accepted by a flag and never run, so not kept as a skill a later request would reuse
    res = CliRunner().invoke(app, ["agent", "remove exact duplicates", "--data", str(data), "--no-embed", "--no-run",
                                   "--yes", "-w", str(ws), "--out", str(tmp_path / "out3")])
    assert res.exit_code == 0 and "not run: --no-run" in res.output.replace("\n", " ")
    assert "saved as a skill" not in res.output and (tmp_path / "out3" / "recipe.yaml").exists()
    assert not (ws / "agent" / "skills").exists() or not list((ws / "agent" / "skills").glob("*.yaml"))


@pytest.fixture
def math20(tmp_path, monkeypatch):
    """(20 math problems, a workspace path), with no LLM endpoint configured."""
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "math.jsonl"
    make_math_qa(data, n=20)
    return data, tmp_path / "ws"


def test_with_yes_a_plan_that_left_part_of_the_request_undone_runs_but_is_not_kept_as_a_skill(tmp_path, math20):
    """Two newcomer trials found wrong, partial plans accepted by --yes saved as skills that later requests retrieve;
    a third found them run at all (a sample of one group exported as the whole answer): --yes alone runs nothing
    then, --partial runs the steps that were planned."""
    data, ws = math20
    request = "remove exact duplicates and post the result to our Slack channel"
    res = CliRunner().invoke(app, ["agent", request, "--data", str(data), "--no-embed", "--yes", "-w", str(ws),
                                   "--out", str(tmp_path / "o0")])
    assert res.exit_code == 1
    assert "part of the request was not understood ('post the result to our Slack channel')" in \
        " ".join(res.output.split())
    assert not (tmp_path / "o0" / "dataset.jsonl").exists()
    res = CliRunner().invoke(app, ["agent", request, "--data", str(data), "--no-embed", "--yes", "--partial",
                                   "-w", str(ws), "--out", str(tmp_path / "o1")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o1" / "dataset.jsonl").exists()
    assert "not saved as a skill: part of the request was not done" in res.output.replace("\n", " ")
    assert not (ws / "agent" / "skills").exists() or not list((ws / "agent" / "skills").glob("*.yaml"))
    res = CliRunner().invoke(app, ["agent", "remove exact duplicates", "--data", str(data), "--no-embed", "--yes",
                                   "-w", str(ws), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0 and "also saved as a skill" in res.output.replace("\n", " ")
    assert len(list((ws / "agent" / "skills").glob("*.yaml"))) == 1


def test_an_empty_request_is_one_clear_error(tmp_path):
    data = tmp_path / "math.jsonl"
    make_math_qa(data, n=5)
    res = CliRunner().invoke(app, ["agent", "   ", "--data", str(data), "--no-embed", "-w", str(tmp_path / "ws")])
    assert res.exit_code == 2 and "the request is empty" in res.output


def test_with_yes_a_requested_step_that_cannot_run_stops_the_run(tmp_path, math20):
    """The math file has no html column: validation removes html_extract, and --yes must not run the rest."""
    data, ws = math20
    res = CliRunner().invoke(app, ["agent", "extract the main text from the html column, then drop exact duplicates",
                                   "--data", str(data), "--yes", "--no-embed", "-w", str(ws), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "cannot run on this data" in res.output and "html_extract" in res.output
    assert not (ws / "agent" / "skills").exists() or not list((ws / "agent" / "skills").glob("*.yaml"))
    assert not (tmp_path / "out" / "dataset.jsonl").exists()


def test_a_missing_data_path_fails_before_anything_loads(tmp_path, monkeypatch):
    import tilth.agent.build

    def never(*a, **k):
        raise AssertionError("the planner (and its models) must not load for a path that does not exist")

    monkeypatch.setattr(tilth.agent.build, "build_agent", never)
    res = CliRunner().invoke(app, ["agent", "remove exact duplicates", "--data", str(tmp_path / "nope.jsonl"),
                                   "--yes", "-w", str(tmp_path / "ws")])
    assert res.exit_code == 2 and "does not exist" in res.output


LANG_ROWS = {"en": "The committee will publish its annual report on the state of the rivers next week.",
             "de": "Der Ausschuss wird nächste Woche seinen Jahresbericht über den Zustand der Flüsse veröffentlichen.",
             "fr": "Le comité publiera la semaine prochaine son rapport annuel sur l'état des rivières."}


def test_an_analysis_is_answered_over_every_row_and_the_plan_is_shown_before_the_run(tmp_path, monkeypatch):
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "news.jsonl"
    langs = ["en"] * 5 + ["de"] * 3 + ["fr"] * 2
    data.write_text("".join(json.dumps({"text": f"{LANG_ROWS[lg]} ({i})"}) + "\n" for i, lg in enumerate(langs)))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["agent", "keep only English and tell me the language distribution", "--data",
                                   str(data), "--yes", "--no-embed", "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text())
    lang = next(d for d in rep["added_columns"] if d["column"] == "lang")
    # every language the step saw, with how many of each it kept: not just the English rows that survived
    assert lang["rows"] == 10 and lang["kept"] == 5
    assert lang["values"] == [{"value": "en", "rows": 5, "kept": 5}, {"value": "de", "rows": 3, "kept": 0},
                              {"value": "fr", "rows": 2, "kept": 0}]
    assert "en 5 (50%, 5 kept), de 3 (30%, 0 kept), fr 2 (20%, 0 kept)" in (out / "report.md").read_text()
    assert "lang (01_lang_id, 10 rows, 5 kept): en 5" in res.output
    assert res.output.index("validated") < res.output.index("recipe:")  # the plan comes before the run
    assert res.output.count("plan '") == 1


def test_quarantined_records_are_counted_where_the_user_looks(tmp_path, monkeypatch):
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "mixed.jsonl"
    data.write_text('{"text": "great kettle", "rating": 5}\n{"text": "broke", "rating": {"stars": 4}}\n{"text": "ok"}\n{"text": "ok"}\n'
                    '{"text": \n')
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["agent", "remove exact duplicates", "--data", str(data), "--yes", "--no-embed",
                                   "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text())
    assert rep["quarantined"] == 2 and rep["run"]["steps"][0]["quarantined"] == 2
    assert "2 input records were quarantined (not in the dataset): tilth sql -w" in res.output
    assert "| 00_read_jsonl | 5 | 3 | 0 | 0 | 2 |" in (out / "report.md").read_text()


def test_a_plan_that_drops_every_sample_row_does_not_run_unattended(tmp_path, monkeypatch):
    """Newcomer trial 6: "keep the posts with more than 25 replies" read the wrong way round, or a bound on a
    column no row reaches, passed with a warning and `--yes` ran it, exporting nothing. Unattended, such a
    plan is not run; one that keeps under a tenth of the sample is shown with a warning and runs."""
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps({"post": f"Board {i} works after a reboot, thanks all.", "n_replies": i}) + "\n"
                            for i in range(40)))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["agent", "keep posts with more than 500 replies", "--data", str(data), "--yes",
                                   "--no-embed", "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 1, res.output
    flat = " ".join(res.output.split())
    assert "drops all 20 sample rows" in flat and "drops every sample row" in flat and "nothing was run" in flat
    assert not (out / "dataset.jsonl").exists()
    # --no-run writes the recipe (as the refusal says), since nothing runs
    res = CliRunner().invoke(app, ["agent", "keep posts with more than 500 replies", "--data", str(data), "--yes",
                                   "--no-run", "--no-embed", "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "recipe.yaml").exists() and not (out / "dataset.jsonl").exists()
    # the sample is spread over the file (rows 0, 2, 4, ..., 37, 39 of these 40), not its first 20
    res = CliRunner().invoke(app, ["agent", "keep posts with more than 37 replies", "--data", str(data), "--yes",
                                   "--no-embed", "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "keeps 1 of 20 sample rows" in " ".join(res.output.split())
    assert [json.loads(line)["n_replies"] for line in open(out / "dataset.jsonl")] == [38, 39]


def test_a_file_sorted_by_date_is_sampled_across_its_dates(tmp_path, monkeypatch):
    """Trial 16: the 60 logbook entries were sorted by week, the first 20 all from 2024, so "from January 2025
    onwards" dropped every sample row and --yes refused a right plan. The sample spans the file."""
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "log.jsonl"
    weeks = [f"2024-{9 + i // 10:02d}-{1 + i % 10:02d}" for i in range(30)] + [f"2025-01-{1 + i:02d}" for i in range(10)]
    data.write_text("".join(json.dumps({"entry": f"Fitted the consumer unit on site {i} with the supervisor.",
                                        "week_start": w}) + "\n" for i, w in enumerate(weeks)))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["agent", "keep entries from January 2025 onwards", "--data", str(data), "--yes",
                                   "--no-embed", "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["week_start"] for line in open(out / "dataset.jsonl")] == weeks[30:]


def test_a_selective_filter_is_not_refused_for_a_small_sample(tmp_path, monkeypatch):
    """Trial 23: "meeting room bookings that cost more than €100" keeps 8 of 80 rows; none of the 20 sample rows,
    so --yes refused a right plan. A step that empties the sample is looked at again on a wider one (up to
    WIDE_SAMPLE_ROWS): it runs when that keeps rows, and is still refused when it keeps none."""
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps({"post": f"Board {i} works after a reboot, thanks all.", "n_replies": i % 97})
                            + "\n" for i in range(300)))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["agent", "keep posts with more than 95 replies", "--data", str(data), "--yes",
                                   "--no-embed", "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(json.loads(line)["n_replies"] for line in open(out / "dataset.jsonl")) == [96, 96, 96]
