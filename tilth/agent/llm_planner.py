"""The LLM planner: the model chooses, per action, among the operators retrieval found, under a JSON schema.

A free-form JSON plan is too much to ask of a small model (SmolLM2-135M parsed 0 of 9 such replies), and
even a large one invents operators and parameters. Here the request is split into actions exactly as the
offline planner does; for each action the model sees the action, the whole request and the top-k
candidate cards, and must reply `{"op": <one of the candidates or "none">, "params": {...}}`. The
schema goes to the endpoint as `response_format` (llama.cpp, vLLM and SGLang turn it into a grammar),
so every reply parses; parameters are typed per operator and checked by the operator's own `Params`.
Parameters the model leaves out come from the offline reading of the words and the data.

Time and failure: each request has a short client timeout and no long retry loop, the whole plan a
budget (`budget_s`); an endpoint that fails or is too slow hands the remaining actions to the offline
planner, and the plan says so in one line.
"""

from __future__ import annotations

import json
import time

from tilth.agent.actions import Action
from tilth.agent.llm import Chat, parse_json
from tilth.agent.offline import OfflinePlanner
from tilth.agent.skills import Catalogue, Skill

SYSTEM = ("You choose the operator of a data-preparation pipeline that does one part of a user's request. "
          "Pick exactly one of the listed operators, or \"none\" if no listed operator does that part. "
          "Set only the parameters the request states; leave the others out. Reply with JSON only.")
SIMPLE = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}
MAX_STRING = 40
MAX_ITEMS = 6


def param_schema(skill: Skill, columns: list[str] | None = None) -> dict:
    """JSON schema of the operator's simple parameters (numbers, strings, booleans, string lists, choices).

    Every string and list is bounded, and a parameter that names a column may only name one the data has:
    unbounded, a small model loops inside a string ("text_field_text_field_...") until its token limit.
    """
    props = {}
    for p in skill.meta.get("params", []):
        t = p["type"].replace(" | None", "").replace("Optional[", "").rstrip("]")
        name = p["name"]
        if p.get("choices") and not p.get("open"):
            props[name] = {"enum": p["choices"]}
        elif columns and t == "str" and (name.endswith(("_field", "_column")) or name == "column"):
            props[name] = {"enum": list(columns)}
        elif t == "str":
            props[name] = {"type": "string", "maxLength": MAX_STRING}
        elif t in SIMPLE:
            props[name] = {"type": SIMPLE[t]}
        elif t in ("list[str]", "list"):
            props[name] = {"type": "array", "items": {"type": "string", "maxLength": MAX_STRING},
                           "maxItems": MAX_ITEMS}
    return {"type": "object", "properties": props, "additionalProperties": False}


def choice_schema(candidates: list[Skill], columns: list[str] | None = None) -> dict:
    options = [{"type": "object", "properties": {"op": {"const": s.name}, "params": param_schema(s, columns)},
                "required": ["op"], "additionalProperties": False} for s in candidates]
    options.append({"type": "object", "properties": {"op": {"const": "none"}}, "required": ["op"],
                    "additionalProperties": False})
    return {"anyOf": options}


class LLMPlanner(OfflinePlanner):
    name = "llm"

    def __init__(self, catalogue: Catalogue, chat: Chat, k: int = 5, budget_s: float = 60.0, dry_run: bool = True):
        super().__init__(catalogue, llm_available=True)
        self.chat = chat
        self.k = k
        self.budget_s = budget_s
        self.dry_run = dry_run
        self.attempts: list[dict] = []  # per action: candidates, reply, parsed choice (for reports and the bench)
        self.failed: str | None = None
        self._t0 = 0.0
        self._request = ""
        self._columns: list[str] = []

    def plan(self, request: str, data, name: str | None = None):
        self._t0, self._request, self.failed = time.monotonic(), request, None
        self._columns = [c for c in data.pipeline_columns if c != "_id"]
        plan = super().plan(request, data, name)
        if self.failed:
            plan.notes.append(f"the LLM planner fell back to the offline planner: {self.failed}")
            plan.planner = "offline (LLM failed)"
        return plan

    def choose(self, action: Action, ranked: list[tuple[Skill, float]]) -> tuple[Skill, float, dict] | None:
        if self.failed or time.monotonic() - self._t0 > self.budget_s:
            self.failed = self.failed or f"over the {self.budget_s:.0f} s planning budget"
            return super().choose(action, ranked)
        cands = [s for s, _ in ranked[: self.k]]
        cards = "\n".join(f"- {s.name}: {s.description.split('. ')[0][:200]}" for s in cands)
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Request: {self._request}\nPart to do now: {action.full}\n"
                                                f"Operators:\n{cards}\nWhich operator does this part?"}]
        try:
            reply = self.chat(messages, json_schema=choice_schema(cands, self._columns))
        except Exception as e:  # endpoint down, timeout, HTTP error: the offline planner takes over
            self.failed = f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
            return super().choose(action, ranked)
        record = {"action": action.full, "candidates": [s.name for s in cands], "reply": reply, "parsed": False}
        self.attempts.append(record)
        try:
            obj = parse_json(reply)
            op = obj["op"]
        except (ValueError, TypeError, KeyError):
            return super().choose(action, ranked)
        record["parsed"] = True
        if op == "none":
            return None
        skill = self.cat.by_name.get(op)
        if skill is None or skill not in cands:
            return super().choose(action, ranked)
        score = dict((s.name, v) for s, v in ranked)[op]
        params = obj.get("params") if isinstance(obj.get("params"), dict) else {}
        return skill, score, self._valid(skill, params)

    @staticmethod
    def _valid(skill: Skill, params: dict) -> dict:
        """The model's parameters that the operator's own schema accepts (each checked alone)."""
        from tilth.ops import registry

        cls = registry.get(skill.name)
        out = {}
        for k, v in params.items():
            try:
                cls(**{**out, k: v})
                out[k] = v
            except Exception:  # a bad value is dropped; the offline reading of the words stands
                continue
        return out

    def parse_rate(self) -> tuple[int, int]:
        return sum(a["parsed"] for a in self.attempts), len(self.attempts)


def dump_attempts(planner: LLMPlanner) -> str:
    return json.dumps(planner.attempts, indent=2)
