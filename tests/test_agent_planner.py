"""Offline planner: intents -> operators chosen from metadata, parameters from the data and the request."""

from __future__ import annotations

import pytest
from agent_fixtures import PAPER, agent_env

from tilth.agent.offline import OfflinePlanner
from tilth.agent.skills import Catalogue

env = pytest.fixture(scope="module")(agent_env)


def test_peek_finds_the_question_and_solution_fields(env):
    _, _, data = env
    assert data.columns == ["question", "solution", "answer", "id"]
    assert (data.text_field, data.answer_field) == ("question", "solution")
    assert data.input_spec()["text"] == "question"
    assert data.pipeline_columns == ["_id", "text", "solution", "answer", "id"]
    assert len(data.rows) == 20


def test_paper_request_gives_quality_dedup_difficulty_augment_stats_in_stage_order(env):
    _, planner, data = env
    plan = planner.plan(PAPER, data)
    assert plan.ops() == ["t_quality", "exact_dedup", "t_difficulty", "t_augment", "t_stats"]
    aug = plan.steps[3]
    # augmentation is wired to the difficulty score and calibrated on the sample later
    assert aug.params["where_column"] == "t_difficulty"
    assert aug.calibrate == {"param": "where_min", "column": "t_difficulty", "quantile": 0.75}
    assert plan.steps[0].calibrate["fit_filter"] is True
    assert "t_difficulty" in plan.steps[2].expects and "t_alpha" in plan.steps[0].expects
    assert all(s.why for s in plan.steps)
    assert plan.input == {"path": data.path, "text": "question"}


def test_negated_intent_is_left_out(env):
    _, planner, data = env
    plan = planner.plan("Remove duplicate problems but don't filter by length.", data)
    assert plan.ops() == ["exact_dedup"]


def test_length_bounds_are_read_from_the_request(env):
    _, planner, data = env
    plan = planner.plan("Keep only problems with at least 5 words and at most 40 words.", data)
    assert [(s.op, s.params) for s in plan.steps] == [("length_filter", {"min": 5, "max": 40, "unit": "words"})]
    plan = planner.plan("Drop samples shorter than 30 characters.", data)
    assert plan.steps[0].params == {"min": 30, "unit": "chars"}


def test_operator_named_in_the_request_is_used(env):
    _, planner, data = env
    assert planner.plan("please run exact_dedup on this", data).ops() == ["exact_dedup"]


def test_unmatched_request_says_what_generation_would_need(env):
    _, planner, data = env
    plan = planner.plan("Translate everything into Klingon poetry.", data)
    assert plan.steps == []
    assert any("generate an operator" in n for n in plan.notes)


def test_an_action_no_skill_matches_is_shown_back(env):
    _, planner, data = env
    plan = planner.plan("Augment the problems and remove duplicates.", data)
    assert plan.ops() == ["exact_dedup", "t_augment"]
    no_aug = OfflinePlanner(Catalogue(use_embeddings=False, only={"exact_dedup"}))
    plan = no_aug.plan("Augment the problems and remove duplicates.", data)
    assert plan.ops() == ["exact_dedup"]
    assert plan.unmatched == ["Augment the problems"]
    assert any(n.startswith("I did not understand: 'Augment the problems'") for n in plan.notes)


def test_drop_phrasing_flips_the_bound(env):
    _, planner, data = env
    assert planner.plan("Remove problems longer than 200 characters.", data).steps[0].params == {"max": 200, "unit": "chars"}
    assert planner.plan("Keep problems longer than 3 words.", data).steps[0].params == {"min": 4, "unit": "words"}


def test_no_duplicates_asks_for_dedup_but_no_augmentation_skips_it(env):
    _, planner, data = env
    assert planner.plan("I want no duplicates and no augmentation.", data).ops() == ["exact_dedup"]
    assert planner.plan("Don't deduplicate; just report statistics.", data).ops() == ["t_stats"]


def test_language_model_is_not_a_language_request():
    from tilth.agent.intents import detect

    assert [i.name for i, _ in detect("Score fluency with a small language model.")] == ["perplexity"]
    assert [i.name for i, _ in detect("Keep only German text.")] == ["language"]


def test_peek_takes_a_path_object_as_well_as_a_string(tmp_path):
    from pathlib import Path

    from tilth.agent.peek import peek

    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "one"}\n{"text": "two"}\n')
    assert peek(Path(src)).rows == peek(str(src)).rows == [{"text": "one"}, {"text": "two"}]


def test_the_plan_table_names_the_columns_each_step_adds_and_removes():
    """The table listed the last six columns after each step, so a plan on nine columns looked as if it dropped
    the first three; it now says how many there are and which came or went."""
    import io

    from rich.console import Console

    from tilth.agent.plan import Plan, PlanStep
    from tilth.agent.review import plan_table

    plan = Plan(name="p", request="r", input={"path": "x.csv"}, steps=[
        PlanStep(op="length_filter", params={}, expects=["title", "text", "rating", "contact", "length_words"]),
        PlanStep(op="select_columns", params={}, expects=["title", "text", "rating", "length_words"]),
        PlanStep(op="normalize", params={}, expects=["title", "text", "rating", "length_words"])])
    out = io.StringIO()
    Console(file=out, width=300).print(plan_table(plan))
    text = out.getvalue()
    assert "5 columns: title, text, rating, contact, length_words" in text
    assert "4 columns (-contact)" in text and "4 columns, unchanged" in text
