"""The Data Agent in the browser: the same LangGraph workflow as `tilth agent`, with a reviewer that waits
for the person's decision in the page instead of the terminal.

The workflow runs in a thread per session (planning, the dry run on a sample, revisions). An accepted plan
is saved like `tilth agent --no-run` saves it, and then run by a `tilth run` child process: a run opens the
workspace for writing, which this process (reading it for the pages) must not do at the same time. Progress
is read from the workspace: a step is done when its statistics are committed under the step key the runner
computes, and the running step's finished parts are counted in its folder.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tilth.ui.store import Store, jsonable


@dataclass
class Session:
    id: str
    request: str
    data: str
    status: str = "planning"  # planning | review | saving | running | done | failed | rejected
    plan: Any = None  # tilth.agent.plan.Plan
    validation: Any = None  # tilth.agent.validation.Validation
    error: str = ""
    log: list[str] = field(default_factory=list)
    recipe_path: str = ""
    run: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)  # planned steps of the run: name, key, folder
    proc: subprocess.Popen | None = None
    started: float = field(default_factory=time.time)
    decisions: queue.Queue = field(default_factory=queue.Queue)


class Sessions:
    """Agent sessions of one UI process, by id."""

    def __init__(self, store: Store, planner: str = "auto", use_embeddings: bool = True):
        self.store, self.planner, self.use_embeddings = store, planner, use_embeddings
        self._all: dict[str, Session] = {}

    def start(self, request: str, data: str) -> Session:
        request, data = (request or "").strip(), (data or "").strip()
        if not request:
            raise ValueError("type a request: what should happen to the data?")
        if not data or not Path(data).expanduser().exists():
            raise ValueError(f"data not found: {data!r} (a file, folder or glob on the machine running tilth ui)")
        s = Session(uuid.uuid4().hex[:12], request, str(Path(data).expanduser()))
        self._all[s.id] = s
        threading.Thread(target=self._work, args=(s,), daemon=True, name=f"agent-{s.id}").start()
        return s

    def get(self, sid: str) -> Session:
        if sid not in self._all:
            raise KeyError(f"no agent session {sid!r} (sessions end when tilth ui stops)")
        return self._all[sid]

    def decide(self, sid: str, action: str, text: str = "", params: dict[str, dict[str, str]] | None = None) -> Session:
        """The person's decision on the plan under review: accept, reject, feedback in words, or edited
        parameters (`{step number: {param: YAML value}}`, an empty value meaning the default)."""
        from tilth.agent.review import Decision

        s = self.get(sid)
        if s.status != "review":
            raise ValueError(f"the plan is not waiting for review (it is {s.status})")
        if action == "edit":
            decision = Decision("edit", edited_recipe(s.plan, params or {}))
        elif action == "feedback":
            if not text.strip():
                raise ValueError("feedback needs words: what should change?")
            decision = Decision("feedback", text.strip())
        elif action in ("accept", "reject"):
            decision = Decision(action)
        else:
            raise ValueError(f"unknown decision {action!r}: accept, reject, feedback or edit")
        s.status = "planning" if action in ("edit", "feedback") else "saving"
        s.decisions.put(decision)
        return s

    # -- the workflow thread --------------------------------------------------------------------------
    def _work(self, s: Session) -> None:
        from tilth.agent.build import build_agent
        from tilth.agent.plan import recipe_name

        def review(plan, validation):
            s.plan, s.validation, s.status = plan, validation, "review"
            return s.decisions.get()  # blocks this thread until the page sends a decision

        try:
            out = self.store.root / "agent" / "ui" / f"{recipe_name(s.request)}-{s.id}"
            ag = build_agent(s.request, self.store.root, out, self.planner, review, execute=False,
                             use_embeddings=self.use_embeddings)
            state = ag(s.request, s.data)
            s.log = list(ag.log)
            s.plan, s.validation = state.get("plan", s.plan), state.get("validation", s.validation)
            decision = state.get("decision")
            if not decision or decision.action != "accept" or not state.get("recipe_path"):
                s.status = "rejected"
                s.error = decision.text if decision and decision.text else ""
                return
            s.recipe_path = state["recipe_path"]
            self._launch(s)
        except Exception as e:  # shown in the page; the UI keeps serving
            s.status, s.error = "failed", f"{type(e).__name__}: {e}"

    def _launch(self, s: Session) -> None:
        from tilth.pipeline.recipe import Recipe
        from tilth.pipeline.runner import input_key, step_key
        from tilth.pipeline.validate import check

        recipe = Recipe.from_yaml(Path(s.recipe_path))
        reader, ops = check(recipe)
        key = input_key(reader)
        s.run, s.steps = recipe.name, []
        for i, op in enumerate([reader, *ops]):
            key = step_key(key, op) if i else key
            name = f"{i:02d}_{op.name}"
            s.steps.append({"step": name, "key": key, "dir": str(self.store.root / "runs" / recipe.name / f"{name}-{key[:10]}")})
        log = open(Path(s.recipe_path).parent / "run.log", "w")  # the child keeps its own handle
        s.proc = subprocess.Popen([sys.executable, "-m", "tilth.cli", "run", s.recipe_path, "-w", str(self.store.root),
                                   "-q"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        s.status = "running"

    # -- what the page shows --------------------------------------------------------------------------
    def view(self, sid: str) -> dict[str, Any]:
        s = self.get(sid)
        out: dict[str, Any] = {"id": s.id, "request": s.request, "data": s.data, "status": s.status, "error": s.error,
                               "recipe_path": s.recipe_path, "run": s.run}
        if s.plan is not None:
            out["plan"] = plan_view(s.plan, s.validation)
        if s.proc is not None:
            out["progress"] = self._progress(s)
        return jsonable(out)

    def _progress(self, s: Session) -> dict[str, Any]:
        from tilth.storage.parts import list_parts

        code = s.proc.poll()
        try:
            done = {r["step_key"]: r for r in self.store.rows(
                "SELECT step_key, rows_in, rows_out, rows_dropped, seconds FROM step_stats WHERE run = ? AND "
                "step_key IN (SELECT unnest(?::VARCHAR[]))", [s.run, [x["key"] for x in s.steps]])}
        except Exception:  # the run holds the workspace for a moment: the next poll will see it
            done = {}
        steps = []
        for x in s.steps:
            d = done.get(x["key"])
            parts = len([p for p in list_parts(x["dir"])]) if not d else None
            steps.append({"step": x["step"], "done": d is not None, "rows_out": d and d["rows_out"],
                          "dropped": d and d["rows_dropped"], "seconds": d and d["seconds"], "parts": parts})
        if code is not None and s.status == "running":
            s.status = "done" if code == 0 else "failed"
            if code:
                s.error = _tail(Path(s.recipe_path).parent / "run.log")
        return {"steps": steps, "exit_code": code, "finished": sum(x["done"] for x in steps), "total": len(steps)}


def plan_view(plan, validation) -> dict[str, Any]:
    """A plan as the page shows it: each step with its reason and every parameter of its operator (current
    value, default, type, allowed values, meaning), so parameters can be edited in a form."""
    from tilth.ops import registry

    steps = []
    for i, st in enumerate(plan.steps, 1):
        try:
            meta = registry.get(st.op).metadata()["params"]
        except Exception:  # a generated or unknown operator: show what the plan has
            meta = [{"name": k, "type": type(v).__name__, "default": None, "description": ""} for k, v in st.params.items()]
        params = [{**{k: p.get(k) for k in ("name", "type", "default", "description", "choices", "bounds")},
                   "value": yaml.safe_dump(st.params[p["name"]], default_flow_style=True).strip().removesuffix("...").strip()
                   if p["name"] in st.params else ""} for p in meta]
        steps.append({"index": i, "op": st.op, "why": st.why, "params": params, "expects": st.expects})
    v = validation
    return {"name": plan.name, "planner": plan.planner, "input": plan.input, "notes": list(plan.notes),
            "unmatched": list(plan.unmatched), "steps": steps, "questions": list(plan.questions), "ok": bool(v and v.ok),
            "problems": [str(p) for p in (v.problems if v else [])],
            "sample_rows": list(v.sample_rows) if v else [], "dry_run": bool(v and v.dry_run)}


def edited_recipe(plan, params: dict[str, dict[str, str]]) -> str:
    """The plan's recipe YAML with the form's parameters: each value is read as YAML (`50`, `true`, `[en]`),
    an empty value drops the parameter (the operator's default applies)."""
    new = plan.model_copy(deep=True)
    for key, values in params.items():
        i = int(key) - 1
        if not 0 <= i < len(new.steps):
            raise ValueError(f"the plan has no step {key}")
        merged = dict(new.steps[i].params)
        for name, raw in values.items():
            if raw is None or str(raw).strip() == "":
                merged.pop(name, None)
                continue
            try:
                merged[name] = yaml.safe_load(str(raw))
            except yaml.YAMLError:
                raise ValueError(f"step {key} {name}: {raw!r} is not a value (a number, true/false, text or "
                                 "[a, list])") from None
        new.steps[i].params = merged
    return new.to_recipe().to_yaml()


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""
