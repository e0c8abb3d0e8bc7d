"""Evaluate a planner on the evaluation cases: operators, parameters, constraints, honesty about gaps.

Cases (`cases_dev.jsonl` + `cases_dev_b.jsonl`, `cases_test.jsonl` + `cases_test_b.jsonl`; `--split=dev_b` /
`--split=test_b` for batch b alone; see README.md here) list expected *slots*, each a set of
acceptable operators. Per split we report:
- recall: available slots filled; precision: chosen operators that fill some slot;
- parameter accuracy: expected parameters (and reader settings) the plan set to the expected value;
- empty plans, and empty plans that passed validation (must be zero: an empty plan is never a success);
- no-drop violations: a filter or deduplicator in a plan whose request forbids dropping rows;
- unsupported reported: cases asking for something no operator does whose plan says so.
Tune on dev only; test is reported, not looked at.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from tilth.agent.eval.data import make_all
from tilth.agent.peek import peek
from tilth.agent.plan import Plan
from tilth.agent.skills import Catalogue
from tilth.ops import registry

HERE = Path(__file__).parent
# Each split is a list of case files. Batch b (`cases_*_b.jsonl`, see README.md) was written later by someone
# who had not seen the planner; `dev_b` / `test_b` score it alone.
SPLITS = {
    "dev": (HERE / "cases_dev.jsonl", HERE / "cases_dev_b.jsonl", HERE / "cases_dev_c.jsonl",
            HERE / "cases_dev_d.jsonl", HERE / "cases_dev_e.jsonl", HERE / "cases_dev_f.jsonl", HERE / "cases_dev_g.jsonl"),
    "test": (HERE / "cases_test.jsonl", HERE / "cases_test_b.jsonl", HERE / "cases_test_c.jsonl",
             HERE / "cases_test_d.jsonl", HERE / "cases_test_e.jsonl", HERE / "cases_test_f.jsonl",
             HERE / "cases_test_g.jsonl"),
    "dev_b": (HERE / "cases_dev_b.jsonl",),
    "test_b": (HERE / "cases_test_b.jsonl",),
    "dev_c": (HERE / "cases_dev_c.jsonl",),
    "test_c": (HERE / "cases_test_c.jsonl",),
    "dev_d": (HERE / "cases_dev_d.jsonl",),
    "test_d": (HERE / "cases_test_d.jsonl",),
    "dev_e": (HERE / "cases_dev_e.jsonl",),
    "test_e": (HERE / "cases_test_e.jsonl",),
    "dev_f": (HERE / "cases_dev_f.jsonl",),
    "test_f": (HERE / "cases_test_f.jsonl",),
    "dev_g": (HERE / "cases_dev_g.jsonl",),
    "test_g": (HERE / "cases_test_g.jsonl",),
}
# The first evaluation sets, written together with the old keyword rules: in-sample, kept as extra dev cases.
LEGACY = (HERE / "requests.jsonl", HERE / "requests_heldout.jsonl")


def load_cases(*paths) -> list[dict]:
    """The cases of the given files, in order; an argument may also be a split's tuple of files (SPLITS[name])."""
    files = [f for p in paths for f in (p if isinstance(p, (tuple, list)) else (p,))]
    return [json.loads(line) for p in files for line in Path(p).read_text().splitlines() if line.strip()]


