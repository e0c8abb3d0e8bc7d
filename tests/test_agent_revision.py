"""Human review: feedback in words revises the plan but keeps its structure; accepted plans are saved and reused."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_fixtures import PAPER, agent_env

from tilth.agent.offline import OfflinePlanner
from tilth.agent.review import Decision, scripted
from tilth.agent.skills import Catalogue
from tilth.agent.validation import check_plan
from tilth.agent.workflow import Agent
from tilth.pipeline.recipe import Recipe

env = pytest.fixture(scope="module")(agent_env)


def test_less_aggressive_augmentation_on_easy_samples_keeps_structure(env):
    _, planner, data = env
    plan = planner.plan(PAPER, data)
    check_plan(plan)
    before = plan.steps[3].params["where_min"]
    revised = planner.revise(plan, "less aggressive augmentation on easy samples", data)
    assert revised.ops() == plan.ops()
    for old, new in zip(plan.steps, revised.steps, strict=True):
        if new.op != "t_augment":
            assert new.params == old.params
    aug = revised.steps[3]
    assert aug.calibrate["quantile"] == 0.9
    assert aug.params["n_copies"] == 1  # halved from the default 2
    assert check_plan(revised).ok
    assert aug.params["where_min"] >= before
    assert "n_copies: 2 -> 1" in revised.notes[-1]


def test_feedback_removes_adds_and_sets(env):
    _, planner, data = env
    plan = planner.plan("Remove duplicates and report statistics.", data)
    assert plan.ops() == ["exact_dedup", "t_stats"]
    p2 = planner.revise(plan, "skip the statistics", data)
    assert p2.ops() == ["exact_dedup"]
    p3 = planner.revise(p2, "also drop samples shorter than 4 words", data)
    assert p3.ops() == ["length_filter", "exact_dedup"]
    assert p3.steps[0].params == {"min": 4, "unit": "words"}
    p4 = planner.revise(p3, "set min to 6", data)
    assert p4.steps[0].params["min"] == 6 and p4.ops() == p3.ops()


def test_stricter_filter_moves_its_threshold(env):
    _, planner, data = env
    plan = planner.plan("Keep problems with at least 10 words.", data)
    gentler = planner.revise(plan, "less aggressive length filter", data)
    stricter = planner.revise(plan, "stricter length filter", data)
    assert (gentler.steps[0].params["min"], stricter.steps[0].params["min"]) == (8, 12)


def test_workflow_review_loop_saves_a_reloadable_recipe_and_skill(env, tmp_path):
    names, planner, data = env
    reviewer = scripted([Decision("feedback", "skip the statistics")])
    agent = Agent(planner.cat, planner, reviewer, workspace=tmp_path / "ws", out_dir=tmp_path / "out")
    state = agent("Remove duplicates and report statistics.", data.path)
    assert state["decision"].action == "accept"
    assert state["plan"].ops() == ["exact_dedup"]
    saved = Recipe.from_yaml(tmp_path / "out" / "recipe.yaml")
    assert [(s.op, s.params) for s in saved.steps] == [("exact_dedup", {})]
    assert saved.input == {"path": str(Path(data.path).resolve()), "text": "question"}
    assert saved.description == "Remove duplicates and report statistics."
    # the run happened: the export exists and the report counts the same rows
    rep = state["report"]
    n = sum(1 for _ in open(tmp_path / "out" / "dataset.jsonl"))
    assert rep["stats"]["rows"] == n == rep["run"]["steps"][-1]["rows_out"]
    # registered as a skill: a new catalogue over the workspace lists it, and the same request reuses it
    cat = Catalogue(tmp_path / "ws", use_embeddings=False, only=names)
    skill = cat.by_name[state["plan"].name]
    assert skill.kind == "pipeline" and skill.meta["steps"] == [{"op": "exact_dedup", "params": {}}]
    again = OfflinePlanner(cat).plan("Remove duplicates and report statistics.", data)
    assert again.ops() == ["exact_dedup"] and any("reused saved pipeline" in n for n in again.notes)


def test_edit_decision_replaces_the_plan_and_keeps_unchanged_reasons(env, tmp_path):
    _, planner, data = env
    first = planner.plan("Remove duplicates and report statistics.", data)
    yaml_text = first.to_recipe().to_yaml().replace("- t_stats: {}", "- length_filter: {min: 3}")
    reviewer = scripted([Decision("edit", yaml_text)])
    agent = Agent(planner.cat, planner, reviewer, workspace=tmp_path / "ws", out_dir=tmp_path / "out", execute=False)
    state = agent("Remove duplicates and report statistics.", data)
    plan = state["plan"]
    assert [(s.op, s.params) for s in plan.steps] == [("exact_dedup", {}), ("length_filter", {"min": 3})]
    assert plan.steps[0].why == first.steps[0].why and plan.steps[1].why == "edited by the reviewer"
    assert "result" not in state and (tmp_path / "out" / "recipe.yaml").exists()


def test_plan_that_fails_validation_cannot_be_accepted(env, tmp_path):
    _, planner, data = env
    agent = Agent(planner.cat, planner, workspace=tmp_path / "ws", out_dir=tmp_path / "out", max_repairs=0)
    state = agent("please run t_broken", data)
    assert state["decision"].action == "reject"
    assert not (tmp_path / "out" / "recipe.yaml").exists()
    assert state["report"]["validation"]["problems"][0].startswith("[step 1: t_broken]")
