"""The offline planner: a plan from intent keywords, retrieval and operator metadata, with no LLM.

It is the safety net behind the LLM planner and the planner the paper example runs on. For each intent
in the request it takes the operators whose metadata can serve it, ranks them by hybrid retrieval
against the intent and the request's own wording, and fills parameters from metadata (defaults, column
names from the data peek, numbers stated in the request). Steps are ordered by pipeline stage.
"""

from __future__ import annotations

import re
from typing import Any

from tilth.agent.intents import BY_NAME, Intent, detect, expand
from tilth.agent.peek import TEXT_NAMES, DataPeek
from tilth.agent.plan import Plan, PlanStep, recipe_name
from tilth.agent.skills import Catalogue, Skill

LANGS = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "chinese": "zh", "japanese": "ja",
         "russian": "ru", "italian": "it", "portuguese": "pt"}
AUGMENT_QUANTILE = 0.75  # "difficult" = the top quarter of the sample by difficulty score
# Heuristic filters are tuned for web text; on other data (short math problems) their defaults can drop
# nearly everything. If a filter would drop more than FIT_MAX_DROP of the sample, each threshold is
# relaxed to the sample's FIT_QUANTILE (never tightened), and the plan says so.
FIT_INTENTS = ("quality", "repetition", "perplexity")
FIT_MAX_DROP = 0.3
FIT_QUANTILE = 0.1


