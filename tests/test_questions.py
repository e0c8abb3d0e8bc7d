"""A recipe's questions: figures answered from the run's output ("the average fare per tier"), not steps."""

import json

import pytest
from typer.testing import CliRunner

from tilth.cli import app
from tilth.pipeline.recipe import Question, Recipe
from tilth.pipeline.runner import Runner
from tilth.report.answers import answer_lines

ROWS = [{"id": i, "tier": ("annual", "casual", None)[i % 3], "fare": float(2 * i), "text": f"ride number {i} was fine"}
        for i in range(9)]  # fares 0..16; annual 0, 6, 12; casual 2, 8, 14; no tier 4, 10, 16


@pytest.fixture
def rides(tmp_path):
    path = tmp_path / "rides.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_a_question_is_one_select():
    assert Question(ask="n", sql="WITH t AS (SELECT 1) SELECT * FROM t;").sql == "WITH t AS (SELECT 1) SELECT * FROM t"
    for bad in ("DROP TABLE runs", "SELECT 1; SELECT 2", "COPY (SELECT 1) TO 'x.csv'", "SELEC nothing",
                "DELETE FROM lineage", "ATTACH 'x.db'"):
        with pytest.raises(ValueError):
            Question(ask="bad", sql=bad)


def test_questions_are_answered_from_the_output_and_kept_in_the_report(rides, tmp_path):
    recipe = Recipe.model_validate({
        "name": "rides", "input": {"path": str(rides)},
        "steps": [{"value_filter": {"column": "fare", "min": 2}}],  # the 0.0 fare goes: the answers see 8 rows
        "questions": [
            {"ask": "rides and average fare per tier",
             "sql": "SELECT tier, count(*) AS rides, avg(fare) AS avg_fare FROM output GROUP BY tier ORDER BY tier"},
            {"ask": "median fare", "sql": "SELECT median(fare) FROM output"},
            {"ask": "a column that is not there", "sql": "SELECT nope FROM output"}]})
    assert Recipe.from_yaml(recipe.to_yaml()).questions == recipe.questions  # (the YAML keeps them)
    result = Runner(recipe, workspace=tmp_path / "ws").run()
    by, median, broken = result.answers
    assert by["columns"] == ["tier", "rides", "avg_fare"]
    assert by["rows"] == [["annual", 2, 9.0], ["casual", 3, 8.0], [None, 3, 10.0]]
    assert median["rows"] == [[9.0]] and not median["truncated"]
    assert broken["ask"] == "a column that is not there" and "nope" in broken["error"]  # said, the run is not failed
    stats = json.loads((result.report.parent / "stats.json").read_text())
    assert stats["answers"] == json.loads(json.dumps(result.answers))
    page = result.report.read_text()
    assert "<h2>Answers</h2>" in page and "rides and average fare per tier" in page
    assert answer_lines(result.answers)[:4] == ["answer: rides and average fare per tier", "  tier | rides | avg_fare",
                                                "  annual | 2 | 9", "  casual | 3 | 8"]
    assert "answer: median fare = 9" in answer_lines(result.answers)
    # the run's answers go into its report as they are; `tilth report RUN` answers the questions again itself
    from tilth.report.writer import write_report

    (result.report.parent / "stats.json").unlink()
    write_report(tmp_path / "ws", result.run)
    assert json.loads((result.report.parent / "stats.json").read_text())["answers"] == json.loads(json.dumps(result.answers))


def test_tilth_run_prints_the_answers_and_a_zero_step_recipe_may_only_ask(rides, tmp_path):
    (tmp_path / "r.yaml").write_text(
        f"name: count-only\ninput: {{path: {rides}}}\nsteps: []\n"
        "questions:\n  - {ask: rides without a tier, sql: \"SELECT count(*) FROM output WHERE tier IS NULL\"}\n")
    res = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "-w", str(tmp_path / "ws")])
    assert res.exit_code == 0, res.output
    assert "answer: rides without a tier = 3" in res.output


def test_the_agent_answers_an_average_after_the_run(rides, tmp_path):
    """Trial 24: "how many rides per member tier, and what's the average fare in each tier?" refused the
    average (no operator computes it) and exited 1; the figure is now a question of the recipe."""
    res = CliRunner().invoke(app, ["agent", "Don't change anything, I just need numbers: what's the average fare in "
                                   "each tier?", "--data", str(rides), "--no-embed", "--yes", "-w", str(tmp_path / "ws"),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "answer: what's the average fare in each tier" in res.output
    assert "annual | 6" in res.output and "casual | 8" in res.output and "(null) | 10" in res.output
    recipe = Recipe.from_yaml(tmp_path / "out" / "recipe.yaml")
    assert recipe.steps == [] and [q.sql for q in recipe.questions] == [
        "SELECT tier, avg(fare) FROM output GROUP BY tier ORDER BY tier"]
    assert "## Answers" in (tmp_path / "out" / "report.md").read_text()


def test_output_is_bound_without_touching_the_workspace(rides, tmp_path):
    """A dataset named `output` had made the question's temporary view recurse into itself; a question's own
    WITH clause goes on after the binding."""
    recipe = Recipe.model_validate({
        "name": "named-output", "input": {"path": str(rides)}, "output": {"dataset": "output"},
        "questions": [{"ask": "rows", "sql": "SELECT count(*) FROM output"},
                      {"ask": "dear rides", "sql": "WITH dear AS (SELECT * FROM output WHERE fare > 10) "
                                                   "SELECT count(*) AS n FROM dear"}]})
    result = Runner(recipe, workspace=tmp_path / "ws").run()
    assert [a["rows"] for a in result.answers] == [[[9]], [[3]]]
    again = Runner(recipe.model_copy(update={"name": "again", "output": recipe.output.model_copy(
        update={"dataset": "other"})}), workspace=tmp_path / "ws").run()
    assert again.answers[0]["rows"] == [[9]]
    from tilth.storage import Workspace

    assert Workspace(tmp_path / "ws", read_only=True).sql("SELECT count(*) AS n FROM output").to_pylist() == [{"n": 9}]


def test_the_web_ui_shows_a_plans_questions(rides):
    """The agent page lists each question under the steps (plan_view is what the page draws)."""
    from tilth.agent.peek import peek
    from tilth.agent.plan import Plan
    from tilth.ui.agent import plan_view

    plan = Plan(request="average fare per tier", name="fares", input=peek(str(rides)).input_spec(),
                questions=[{"ask": "average fare per tier", "sql": "SELECT tier, avg(fare) FROM output GROUP BY tier"}])
    assert plan_view(plan, None)["questions"] == plan.questions
    assert [q.sql for q in plan.to_recipe().questions] == ["SELECT tier, avg(fare) FROM output GROUP BY tier"]
