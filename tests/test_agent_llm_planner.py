"""LLM planner against a scripted local fake model: one schema-constrained choice per action, typed
parameters checked by the operator, and the offline planner taking over when the endpoint fails.

This exercises the protocol only; it says nothing about how well a real model plans (see the bench).
"""

from __future__ import annotations

import json
import socket
import time

import pytest
from agent_fixtures import registered_test_ops

from tilth.agent.eval.mathqa import make_math_qa
from tilth.agent.llm import endpoint_chat
from tilth.agent.llm_planner import LLMPlanner, choice_schema
from tilth.agent.peek import peek
from tilth.agent.skills import Catalogue
from tilth.llm.endpoint import Endpoint


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "math.jsonl"
    make_math_qa(path, n=30, duplicates=3, junk=2)
    with registered_test_ops() as names:
        yield Catalogue(use_embeddings=False, only=names), peek(str(path))


class FakeModel:
    """Answers each request with the next scripted reply; records the messages and schemas it was sent."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.seen: list[tuple[list[dict], dict | None]] = []

    def __call__(self, messages, json_schema=None):
        self.seen.append((messages, json_schema))
        return self.replies.pop(0)


def test_the_model_chooses_per_action_among_retrieved_candidates(env):
    cat, data = env
    model = FakeModel([json.dumps({"op": "exact_dedup"}), json.dumps({"op": "length_filter", "params": {"min": 7}})])
    planner = LLMPlanner(cat, model)
    plan = planner.plan("Remove duplicates, then drop problems shorter than 5 words.", data)
    # the words say 5 words: the offline reading of the words wins over the model's number; in the order said
    assert [(s.op, s.params) for s in plan.steps] == [("exact_dedup", {}),
                                                    ("length_filter", {"min": 5, "unit": "words"})]
    assert plan.planner == "llm" and planner.parse_rate() == (2, 2)
    messages, schema = model.seen[0]
    assert "Part to do now: Remove duplicates" in messages[1]["content"]
    allowed = {o["properties"]["op"]["const"] for o in schema["anyOf"]}
    assert "exact_dedup" in allowed and "none" in allowed and len(allowed) == 6  # top-5 candidates + none


def test_the_models_parameters_are_checked_by_the_operator(env):
    cat, data = env
    model = FakeModel([json.dumps({"op": "length_filter", "params": {"max": 30, "unit": "furlongs"}})])
    plan = LLMPlanner(cat, model).plan("Filter the problems by length.", data)
    assert [(s.op, s.params) for s in plan.steps] == [("length_filter", {"max": 30})]  # bad unit dropped


def test_none_means_not_understood(env):
    cat, data = env
    plan = LLMPlanner(cat, FakeModel([json.dumps({"op": "none"})])).plan("Remove duplicates.", data)
    assert plan.steps == [] and plan.unmatched == ["Remove duplicates"]


def test_choice_schema_is_typed_per_operator(env):
    cat, _ = env
    schema = choice_schema([cat.by_name["length_filter"]])
    props = schema["anyOf"][0]["properties"]["params"]["properties"]
    assert props["min"] == {"type": "integer"} and props["unit"] == {"enum": ["words", "chars"]}
    assert schema["anyOf"][1] == {"type": "object", "properties": {"op": {"const": "none"}}, "required": ["op"],
                                  "additionalProperties": False}


def test_a_dead_endpoint_falls_back_to_offline_in_seconds(env):
    cat, data = env
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chat = endpoint_chat(Endpoint(url=f"http://127.0.0.1:{port}/v1", model="m"), timeout=2.0)
    t0 = time.monotonic()
    planner = LLMPlanner(cat, chat)
    plan = planner.plan("Remove duplicates and report statistics.", data)
    assert time.monotonic() - t0 < 20
    assert plan.ops() == ["exact_dedup", "t_stats"]  # the offline planner's choice
    assert plan.planner == "offline (LLM failed)"
    assert sum("fell back to the offline planner" in n for n in plan.notes) == 1


def test_strings_are_bounded_and_columns_are_the_datas(env):
    cat, _ = env
    schema = choice_schema([cat.by_name["exact_dedup"]], columns=["text", "solution"])
    props = schema["anyOf"][0]["properties"]["params"]["properties"]
    assert props["text_field"] == {"enum": ["text", "solution"]}  # a small model cannot loop inside a name
    t_quality = choice_schema([cat.by_name["t_augment"]])["anyOf"][0]["properties"]["params"]["properties"]
    assert t_quality["text_field"] == {"type": "string", "maxLength": 40}
