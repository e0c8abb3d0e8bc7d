"""llm_quality_filter with `scoring: logprobs` against a scripted OpenAI-compatible endpoint: the expected
grade from the grade tokens' log-probabilities, a clear error without log-probs, and a stop on a judge
whose expected grade is the same for every row."""

from __future__ import annotations

import json
import math

import pytest
from classifier_fixtures import boilerplate, educational
from llm_fixtures import FaultServer

from tilth.llm.label_logprobs import expected_grade
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace


def _top(probs: dict[str, float]) -> list:
    top = [{"token": t, "logprob": math.log(p)} for t, p in probs.items()]
    return [{**top[0], "top_logprobs": top}]


def _user(body) -> str:
    return [m for m in body["messages"] if m["role"] == "user"][-1]["content"]


BOILER = boilerplate(30)


def judge(body):
    """The boilerplate rows (licence text, codec tables) lean to 1-2, the others to 4-5; stray non-digits."""
    text = _user(body)
    bad = any(b in text for b in BOILER)
    return _top({"2": 0.5, "1": 0.3, "A": 0.1, "3": 0.1} if bad else {"4": 0.6, "5": 0.3, "3": 0.05, "R": 0.05})


def test_expected_grade_renormalises_over_the_grades():
    v, dist = expected_grade(_top({"4": 0.6, "5": 0.3, "R": 0.1}), 1, 5)
    assert dist == pytest.approx({4: 2 / 3, 5: 1 / 3}) and v == pytest.approx(4 + 1 / 3)
    assert expected_grade(_top({"A": 0.9}), 1, 5) == (None, {})
    assert expected_grade(None, 1, 5) == (None, {})


def _recipe(tmp_path, name, step):
    docs = educational(30) + BOILER
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in docs))
    return Recipe.model_validate({"name": name, "input": {"path": str(path), "text": "text"}, "workers": 1,
                                  "steps": [{"llm_quality_filter": step}], "output": {"report": False}})


def test_logprob_scores_are_continuous_and_filter(tmp_path, monkeypatch):
    with FaultServer(reply=lambda body, attempt: "4", logprobs=judge) as srv:
        monkeypatch.setenv("TILTH_LLM_URL", srv.url)
        monkeypatch.setenv("TILTH_LLM_MODEL", "fake")
        run_recipe(_recipe(tmp_path, "lp", {"scoring": "logprobs", "min_score": 3}), tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    kept = ws.sql("SELECT llm_quality, llm_quality_rationale FROM lp").to_pylist()
    dropped = ws.sql("SELECT reason, scores FROM lineage WHERE run = 'lp' AND action = 'drop'").to_pylist()
    assert len(kept) == 30 and len(dropped) == 30
    assert {round(r["llm_quality"], 4) for r in kept} == {round((4 * .6 + 5 * .3 + 3 * .05) / .95, 4)}
    assert kept[0]["llm_quality_rationale"] == "P(grade): 3=0.05, 4=0.63, 5=0.32"
    assert {d["reason"] for d in dropped} == {"llm_quality < min_score=3"}
    assert {round(json.loads(d["scores"])["llm_quality"], 4) for d in dropped} == {round((2 * .5 + .3 + .3) / .9, 4)}


def test_no_logprobs_and_a_constant_judge_are_refused(tmp_path, monkeypatch):
    with FaultServer(reply=lambda body, attempt: "3") as srv:
        monkeypatch.setenv("TILTH_LLM_URL", srv.url)
        monkeypatch.setenv("TILTH_LLM_MODEL", "fake")
        with pytest.raises(Exception, match="returned no log-probabilities"):
            run_recipe(_recipe(tmp_path, "none", {"scoring": "logprobs"}), tmp_path / "ws1", progress=False)
    same = _top({"3": 0.5, "2": 0.25, "4": 0.25})
    with FaultServer(reply=lambda body, attempt: "3", logprobs=lambda body: same) as srv:
        monkeypatch.setenv("TILTH_LLM_URL", srv.url)
        monkeypatch.setenv("TILTH_LLM_MODEL", "fake")
        with pytest.raises(Exception, match="every scored row got the same score"):
            run_recipe(_recipe(tmp_path, "const", {"scoring": "logprobs", "min_score": 1}), tmp_path / "ws2",
                       progress=False)