class OfflinePlanner:
    name = "offline"

    def __init__(self, catalogue: Catalogue, llm_available: bool = False):
        self.cat = catalogue
        self.llm_available = llm_available

    # -- planning --------------------------------------------------------------------------------------
    def plan(self, request: str, data: DataPeek, name: str | None = None) -> Plan:
        plan = Plan(request=request, name=name or recipe_name(request), input=data.input_spec(), planner=self.name)
        saved = self._saved_pipeline(request)
        if saved is not None:
            plan.notes.append(f"reused saved pipeline skill {saved.name!r}")
            for op in saved.meta["steps"]:
                plan.steps.append(PlanStep(op=op, why=f"step of saved pipeline {saved.name}", intent="saved"))
        else:
            for intent, clause in detect(request):
                self._add_intent(plan, intent, clause, data)
            self._add_named_ops(plan, request, data)
        if not plan.steps:
            plan.notes.append("no skill matched the request; with an LLM configured the agent can generate "
                              "an operator for it (see `tilth agent --help`)")
        self.finish(plan, data)
        return plan

    def _saved_pipeline(self, request: str) -> Skill | None:
        """A saved pipeline whose recorded request is (nearly) this one is reused as it is."""
        want = set(re.findall(r"[a-z0-9]+", request.lower()))
        for s in self.cat.skills:
            if s.kind != "pipeline" or not want:
                continue
            have = set(re.findall(r"[a-z0-9]+", s.description.split("Saved pipeline:")[0].lower()))
            if have and len(want & have) / len(want | have) >= 0.9:
                return s
        return None

    def plan_ops(self, request: str, data: DataPeek) -> list[Skill]:
        """The skills the intent rules would pick (offered to the LLM planner as well)."""
        out = []
        for intent, clause in detect(request):
            cands = self.candidates(intent, clause)
            if cands:
                out.append(cands[0][0])
        return out

    def candidates(self, intent: Intent, clause: str) -> list[tuple[Skill, float]]:
        scores = self.cat.scores(f"{intent.query}. {expand(clause)}")
        cands = [(s, scores[s.name]) for s in self.cat.skills if s.kind != "pipeline" and intent.accepts(s)]
        if not self.llm_available:
            cands = [c for c in cands if not c[0].needs_llm]
        # an operator named in the clause wins; otherwise retrieval order (name breaks ties, for determinism)
        return sorted(cands, key=lambda c: (not mentioned(c[0], clause), -intent.preferred(c[0]), -c[1], c[0].name))

    def _add_intent(self, plan: Plan, intent: Intent, clause: str, data: DataPeek) -> None:
        if any(s.intent == intent.name for s in plan.steps):
            return
        cands = self.candidates(intent, clause)
        if not cands:
            llm_only = [s.name for s in self.cat.skills if intent.accepts(s) and s.needs_llm]
            why = (f"only LLM operators serve it ({', '.join(llm_only)}); configure an LLM endpoint" if llm_only
                   else "no registered operator serves it")
            plan.notes.append(f"cannot do {intent.name!r} ({clause!r}): {why}")
            return
        skill, score = cands[0]
        others = [c[0].name for c in cands[1:3]]
        why = f"{intent.why}; best match for {clause!r}" + (f" (also considered {', '.join(others)})" if others else "")
        step = PlanStep(op=skill.name, params=self.params_for(skill, clause, data), why=why, intent=intent.name)
        plan.steps.append(step)
        plan.steps.sort(key=lambda s: BY_NAME[s.intent].stage if s.intent in BY_NAME else 55)

    def _add_named_ops(self, plan: Plan, request: str, data: DataPeek) -> None:
        """Operators the user names literally ("run exact_dedup") are taken even without an intent keyword."""
        have = set(plan.ops())
        for s in self.cat.skills:
            if s.kind in ("pipeline", "reader") or s.name in have or (s.needs_llm and not self.llm_available):
                continue
            served = next((st for st in plan.steps if BY_NAME.get(st.intent) and BY_NAME[st.intent].accepts(s)), None)
            if served is not None:
                continue  # an intent step already covers it (and was ranked with the mention in mind)
            if mentioned(s, request):
                plan.steps.append(PlanStep(op=s.name, params=self.params_for(s, request, data),
                                           why="named in the request", intent="named"))

    # -- parameters ------------------------------------------------------------------------------------
    def params_for(self, skill: Skill, clause: str, data: DataPeek) -> dict[str, Any]:
        cols = set(data.pipeline_columns)
        out: dict[str, Any] = {}
        for p in skill.meta.get("params", []):
            name, default = p["name"], p["default"]
            if name.endswith(("_field", "_column")) and name != "where_column" and "str" in p["type"]:
                desc = p["description"].lower()
                if "write" in desc or "output column" in desc:
                    continue  # names a column the operator writes, not one it reads
                answerish = any(w in name for w in ("answer", "solution", "response", "output"))
                promptish = any(w in name for w in ("input", "prompt", "instruction", "question"))
                if answerish and data.answer_field and default not in cols:
                    out[name] = data.answer_field
                elif promptish and default not in cols and data.answer_field and "text" in cols:
                    out[name] = "text"
                elif not answerish and "text" in cols and (p["required"] or default in TEXT_NAMES) and default not in cols:
                    out[name] = "text"
            elif "language" in (name + p["description"]).lower() and name in ("lang", "language", "languages", "keep", "langs"):
                code = next((c for w, c in LANGS.items() if w in clause.lower()), None)
                if code:
                    out[name] = [code] if "list" in p["type"] else code
        out.update(length_bounds(skill, clause))
        return out

    # -- wiring between steps --------------------------------------------------------------------------
    def finish(self, plan: Plan, data: DataPeek) -> None:
        """Connect score producers to consumers (difficulty -> augmentation) and record expected columns."""
        from tilth.ops import registry

        cols = list(data.pipeline_columns)
        difficulty_col = None
        for step in plan.steps:
            try:
                cls = registry.get(step.op)
            except registry.UnknownOperator:
                step.expects = list(cols)
                continue
            skill = self.cat.by_name.get(step.op)
            pnames = skill.param_names if skill else []
            if skill and skill.meta.get("thresholds") and step.intent in FIT_INTENTS and step.calibrate is None:
                step.calibrate = {"fit_filter": True, "max_drop": FIT_MAX_DROP, "quantile": FIT_QUANTILE}
            if step.intent == "augment" and difficulty_col and "where_column" in pnames:
                step.params.setdefault("where_column", difficulty_col)
                if step.params.get("where_min") is None and "where_min" in pnames:
                    step.calibrate = {"param": "where_min", "column": difficulty_col, "quantile": AUGMENT_QUANTILE}
                    step.params["where_min"] = 0.0  # placeholder that passes the schema; calibration sets it
                step.why += f"; only rows whose {difficulty_col} is in the top quarter of the sample are augmented"
            try:
                outs = cls(**step.params).output_columns()
            except Exception:  # params not valid yet (calibration pending): fall back to the declared names
                outs = [c for c in cls.outputs if "{" not in c]
            if step.intent == "difficulty" and outs:
                difficulty_col = next((c for c in outs if "difficult" in c), outs[0])
            cols += [c for c in outs if c not in cols]
            step.expects = list(cols)

    # -- revision --------------------------------------------------------------------------------------
    def revise(self, plan: Plan, feedback: str, data: DataPeek) -> Plan:
        from tilth.agent.revise import revise

        return revise(self, plan, feedback, data)


