"""Feedback in words -> a revised plan that keeps the structure the user already reviewed.

Only what the feedback is about changes: a step is removed ("skip the statistics"), added ("also
redact emails"), swapped ("use minhash_dedup"), set ("set min to 20") or made gentler or stricter
("less aggressive augmentation on easy samples"). Every change is written into `plan.notes`.
"""

from __future__ import annotations

import re
from typing import Any

from tilth.agent.intents import BY_NAME, detect, negated
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

    # removals: "skip the statistics", "no augmentation", "remove the dedup step"
    drop = {i.name for i in negated(feedback)}
    for m in REMOVE.finditer(feedback):
        word = m[1].lower()
        drop |= {s.intent for s in plan.steps if s.op == word or s.intent == word or word in s.op}
    before = plan.ops()
    plan.steps = [s for s in plan.steps if s.intent not in drop and s.op not in drop]
    changes += [f"removed {op}" for op in before if op not in plan.ops()]

    # swaps: "use minhash_dedup"
    for m in USE.finditer(feedback):
        new = cat.by_name.get(m[1])
        if new is None or new.kind in ("reader", "pipeline"):
            continue
        intent = next((i for i in BY_NAME.values() if i.accepts(new)), None)
        for s in plan.steps:
            if intent is not None and s.intent == intent.name and s.op != new.name:
                changes.append(f"replaced {s.op} by {new.name}")
                s.op, s.params = new.name, planner.params_for(new, feedback, data)
                s.why = f"the reviewer asked for {new.name}"

    # additions: intents the feedback asks for that the plan lacks
    present = {s.intent for s in plan.steps}
    for intent, clause in detect(feedback):
        if intent.name not in present and intent.name not in drop and not _is_modifier(feedback, clause):
            n = len(plan.steps)
            planner._add_intent(plan, intent, clause, data)
            if len(plan.steps) > n:
                changes.append(f"added {next(s.op for s in plan.steps if s.intent == intent.name)} ({intent.name})")

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
        mentioned = {i.name for i, _ in detect(feedback)}
        targets = [s for s in plan.steps if s.intent in mentioned or s.op in feedback]
        for s in targets:
            changes += _adjust(cat.by_name.get(s.op), s, direction, feedback)

    planner.finish(plan, data)
    plan.notes.append(f"revised for {feedback!r}: " + ("; ".join(changes) if changes else "no change understood"))
    return plan


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
