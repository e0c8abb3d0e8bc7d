"""Plan validation: broken plans are caught with the offending step named; calibration and dry run on the sample."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from agent_fixtures import TQuality, agent_env

from tilth.agent.peek import spread
from tilth.agent.plan import Plan, PlanStep
from tilth.agent.validation import check_plan, run_sample

env = pytest.fixture(scope="module")(agent_env)


def _plan(data, *steps) -> Plan:
    return Plan(request="test", name="t", input=data.input_spec(), steps=[PlanStep(op=o, params=p) for o, p in steps])


def test_unknown_operator_is_named_with_a_suggestion(env):
    _, _, data = env
    v = check_plan(_plan(data, ("exact_dedup", {}), ("lenght_filter", {"min": 3})), dry_run=False)
    assert [(p.step, p.where) for p in v.problems] == [(2, "step 2: lenght_filter")]
    assert "length_filter" in v.problems[0].fix


def test_bad_parameter_is_named(env):
    _, _, data = env
    v = check_plan(_plan(data, ("length_filter", {"min": 10, "max": 5}), ("exact_dedup", {"normalise": "fuzzy"})), dry_run=False)
    assert sorted({(p.step, p.where) for p in v.problems}) == [(1, "step 1: length_filter"), (2, "step 2: exact_dedup")]
    assert any("max (5) must be >= min (10)" in p.message for p in v.problems)


def test_column_parameter_must_exist_upstream(env):
    _, _, data = env
    # t_difficulty comes *after* the augmentation that needs its column: connectivity error at step 1
    v = check_plan(_plan(data, ("t_augment", {"where_column": "t_difficulty", "where_min": 1.0}), ("t_difficulty", {})),
                   dry_run=False)
    assert [(p.step, p.where) for p in v.problems] == [(1, "step 1: t_augment")]
    assert "'t_difficulty'" in v.problems[0].message
    ok = check_plan(_plan(data, ("t_difficulty", {}), ("t_augment", {"where_column": "t_difficulty", "where_min": 1.0})),
                    dry_run=False)
    assert ok.ok


def test_a_column_the_step_writes_need_not_exist_before_it(env):
    """Session 23: "rewrite ..., keep the original too" planned output_field=text_rewritten, and validation removed
    the step because no such column existed yet (a step's own output is not an input)."""
    _, _, data = env
    for op, params in (("llm_rewrite", {"task": "tone", "output_field": "text_rewritten"}),
                       ("llm_translate", {"output_field": "text_english"})):
        assert check_plan(_plan(data, (op, params)), dry_run=False).ok, op
    # (a missing column it reads is still a problem)
    v = check_plan(_plan(data, ("llm_rewrite", {"text_field": "body", "output_field": "body_rewritten"})), dry_run=False)
    assert [p.message for p in v.problems] == ["reads column 'body', which nothing upstream produces"]


def test_text_column_missing_is_caught(env):
    _, _, data = env
    v = check_plan(_plan(data, ("exact_dedup", {"text_field": "prompt"})), dry_run=False)
    assert [p.where for p in v.problems] == ["step 1: exact_dedup"]


def test_dry_run_failure_names_the_failing_step(env):
    _, _, data = env
    v = check_plan(_plan(data, ("exact_dedup", {}), ("t_broken", {}), ("t_stats", {})))
    assert [(p.step, p.where) for p in v.problems] == [(2, "step 2: t_broken")]
    assert "dry run on 20 sample rows failed" in v.problems[0].message
    assert "t_broken cannot handle real rows" in v.problems[0].message


def test_dry_run_counts_rows_per_step_on_the_sample(env, tmp_path):
    _, _, data = env
    rows = [json.loads(line) for line in open(data.path)]
    picked = spread(pa.table({"i": list(range(len(rows)))}), 20).column("i").to_pylist()  # (the dry run's rows)
    n_dup = 20 - len({rows[i]["question"].strip() for i in picked})
    v = check_plan(_plan(data, ("exact_dedup", {})))
    assert v.ok and v.dry_run
    assert v.sample_rows == [20, 20 - n_dup]


def test_where_min_is_calibrated_to_the_sample_quantile(env):
    _, planner, data = env
    plan = planner.plan("Augment difficult problems.", data)
    assert plan.ops() == ["t_difficulty", "t_augment"]
    v = check_plan(plan)
    assert v.ok, v.problems
    _, rows = run_sample(plan, steps=1)
    values = sorted(r["t_difficulty"] for r in rows)
    assert plan.steps[1].params["where_min"] == values[int(0.75 * len(values))]
    # the dry run augmented exactly the rows at or above that value, n_copies each
    n_hard = sum(v_ >= plan.steps[1].params["where_min"] for v_ in values)
    assert v.sample_rows == [20, 20, 20 + 2 * n_hard]


def test_filter_thresholds_are_fitted_when_defaults_drop_most_of_the_sample(env):
    _, planner, data = env
    plan = planner.plan("Remove low-quality samples.", data)
    assert plan.ops() == ["t_quality"]
    v = check_plan(plan)
    assert v.ok
    table = pa.Table.from_pylist([{"_id": i, "text": r["question"]} for i, r in enumerate(data.rows)])
    alpha = TQuality().score(table)["t_alpha"]
    assert (alpha >= 0.9).mean() < 0.7  # the default would drop more than 30%: fitting is needed
    assert plan.steps[0].params["min_alpha"] == round(float(np.quantile(alpha, 0.1)), 4)
    assert "fitted to the sample's 10% quantile" in plan.steps[0].why


def test_a_dry_run_with_a_language_model_step_is_short():
    """Found in a newcomer trial: `tilth agent ... --no-run` spent 14 minutes dry-running an LLM step on 20 rows."""
    from tilth.agent.plan import Plan, PlanStep
    from tilth.agent.validation import LLM_SAMPLE_ROWS, LLM_SAMPLE_TOKENS, SAMPLE_ROWS, _sample_recipe

    plan = Plan(request="r", name="r", input={"path": "x.jsonl"}, steps=[PlanStep(op="exact_dedup", params={})])
    assert _sample_recipe(plan).input["limit"] == SAMPLE_ROWS
    plan.steps.append(PlanStep(op="llm_rewrite", params={"max_tokens": 400}))
    recipe = _sample_recipe(plan)
    assert recipe.input["limit"] == LLM_SAMPLE_ROWS
    assert recipe.steps[1].params["max_tokens"] == LLM_SAMPLE_TOKENS and plan.steps[1].params["max_tokens"] == 400


def test_the_sample_is_spread_over_the_rows_the_recipe_reads(tmp_path):
    """The dry run's 20 rows are spread over a table's first 2,000 rows, but never past the recipe's own `limit`
    ("the first 30 rows")."""
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps({"text": f"post number {i} about the boards", "n": i}) + "\n" for i in range(100)))
    plan = Plan(request="t", name="t", input={"path": str(path)}, steps=[PlanStep(op="value_filter",
                                                                                  params={"column": "n", "min": 30})])
    _, rows = run_sample(plan)
    assert [r["n"] for r in rows][:3] == [31, 36, 42] and rows[-1]["n"] == 99  # (0, 5, 10, ..., 99: 14 of 20 kept)
    limited = Plan(request="t", name="t", input={"path": str(path), "limit": 30}, steps=plan.steps)
    assert run_sample(limited)[1] == []  # (rows 0 to 29 only)


def test_steps_that_together_keep_no_sample_row_are_said():
    """Trial 26: "applicants under 21 are out, and so is anyone budgeting under $100" kept exactly those rows (20
    sample rows -> 3 -> 0); no single step went from five or more to none, so nothing warned and --yes exported
    an empty file."""
    from tilth.agent.validation import emptied_sample

    plan = Plan(request="r", name="r", input={"path": "x.jsonl"},
                steps=[PlanStep(op="value_filter", params={"column": "age", "max": 20}),
                       PlanStep(op="value_filter", params={"column": "budget", "max": 100})])
    assert emptied_sample(plan, [20, 3, 0]) == [
        "the plan keeps none of the 20 sample rows (step 2, value_filter, drops the last 3): the run would export "
        "nothing. Check the steps' parameters."]
    assert emptied_sample(plan, [20, 3, 1]) == [] and emptied_sample(plan, [4, 1, 0]) == []
