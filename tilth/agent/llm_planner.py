"""The LLM planner: structured output from any OpenAI-compatible model, repaired on validation errors.

The model sees the request, the data peek and only the retrieved skills' cards (so a small context
suffices). Its JSON plan is validated like any other; every problem (with its step and fix) is sent back
for repair, at most `max_repairs` times. If the model still fails, the offline planner's plan is used and
the plan says so: a bad model never blocks the user.
"""

from __future__ import annotations

import json

from tilth.agent.llm import Chat, parse_json
from tilth.agent.offline import OfflinePlanner
from tilth.agent.peek import DataPeek
from tilth.agent.plan import Plan, PlanStep, recipe_name
from tilth.agent.skills import Catalogue
from tilth.agent.validation import check_plan

SYSTEM = """You plan data-preparation pipelines for Tilth. Use only the operators listed. Reply with one JSON
object: {"steps": [{"op": "<operator name>", "params": {...}, "why": "<one sentence>"}], "notes": ["..."]}.
Steps run in order; each reads the columns the previous steps produce. The input's text field is renamed
to `text`. Only set parameters you need; unknown parameters are errors. Readers are not steps."""


class LLMPlanner:
    name = "llm"

    def __init__(self, catalogue: Catalogue, chat: Chat, max_repairs: int = 2, k: int = 12, dry_run: bool = True,
                 max_context_chars: int = 4000):
        """`max_context_chars` bounds the skill cards (about 4 characters a token): small models have 2k contexts."""
        self.max_context_chars = max_context_chars
        self.cat = catalogue
        self.chat = chat
        self.max_repairs = max_repairs
        self.k = k
        self.dry_run = dry_run
        self.fallback = OfflinePlanner(catalogue, llm_available=True)
        self.attempts: list[dict] = []  # (reply, problems) per try, for the report and tests

    def _context(self, request: str, data: DataPeek) -> str:
        skills = [s for s, _ in self.cat.retrieve(request, k=self.k) if s.kind not in ("reader", "pipeline")]
        for s in self.fallback.plan_ops(request, data):  # intent matches are always offered too
            if s not in skills:
                skills.append(s)
        cards, used = [], 0
        for s in skills:  # full cards while they fit the budget, then one-line cards, then nothing
            card = s.card()
            if used + len(card) > self.max_context_chars:
                card = f"- {s.name} [{s.kind}]: {s.description.split('. ')[0][:160]}; params {s.param_names}"
            if used + len(card) > self.max_context_chars:
                break
            cards.append(card)
            used += len(card)
        cards = "\n".join(cards)
        return f"Operators:\n{cards}\n\nData: {data.summary()}\nColumns seen by steps: {data.pipeline_columns}"

    def plan(self, request: str, data: DataPeek, name: str | None = None) -> Plan:
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"{self._context(request, data)}\n\nRequest: {request}"}]
        return self._loop(messages, request, data, name or recipe_name(request), lambda: self.fallback.plan(request, data, name))

    def revise(self, plan: Plan, feedback: str, data: DataPeek) -> Plan:
        current = json.dumps({"steps": [{"op": s.op, "params": s.params, "why": s.why} for s in plan.steps]})
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"{self._context(plan.request, data)}\n\nRequest: {plan.request}\n"
                     f"Current plan: {current}\nReviewer feedback: {feedback}\nRevise the plan for the feedback, "
                     "keeping every step the feedback does not concern."}]
        return self._loop(messages, plan.request, data, plan.name, lambda: self.fallback.revise(plan, feedback, data))

    def _loop(self, messages, request, data, name, fallback) -> Plan:
        problems_text = ""
        for attempt in range(self.max_repairs + 1):
            reply = self.chat(messages)
            try:
                plan = self._to_plan(parse_json(reply), request, data, name)
                v = check_plan(plan, dry_run=self.dry_run)
                problems = [str(p) for p in v.problems]
            except (ValueError, TypeError, KeyError) as e:
                plan, problems = None, [f"[reply] {e}\n    fix: reply with one JSON object as specified"]
            self.attempts.append({"reply": reply, "problems": problems})
            if plan is not None and not problems:
                plan.notes.append(f"planned by the LLM in {attempt + 1} attempt(s)")
                return plan
            problems_text = "\n".join(problems)
            messages = [*messages, {"role": "assistant", "content": reply},
                        {"role": "user", "content": f"The plan has problems:\n{problems_text}\nReply with the corrected JSON plan."}]
        plan = fallback()
        plan.notes.append(f"the LLM's plan still failed validation after {self.max_repairs} repairs "
                          f"({problems_text.splitlines()[0] if problems_text else 'no reply'}); used the offline planner")
        return plan

    def _to_plan(self, obj, request: str, data: DataPeek, name: str) -> Plan:
        if not isinstance(obj, dict) or not isinstance(obj.get("steps"), list):
            raise ValueError("the JSON needs a `steps` list")
        steps = []
        for s in obj["steps"]:
            if not isinstance(s, dict) or not isinstance(s.get("op"), str):
                raise ValueError(f"each step needs an `op` name, got {s!r}")
            steps.append(PlanStep(op=s["op"], params=dict(s.get("params") or {}), why=str(s.get("why", "")), intent="llm"))
        plan = Plan(request=request, name=name, input=data.input_spec(), steps=steps,
                    notes=[str(n) for n in obj.get("notes", [])], planner=self.name)
        self.fallback.finish(plan, data)
        return plan
