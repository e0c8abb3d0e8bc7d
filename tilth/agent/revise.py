"""Feedback in words -> a revised plan that keeps the structure the user already reviewed.

Only what the feedback is about changes: a step is removed ("skip the statistics"), added ("also
redact emails"), swapped ("use minhash_dedup"), set ("set min to 20") or made gentler or stricter
("less aggressive augmentation on easy samples"). Every change is written into `plan.notes`.
"""

from __future__ import annotations

import re
from typing import Any

from tilth.agent.actions import parse
from tilth.agent.intents import negated
from tilth.agent.plan import Plan

LESS = re.compile(r"\b(?:less|fewer|gentler|softer|milder|lighter|lower|relax|loosen|more conservative|not so)\b", re.I)
MORE = re.compile(r"\b(?:more|stricter|harsher|stronger|heavier|higher|tighten|more aggressive)\b", re.I)
REMOVE = re.compile(r"\b(?:remove|drop|delete)\s+(?:the\s+)?([\w-]+)\s+step\b", re.I)
SET = re.compile(r"\bset\s+(?:([a-z_]+)\.)?([a-z_]+)\s*(?:=|to)\s*([\w.\-]+)", re.I)
USE = re.compile(r"\b(?:use|switch to|instead use)\s+([a-z_][a-z0-9_]+)", re.I)
RATE_WORDS = ("prob", "rate", "ratio", "fraction", "num", "count", "variants", "copies", "edits", "n_")


def revise(planner, plan: Plan, feedback: str, data) -> Plan:
    plan = plan.model_copy(deep=True)
    changes: list[str] = []
    cat = planner.cat
    parsed = parse(feedback)
    skill_of = {s.op: cat.by_name.get(s.op) for s in plan.steps}

    # removals: "skip the statistics", "no augmentation", "remove the dedup step"
    drop: set[str] = set()
    for intent in negated(feedback):  # the keyword rules are a cheap first reading
        drop |= {op for op, sk in skill_of.items() if sk is not None and intent.accepts(sk)}
    targets = [a.text for a in parsed.actions if a.negated] + [m[1] for m in REMOVE.finditer(feedback)]
    for t in targets:
        drop |= {op for op in skill_of if op == t.lower() or t.lower() in op}
        drop |= _closest_steps(planner, plan, t)
    before = plan.ops()
    plan.steps = [s for s in plan.steps if s.op not in drop]
    changes += [f"removed {op}" for op in before if op not in plan.ops()]

    # swaps: "use minhash_dedup"
    swapped = False
    for m in USE.finditer(feedback):
        new = cat.by_name.get(m[1])
        if new is None or new.kind in ("reader", "pipeline"):
            continue
        for s in plan.steps:
            old = cat.by_name.get(s.op)
            if old is not None and old.kind == new.kind and old.category == new.category and s.op != new.name:
                changes.append(f"replaced {s.op} by {new.name}")
                s.op, s.params = new.name, planner.params_for(new, feedback, data)
                s.why = f"the reviewer asked for {new.name}"
                swapped = True
                break

    # additions: "also redact emails", "add a language filter for English"
    if not swapped:
        for a in parsed.actions:
            if a.negated or _is_modifier(feedback, a.text) or SET.search(a.text) or REMOVE.search(a.text):
                continue
            have = set(plan.ops())
            top = planner.ranked(a.full)[:1]
            op = planner.add_for_text(plan, a.full, data) if top and top[0][0].name not in have else None
            if op and op not in have:
                changes.append(f"added {op}")

    # explicit settings: "set min to 20", "set length_filter.min=20"
    for m in SET.finditer(feedback):
        op, param, raw = m[1], m[2], m[3]
        for s in plan.steps:
            skill = cat.by_name.get(s.op)
            if skill and param in skill.param_names and (op is None or op == s.op):
                s.params[param] = _coerce(raw, skill.param(param))
                if s.calibrate and s.calibrate.get("param") == param:
                    s.calibrate = None
                changes.append(f"set {s.op}.{param} = {s.params[param]!r}")

    # gentler / stricter
    direction = -1 if LESS.search(feedback) else (1 if MORE.search(feedback) else 0)
    if direction:
        wanted = _closest_steps(planner, plan, feedback) | {i_op for i_op in plan.ops() if i_op in feedback}
        for s in plan.steps:
            if s.op in wanted:
                changes += _adjust(cat.by_name.get(s.op), s, direction, feedback)

    planner.finish(plan, data)
    plan.notes.append(f"revised for {feedback!r}: " + ("; ".join(changes) if changes else "no change understood"))
    return plan


