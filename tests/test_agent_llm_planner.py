"""LLM planner against a scripted local fake model: structured output, repair on validation errors, fallback.

This exercises the repair loop only; it says nothing about how well a real model plans.
"""

from __future__ import annotations

import json

import pytest
from agent_fixtures import registered_test_ops

from tilth.agent.eval.mathqa import make_math_qa
from tilth.agent.llm_planner import LLMPlanner
from tilth.agent.peek import peek
from tilth.agent.skills import Catalogue


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "math.jsonl"
    make_math_qa(path, n=30, duplicates=3, junk=2)
    with registered_test_ops() as names:
        yield Catalogue(use_embeddings=False, only=names), peek(str(path))


class FakeModel:
    def __init__(self, replies):
        self.replies = list(replies)
        self.seen: list[list[dict]] = []

    def __call__(self, messages):
        self.seen.append(messages)
        return self.replies.pop(0)


def test_broken_plan_is_repaired_from_the_named_problems(env):
    cat, data = env
    bad = json.dumps({"steps": [{"op": "exact_dedup", "params": {}}, {"op": "lenght_filter", "params": {"min": 3}}]})
    good = "Sure:\n```json\n" + json.dumps({"steps": [{"op": "exact_dedup", "params": {}, "why": "dups"},
                                                       {"op": "length_filter", "params": {"min": 3}, "why": "short"}]}) + "\n```"
    model = FakeModel([bad, good])
    plan = LLMPlanner(cat, model, dry_run=False).plan("Remove duplicates and very short problems.", data)
    assert plan.planner == "llm" and plan.ops() == ["exact_dedup", "length_filter"]
    assert plan.steps[1].params == {"min": 3}
    repair_msg = model.seen[1][-1]["content"]
    assert "[step 2: lenght_filter]" in repair_msg and "length_filter" in repair_msg
    # the prompt carried only retrieved skill cards plus the data peek
    prompt = model.seen[0][1]["content"]
    assert "exact_dedup" in prompt and "text field 'question'" in prompt and "read_jsonl" not in prompt
    assert "planned by the LLM in 2 attempt(s)" in plan.notes


def test_model_that_never_gets_it_right_falls_back_to_offline(env):
    cat, data = env
    model = FakeModel(["I think you should dedup.", json.dumps({"steps": [{"op": "nope"}]}), "{}"])
    planner = LLMPlanner(cat, model, max_repairs=2, dry_run=False)
    plan = planner.plan("Remove duplicates.", data)
    assert len(model.seen) == 3
    assert plan.planner == "offline" and plan.ops() == ["exact_dedup"]
    assert "used the offline planner" in plan.notes[-1]
    assert [a["problems"][0].split("]")[0] for a in planner.attempts] == ["[reply", "[step 1: nope", "[reply"]


def test_llm_revision_keeps_other_steps(env):
    cat, data = env
    first = json.dumps({"steps": [{"op": "exact_dedup"}, {"op": "t_stats"}]})
    revised = json.dumps({"steps": [{"op": "exact_dedup"}]})
    model = FakeModel([first, revised])
    planner = LLMPlanner(cat, model, dry_run=False)
    plan = planner.plan("Remove duplicates and report statistics.", data)
    p2 = planner.revise(plan, "no statistics please", data)
    assert p2.ops() == ["exact_dedup"]
    assert "Reviewer feedback: no statistics please" in model.seen[1][1]["content"]