def _same(a, b, tol: float) -> bool:
    if isinstance(b, list) and isinstance(a, list):
        return {json.dumps(x) for x in a} == {json.dumps(x) for x in b}
    if isinstance(b, (int, float)) and isinstance(a, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= tol
    return a == b


def _value(plan: Plan, step, param: str):
    """A step's parameter as the data sees it: unset means the default, and `text` is the input's text column."""
    meta = next((p for p in registry.get(step.op).metadata()["params"] if p["name"] == param), None)
    value = step.params.get(param, meta["default"] if meta else None)
    if param.endswith(("_field", "_column")) and value == "text":
        return plan.input.get("text", "text")
    return value


def score(plan: Plan, case: dict, available: set[str]) -> dict:
    chosen = plan.ops()
    expect = case.get("expect", [])
    slots = [s for s in expect if set(s) & available]
    hit = sum(1 for s in slots if set(s) & set(chosen))
    correct = sum(1 for op in chosen if any(op in s for s in expect))
    p_total = p_ok = 0
    misses = []
    for want in case.get("params", []):
        ops = want["op"] if isinstance(want["op"], list) else [want["op"]]
        if not set(ops) & set(chosen):  # parameters are scored on the operators the plan chose; recall
            continue                     # scores the choice itself
        p_total += 1
        name = want["param"]  # one name, or {op: name} where the acceptable operators name it differently
        got = [_value(plan, s, name if isinstance(name, str) else name.get(s.op)) for s in plan.steps if s.op in ops]
        if any(_same(g, want["value"], want.get("tol", 0.01)) for g in got):
            p_ok += 1
        else:
            misses.append(f"{'/'.join(ops)}.{name}={want['value']!r} got {got}")
    for k, v in case.get("input", {}).items():
        p_total += 1
        if plan.input.get(k) == v:
            p_ok += 1
        else:
            misses.append(f"input.{k}={v!r} got {plan.input.get(k)!r}")
    kinds = {op: registry.get(op).kind for op in chosen if op in available}
    no_drop_violation = bool(case.get("no_drop")) and any(k in ("filter", "deduplicator") for k in kinds.values())
    no_drop_violation |= bool(set(case.get("forbid", [])) & set(chosen))  # an operator the request refused
    return {"slots": len(slots), "hit": hit, "chosen": len(chosen), "correct": correct, "params": p_total,
            "params_ok": p_ok, "param_misses": misses, "no_drop_violation": no_drop_violation,
            "unsupported": bool(case.get("unsupported")), "reported": bool(plan.unmatched)}


def summarise(rows: list[dict]) -> dict:
    tot = {k: sum(r[k] for r in rows) for k in ("slots", "hit", "chosen", "correct", "params", "params_ok")}
    unsup = [r for r in rows if r["unsupported"]]
    return {
        "cases": len(rows),
        "recall": round(tot["hit"] / tot["slots"], 4) if tot["slots"] else None,
        "precision": round(tot["correct"] / tot["chosen"], 4) if tot["chosen"] else None,
        "param_accuracy": round(tot["params_ok"] / tot["params"], 4) if tot["params"] else None,
        "empty_plans": sum(r["chosen"] == 0 for r in rows),
        "empty_plans_passed": sum(r.get("empty_passed", False) for r in rows),
        "no_drop_violations": sum(r["no_drop_violation"] for r in rows),
        "unsupported_reported": f"{sum(r['reported'] for r in unsup)}/{len(unsup)}",
        "seconds_per_plan": round(sum(r["seconds"] for r in rows) / max(len(rows), 1), 3),
    }


def evaluate(cases: list[dict], use_embeddings: bool = True, planner_factory=None, workdir: Path | None = None) -> dict:
    """Plan every case with the offline planner (or `planner_factory(catalogue)`) and score it."""
    from tilth.agent.offline import OfflinePlanner
    from tilth.agent.validation import check_plan

    available = {c.name for c in registry.all_operators()}
    with tempfile.TemporaryDirectory(prefix="tilth-agent-eval-") as tmp:
        root = Path(workdir or tmp)
        paths = make_all(root / "data")
        peeks = {k: peek(v) for k, v in paths.items()}
        cat = Catalogue(None, use_embeddings=use_embeddings)
        planner = planner_factory(cat) if planner_factory else OfflinePlanner(cat)
        rows = []
        for case in cases:
            t0 = time.perf_counter()
            plan = planner.plan(case["request"], peeks[case["data"]])
            secs = time.perf_counter() - t0
            s = score(plan, case, available)
            if not plan.steps:
                s["empty_passed"] = check_plan(plan, dry_run=False).ok
            rows.append({"id": case["id"], "family": case.get("family"), "style": case.get("style"),
                         "request": case["request"], "ops": plan.ops(),
                         "params_set": {st.op: st.params for st in plan.steps}, "seconds": round(secs, 3),
                         "notes": plan.notes, **s})
    return {**summarise(rows), "rows": rows}


def main(argv: list[str]) -> None:
    split = next((a.split("=", 1)[1] for a in argv if a.startswith("--split=")), "dev")
    cases = load_cases(*SPLITS[split]) if split in SPLITS else load_cases(*LEGACY)
    res = evaluate(cases, use_embeddings="--no-embed" not in argv)
    verbose = "-v" in argv
    for r in res["rows"]:
        bad = r["hit"] < r["slots"] or r["correct"] < r["chosen"] or r["param_misses"] or r["no_drop_violation"] \
            or (r["unsupported"] and not r["reported"])
        if verbose or bad:
            print(f"{'MISS' if bad else 'ok  '} {r['id']:<28} {r['hit']}/{r['slots']} {r['correct']}/{r['chosen']} "
                  f"{r['ops']} {r['param_misses'] or ''}{' NO-DROP' if r['no_drop_violation'] else ''}"
                  f"{' UNREPORTED' if r['unsupported'] and not r['reported'] else ''}\n      {r['request']}")
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
