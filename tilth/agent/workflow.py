"""The agent as a LangGraph workflow:

understand (peek at the data) -> retrieve skills -> plan -> validate -> [repair]* -> review
   -> (feedback -> revise -> validate -> review)* -> save recipe (+ skill) -> execute -> report

Nodes are deterministic except `plan`, `repair` and `revise` when an LLM planner is used. Validation
problems go back to the planner at most `max_repairs` times; a plan that still fails is shown to the
reviewer with its problems and cannot be accepted for execution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from tilth.agent.peek import DataPeek, column_kinds, peek
from tilth.agent.plan import Plan, PlanStep, llm_note_for
from tilth.agent.prompts import compose
from tilth.agent.review import Decision, Reviewer, auto_accept
from tilth.agent.skills import Catalogue, skills_dir
from tilth.agent.validation import Validation, check_plan


class State(TypedDict, total=False):
    request: str
    data: DataPeek
    candidates: list[str]
    plan: Plan
    validation: Validation
    repairs: int
    revisions: int
    decision: Decision
    recipe_path: str
    skill_saved: bool
    result: Any
    report: dict


@dataclass
class Agent:
    catalogue: Catalogue
    planner: Any  # OfflinePlanner | LLMPlanner
    reviewer: Reviewer = auto_accept
    workspace: Path = Path("tilth-workspace")
    out_dir: Path = Path("tilth-agent-out")
    execute: bool = True
    remember: bool = True  # save the accepted recipe as a reusable skill (not for a plan nobody reviewed)
    # a plan accepted unattended (--yes) that left part of the request undone is not kept as a skill: later
    # requests would reuse what nobody checked and what is known to be incomplete
    keep_partial: bool = True
    max_repairs: int = 2
    max_revisions: int = 5
    chat: Any = None  # a configured chat model (tilth.agent.llm.Chat) or None
    log: list[str] = field(default_factory=list)
    progress: Any = None  # a rich Console: show the run's progress on it (the CLI's stderr); None: quiet

    # -- nodes ---------------------------------------------------------------------------------------
    def understand(self, s: State) -> State:
        data = s["data"] if isinstance(s.get("data"), DataPeek) else peek(str(s["data"]))
        self.log.append(f"understand: {data.summary()}")
        return {"data": data}

    def retrieve(self, s: State) -> State:
        hits = self.catalogue.retrieve(s["request"], k=10)
        names = [h.name for h, _ in hits if h.kind != "reader"]
        self.log.append(f"retrieve: {names}")
        return {"candidates": names}

    def plan(self, s: State) -> State:
        plan = self.planner.plan(s["request"], s["data"])
        if not plan.steps and not plan.questions:  # ("what's the average fare?" is answered, not generated)
            plan = self._generate(plan, s["data"])
        plan.notes += compose(plan, s["data"].rows, self.out_dir, self.chat)
        self.log.append(f"plan ({plan.planner}): {plan.ops()}")
        return {"plan": plan, "repairs": 0, "revisions": 0}

    def _generate(self, plan: Plan, data: DataPeek) -> Plan:
        """No skill fits: have the LLM write an operator (sandboxed, tested), or say what that would need."""
        from tilth.agent.opgen import generate_operator

        rows = [{("text" if k == data.text_field else k): v for k, v in r.items()} for r in data.rows]
        gen = generate_operator(plan.request, rows, self.workspace, self.chat)
        plan = plan.model_copy(deep=True)
        plan.notes.append(gen.message)
        if gen.ok:
            plan.steps.append(PlanStep(op=gen.name, why="generated for this request (sandbox-tested)", intent="generated"))
            plan.plugins = [*plan.plugins, gen.path]
        return plan

    def validate(self, s: State) -> State:
        plan = s["plan"].model_copy(deep=True)
        v = check_plan(plan)
        self.log.append(f"validate: {'ok' if v.ok else [str(p) for p in v.problems]}")
        return {"plan": plan, "validation": v}

    def repair(self, s: State) -> State:
        """Offline repair: drop what cannot be fixed (the step is named in a note); params fall back to defaults."""
        plan = s["plan"].model_copy(deep=True)
        bad = sorted({p.step for p in s["validation"].problems if p.step > 0})
        if not bad:  # input problems cannot be repaired by changing steps
            return {"repairs": s.get("repairs", 0) + self.max_repairs + 1}
        keep = []
        for i, step in enumerate(plan.steps, 1):
            if i in bad:
                msgs = "; ".join(p.message for p in s["validation"].problems if p.step == i)
                plan.notes.append(f"removed step {i} ({step.op}) after validation failed: {msgs}")
                plan.removed.append(f"{step.op}: {msgs}")
            else:
                keep.append(step)
        plan.steps = keep
        plan.notes = [n for n in (llm_note_for(n, {st.op for st in keep}) for n in plan.notes) if n]
        self.log.append(f"repair: removed steps {bad}")
        return {"plan": plan, "repairs": s.get("repairs", 0) + 1}

    def review(self, s: State) -> State:
        d = self.reviewer(s["plan"], s["validation"])
        if d.action == "accept" and not s["validation"].ok:
            d = Decision("reject", "the plan does not pass validation")
        self.log.append(f"review: {d.action} {d.text!r}"[:200])
        return {"decision": d}

    def revise(self, s: State) -> State:
        d = s["decision"]
        if d.action == "edit":
            plan = plan_from_yaml(d.text, s["plan"])
        else:
            plan = self.planner.revise(s["plan"], d.text, s["data"])
            plan.notes += compose(plan, s["data"].rows, self.out_dir, self.chat)
        self.log.append(f"revise: {plan.ops()}")
        return {"plan": plan, "revisions": s.get("revisions", 0) + 1, "repairs": 0}

    def save(self, s: State) -> State:
        keep = self.remember and (self.keep_partial or not s["plan"].unmatched)
        path = save_recipe(s["plan"], self.workspace, self.out_dir, as_skill=keep, data_columns=tuple(s["data"].columns),
                           column_kinds=column_kinds(s["data"]))
        self.log.append(f"save: {path}")
        return {"recipe_path": str(path), "skill_saved": keep}

    def run(self, s: State) -> State:
        from tilth.pipeline.recipe import Recipe
        from tilth.pipeline.runner import Runner

        recipe = Recipe.from_yaml(Path(s["recipe_path"]))
        result = Runner(recipe, self.workspace, progress=self.progress is not None, console=self.progress).run()
        self.log.append(f"execute: {result.rows_out} rows")
        return {"result": result}

    def report(self, s: State) -> State:
        from tilth.agent.report import write_report

        rep = write_report(s["plan"], s["validation"], s.get("result"), self.out_dir, s.get("recipe_path"), self.log)
        return {"report": rep}

    # -- edges ---------------------------------------------------------------------------------------
    def _after_validate(self, s: State) -> str:
        if not s["validation"].ok and s.get("repairs", 0) < self.max_repairs:
            return "repair"
        return "review"

    def _after_review(self, s: State) -> str:
        a = s["decision"].action
        if a == "accept":
            return "save"
        if a in ("feedback", "edit") and s.get("revisions", 0) < self.max_revisions:
            return "revise"
        return "report"

    def graph(self):
        g = StateGraph(State)
        for name in ("understand", "retrieve", "plan", "validate", "repair", "review", "revise", "save", "run", "report"):
            g.add_node(name, getattr(self, name))
        g.add_edge(START, "understand")
        g.add_edge("understand", "retrieve")
        g.add_edge("retrieve", "plan")
        g.add_edge("plan", "validate")
        g.add_conditional_edges("validate", self._after_validate, ["repair", "review"])
        g.add_edge("repair", "validate")
        g.add_conditional_edges("review", self._after_review, ["save", "revise", "report"])
        g.add_edge("revise", "validate")
        g.add_edge("save", "run" if self.execute else "report")
        g.add_edge("run", "report")
        g.add_edge("report", END)
        return g.compile()

    def __call__(self, request: str, data: str | Path | DataPeek) -> State:
        return self.graph().invoke({"request": request, "data": data}, {"recursion_limit": 100})


def plan_from_yaml(text: str, base: Plan) -> Plan:
    """A plan from a recipe the user edited: explanations kept for steps that did not change."""
    from tilth.pipeline.recipe import Recipe

    r = Recipe.from_yaml(text)
    old = {(s.op, json.dumps(s.params, sort_keys=True)): s for s in base.steps}
    steps = []
    for st in r.steps:
        prev = old.get((st.op, json.dumps(st.params, sort_keys=True)))
        steps.append(prev.model_copy() if prev else PlanStep(op=st.op, params=dict(st.params), why="edited by the reviewer",
                                                              intent="edited"))
    return base.model_copy(update={"name": r.name, "input": dict(r.input), "steps": steps,
                                   "questions": [q.model_dump() for q in r.questions],
                                   "notes": [*base.notes, "edited by the reviewer"]})


def save_recipe(plan: Plan, workspace: Path, out_dir: Path, as_skill: bool = True,
                data_columns: tuple[str, ...] = (), column_kinds: dict[str, str] | None = None) -> Path:
    """Write the accepted recipe next to the outputs and (`as_skill`) into the workspace's skills (a reusable
    skill), with what each column of the data it was planned on held (`column_kinds`, beside it as
    NAME.columns.json: the skill is replayed only on data whose columns hold the same)."""
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {out_dir} is a file, not a folder: give a folder for the recipe and the dataset")
    out_dir.mkdir(parents=True, exist_ok=True)
    inp = {**plan.input, "path": str(Path(plan.input["path"]).resolve())}
    output = {"dataset": plan.name, "export": str(out_dir / "dataset.jsonl")}
    if scores := plan.unasked_scores(data_columns):  # ("length_words", "junk": how a filter decided, not data anyone asked for)
        output["leave_out"] = scores
    plan = plan.model_copy(update={"input": inp, "output": output})
    text = plan.to_recipe().to_yaml()
    path = out_dir / "recipe.yaml"
    path.write_text(text)
    if not as_skill:
        return path
    sk = skills_dir(workspace)
    sk.mkdir(parents=True, exist_ok=True)
    (sk / f"{plan.name}.yaml").write_text(text)
    kinds = sk / f"{plan.name}.columns.json"
    if column_kinds:
        kinds.write_text(json.dumps(column_kinds, indent=1))
    else:
        kinds.unlink(missing_ok=True)  # (an older skill of that name was planned on other data)
    return path

