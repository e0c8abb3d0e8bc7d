"""Data Agent benchmark: the planners on the evaluation cases, dev (tuned on) and test (held out).

Prints, per split: recall, precision, parameter accuracy, empty plans (and empty plans that passed
validation: must be 0), no-drop violations, unsupported requests reported, seconds per plan. Then the
schema-constrained LLM planner with the embedded SmolLM2-135M on the test split: the share of replies
that parse (goal: all) and its recall, as measured. Run: `./tilth.sh bench -k agent`. Results are also
written to agent_eval.json in the test's tmp dir.
"""

from __future__ import annotations

import json

import pytest

from tilth.agent.eval.run import LEGACY, SPLITS, evaluate, load_cases


def _show(name: str, res: dict) -> None:
    print(f"\n== {name}")
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, indent=2))


@pytest.mark.bench
def test_offline_planner_dev_and_test(tmp_path):
    out = {}
    for split in ("dev", "test"):
        out[split] = evaluate(load_cases(SPLITS[split]), use_embeddings=True, workdir=tmp_path / split)
        _show(f"offline planner, {split} split", out[split])
    out["legacy"] = evaluate(load_cases(*LEGACY), use_embeddings=True, workdir=tmp_path / "legacy")
    _show("offline planner, the first 47 requests (in-sample for the old keyword rules)", out["legacy"])
    (tmp_path / "agent_eval.json").write_text(json.dumps(out, indent=2))
    assert out["test"]["empty_plans_passed"] == 0 and out["dev"]["empty_plans_passed"] == 0


@pytest.mark.bench
def test_smollm2_constrained_planner_on_the_test_split(tmp_path):
    from tilth.agent.llm import endpoint_chat
    from tilth.agent.llm_planner import LLMPlanner
    from tilth.llm.server import EmbeddedServer

    planners = []

    def factory(cat):
        p = LLMPlanner(cat, chat, budget_s=120.0)
        planners.append(p)
        return p

    with EmbeddedServer(parallel=1) as server:
        chat = endpoint_chat(server.endpoint, max_tokens=128, timeout=60.0)
        res = evaluate(load_cases(SPLITS["test"]), use_embeddings=True, planner_factory=factory, workdir=tmp_path)
    parsed, asked = planners[0].parse_rate()
    fallbacks = sum("fell back" in " ".join(r["notes"]) for r in res["rows"])
    _show("SmolLM2-135M constrained planner, test split", res)
    print(f"replies parsed: {parsed}/{asked}; plans that fell back to offline: {fallbacks}")
    (tmp_path / "smollm2_eval.json").write_text(json.dumps({**res, "parsed": parsed, "asked": asked,
                                                         "attempts": planners[0].attempts}, indent=2))
    assert asked > 0 and parsed == asked
