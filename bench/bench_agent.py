"""Data Agent benchmark: the offline planner on the committed evaluation requests.

Reports operator precision/recall against each request's expected slots and the share of plans that
pass validation including the 20-row dry run (goal: recall >= 0.9, 100% valid). Run by `./tilth.sh bench`.
"""

from __future__ import annotations

import json

import pytest

from tilth.agent.eval.run import evaluate


@pytest.mark.bench
def test_offline_planner_on_the_evaluation_set(tmp_path):
    res = evaluate(use_embeddings=True, dry_run=True, workdir=tmp_path)
    for r in res["rows"]:
        print(f"{r['id']:<22} valid={r['valid']!s:<5} slots {r['hit']}/{r['slots']} "
              f"correct {r['correct']}/{r['chosen']} {r['seconds']:>6.1f}s  {r['ops']}")
    summary = {k: v for k, v in res.items() if k != "rows"}
    print(json.dumps(summary, indent=2))
    (tmp_path / "agent_eval.json").write_text(json.dumps(res, indent=2))
    assert res["requests"] >= 30
    assert res["validation_pass_rate"] == 1.0
    assert res["recall"] >= 0.9