# First parts of operator names that are ordinary words: mentioning "random" or "length" is not naming an op.
COMMON_PREFIXES = {"llm", "read", "sample", "dataset", "exact", "length", "random", "token", "difficulty", "synonym",
                   "html", "perplexity"}


def mentioned(skill: Skill, text: str) -> bool:
    """The text names this operator: its full name, or a distinctive first part ("minhash", "gopher", "c4")."""
    low = text.lower()
    if re.search(rf"\b{re.escape(skill.name)}\b", low):
        return True
    head = skill.name.split("_")[0]
    if "_" not in skill.name or head in COMMON_PREFIXES or not re.search(rf"\b{re.escape(head)}\b", low):
        return False
    # a distinctive name part is a proper name in the operator's own description ("Gopher", "C4", "MinHash"),
    # not an ordinary lower-case word ("word", "mean", "stop")
    spelled = [m[0] for m in re.finditer(rf"\b{re.escape(head)}\b", skill.description, re.I)]
    return any(w != w.lower() or any(ch.isdigit() for ch in w) for w in spelled)


_NUM = r"(\d[\d,]*)"
_UNIT = r"(words?|characters?|chars?)"


def length_bounds(skill: Skill, clause: str) -> dict[str, Any]:
    """'at least 50 words', 'fewer than 2000 characters', 'between 10 and 500 words' -> min/max/unit."""
    names = set(skill.param_names)
    if not {"min", "max"} & names:
        return {}
    text = clause.lower()
    out: dict[str, Any] = {}

    def num(s: str) -> int:
        return int(s.replace(",", ""))

    if m := re.search(rf"between {_NUM} and {_NUM} {_UNIT}", text):
        out.update(min=num(m[1]), max=num(m[2]), unit=m[3])
    else:
        # "keep ... longer than 10 words" bounds from below; "drop ... longer than 10 words" from above
        drop = re.search(r"\b(?:drop|remove|filter out|discard|exclude|get rid of|delete|throw away|throw out)\b",
                         text) is not None
        lo = rf"(?:at least|minimum(?: of)?|no fewer than|more than|longer than|over|above) {_NUM} {_UNIT}"
        hi = rf"(?:at most|maximum(?: of)?|no more than|fewer than|less than|shorter than|under|below) {_NUM} {_UNIT}"
        if m := re.search(lo, text):
            strict = m[0].startswith(("more", "longer", "over", "above"))
            if drop and strict:
                out.update(max=num(m[1]), unit=m[2])
            else:
                out.update(min=num(m[1]) + int(strict), unit=m[2])
        if m := re.search(hi, text):
            strict = m[0].startswith(("fewer", "less", "shorter", "under", "below"))
            if drop and strict:
                out.update(min=num(m[1]), unit=m[2])
            else:
                out.update(max=num(m[1]) - int(strict), unit=m[2])
    if "unit" in out:
        out["unit"] = "chars" if out["unit"].startswith("char") else "words"
        choices = (skill.param("unit") or {}).get("choices")
        if choices and out["unit"] not in choices:
            out.pop("unit")
        elif "unit" not in names:
            out.pop("unit")
    return {k: v for k, v in out.items() if k in names}