def _closest_steps(planner, plan: Plan, text: str) -> set[str]:
    """The plan's steps a piece of feedback is about: the best-matching planned operators, if they match."""
    ranked = [(s, v) for s, v in planner.ranked(text) if s.name in plan.ops()]
    if not ranked:
        return set()
    top = max(v for _, v in ranked)
    if top < planner.matcher.accept - 0.1:
        return set()
    best = ranked[0][0]
    return {s.name for s, v in ranked if v >= top - 0.05 and s.kind == best.kind}


def _is_modifier(feedback: str, clause: str) -> bool:
    return bool(LESS.search(clause) or MORE.search(clause)) and not re.search(r"\b(?:add|also|include|plus)\b", clause, re.I)


def _coerce(raw: str, meta: dict[str, Any] | None) -> Any:
    t = (meta or {}).get("type", "")
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return int(raw) if "int" in t and "." not in raw else float(raw) if ("float" in t or "int" in t) else raw
    except ValueError:
        return raw


def _adjust(skill, step, direction: int, feedback: str) -> list[str]:
    """Make one step gentler (-1) or stricter (+1) through the knobs its metadata exposes."""
    if skill is None:
        return []
    changes = []
    # augmentation on a subset: "less on easy samples" means fewer, harder rows qualify
    if step.calibrate and step.calibrate.get("param") == "where_min":
        q = step.calibrate["quantile"]
        new_q = round(min(0.95, q + 0.15) if direction < 0 else max(0.05, q - 0.15), 2)
        step.calibrate = {**step.calibrate, "quantile": new_q}
        changes.append(f"{step.op}: only rows above the {new_q:.0%} quantile of {step.calibrate['column']} qualify")
    elif isinstance(step.params.get("where_min"), (int, float)):
        step.params["where_min"] = round(step.params["where_min"] * (1.25 if direction < 0 else 0.8), 4)
        changes.append(f"{step.op}.where_min -> {step.params['where_min']}")
    if skill.kind in ("generator", "mapper") and skill.category == "rewrite":
        for p in skill.meta.get("params", []):
            if p["name"].startswith("where_") or not any(w in p["name"] for w in RATE_WORDS):
                continue
            if p["type"] not in ("int", "float"):
                continue
            cur = step.params.get(p["name"], p["default"])
            if not isinstance(cur, (int, float)) or isinstance(cur, bool):
                continue
            new = cur * (0.5 if direction < 0 else 1.5)
            new = max(1, round(new)) if p["type"] == "int" else round(new, 4)
            new = _bound(new, p.get("bounds", {}))
            if new != cur:
                step.params[p["name"]] = new
                changes.append(f"{step.op}.{p['name']}: {cur} -> {new}")
    # filters: move each threshold toward keeping more (gentler) or fewer rows
    for t in skill.meta.get("thresholds", []):
        p = skill.param(t["param"])
        cur = step.params.get(t["param"], p["default"] if p else None)
        if not isinstance(cur, (int, float)) or isinstance(cur, bool) or p is None:
            continue
        loosen = (t["keep_if"] == ">=") == (direction < 0)
        new = cur * 0.8 if loosen else cur * 1.25
        if cur == 0:
            continue
        new = _bound(max(0, round(new)) if p["type"] == "int" else round(new, 4), p.get("bounds", {}))
        if new != cur:
            step.params[t["param"]] = new
            changes.append(f"{step.op}.{t['param']}: {cur} -> {new}")
    return changes


def _bound(v, b: dict[str, Any]):
    if "ge" in b:
        v = max(v, b["ge"])
    if "le" in b:
        v = min(v, b["le"])
    return v
