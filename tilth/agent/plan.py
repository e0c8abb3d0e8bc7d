"""The plan a planner proposes and a human reviews: ordered steps with parameters and reasons.

A plan is a recipe plus the explanation (why each step, which columns it expects to exist afterwards);
`to_recipe()` drops the explanation, so what is saved and run is an ordinary, diffable recipe.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from tilth.pipeline.recipe import Output, Question, Recipe, Step


class PlanStep(BaseModel):
    op: str
    params: dict[str, Any] = Field(default_factory=dict)
    why: str = ""
    intent: str = ""  # the part of the request this step serves (dedup, quality, augment, ...)
    expects: list[str] = Field(default_factory=list, description="Columns present after this step.")
    calibrate: dict[str, Any] | None = Field(
        None, description="{param, column, quantile}: set `param` from the sample's distribution of `column`.")


class Plan(BaseModel):
    request: str
    name: str
    input: dict[str, Any]
    steps: list[PlanStep] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What the planner could not do, and why.")
    unmatched: list[str] = Field(default_factory=list, description="Parts of the request no skill matched.")
    keep_all_rows: bool = Field(False, description="The request forbids dropping rows.")
    removed: list[str] = Field(default_factory=list, description="Steps validation removed because they cannot run "
                                                                 "on this data (each with the reason).")
    planner: str = "offline"
    output: dict[str, Any] = Field(default_factory=dict)
    plugins: list[str] = Field(default_factory=list, description="Operator files the plan needs (generated ones).")
    questions: list[dict[str, str]] = Field(default_factory=list, description="Figures answered from the output "
                                            "after the run: {ask, sql} (SQL over `output`).")

    def to_recipe(self, workers: int | None = None) -> Recipe:
        return Recipe(
            name=self.name,
            description=self.request,
            input=dict(self.input),
            steps=[Step(op=s.op, params=dict(s.params)) for s in self.steps],
            output=Output(**self.output),
            workers=workers,
            plugins=list(self.plugins),
            questions=[Question(**q) for q in self.questions],
        )

    def ops(self) -> list[str]:
        return [s.op for s in self.steps]

    def unasked_scores(self, data_columns: tuple[str, ...] | list[str] = ()) -> list[str]:
        """The score columns of the filters that only decide which rows go ("length_words", "junk"): nobody asked to
        see them, so the export leaves them out (Output.leave_out; the workspace keeps them). A filter planned to
        measure (its measure_params: every row kept), a column a later step reads, one the request names and one the
        data had before (`data_columns`: lang_id writes `lang` over a data's own) stay."""
        from tilth.ops import build

        if self.keep_all_rows:
            return []
        out: list[str] = []
        ops = []
        for st in self.steps:
            try:
                ops.append((st, build(st.op, st.params)))
            except Exception:  # (a step that cannot be built is validation's to report: nothing to leave out)
                return []
        for i, (st, op) in enumerate(ops):
            measure = getattr(op, "measure_params", {}) or {}
            if op.kind != "filter" or measure and all(st.params.get(k) == v for k, v in measure.items()):
                continue
            read_later = {c for _, later in ops[i + 1:] for c in later.input_columns()}
            out += [c for c in op.output_columns() if c not in read_later and c not in out and c not in data_columns
                    and not re.search(rf"(?<![\w]){re.escape(c)}(?![\w])" + ("" if "_" in c else r"\s+(?:column|field)"),
                                      self.request, re.I)]  # ("junk" alone is a word, not the column)
        return out


LLM_NOTE = ("{ops} {verb} an LLM. With no endpoint configured the run starts the embedded SmolLM2-135M: it runs "
            "offline but is slow on a CPU (seconds per row) and weak at judging or writing. For real quality "
            "point Tilth at a capable OpenAI-compatible server, e.g. your vLLM: TILTH_LLM_URL=http://HOST:8000/v1 "
            "TILTH_LLM_MODEL=NAME (or an `llm: {{url, model}}` block in the recipe).")
_LLM_NOTE_HEAD = re.compile(r"([a-z0-9_]+(?:, [a-z0-9_]+)*) (?:calls|call) an LLM\.")


def llm_note(ops: list[str]) -> str:
    """The note that names the planned operators calling an LLM and what that means offline."""
    return LLM_NOTE.format(ops=", ".join(ops), verb="calls" if len(ops) == 1 else "call")


def llm_note_for(note: str, planned: set[str]) -> str:
    """`note` again, naming only the operators still `planned` if it is the LLM note (a step validation removed
    calls nothing); "" where none is left. Other notes are returned as they are."""
    m = _LLM_NOTE_HEAD.match(note)
    if m is None:
        return note
    ops = [o for o in m[1].split(", ") if o in planned]
    return llm_note(ops) if ops else ""


def recipe_name(request: str, max_words: int = 5) -> str:
    """A readable, valid recipe name from the request's first content words."""
    from tilth.agent.retrieve import _STOP

    words = [w for w in re.findall(r"[a-z0-9]+", request.lower()) if w not in _STOP][:max_words]
    return "-".join(words) or "agent-plan"
