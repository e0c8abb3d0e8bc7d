"""Automatic validation of a plan before a human sees it, in order of cost:

1. the recipe checks (reader, operator names, parameter schemas, column flow) from tilth.pipeline.validate;
2. agent checks the recipe cannot make: parameters that name a column (`where_column`, `*_field`) must
   name one that exists upstream, and a plan may hold one reader only, as its input;
3. calibration of data-driven parameters (e.g. `where_min` from the sample's difficulty quantile);
4. a dry run of the whole recipe on a 20-row sample in a throw-away workspace (local executor, one worker).

Every problem names its step, so a planner (or a person) can repair exactly that step.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from rich.console import Console

from tilth.agent.plan import Plan
from tilth.ops import registry
from tilth.pipeline.validate import Problem, validate

SAMPLE_ROWS = 20
WIDE_SAMPLE_ROWS = 1000  # a second look when a step drops every one of the SAMPLE_ROWS
# a dry run with a language model step: enough to prove prompt, endpoint and columns work, not to judge the output
LLM_SAMPLE_ROWS = 4
LLM_SAMPLE_TOKENS = 48


@dataclass
class Validation:
    problems: list[Problem] = field(default_factory=list)
    sample_rows: list[int] = field(default_factory=list)  # rows after the reader and each step, on the sample
    sample_output: list[dict] = field(default_factory=list)
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # shown beside "validated": the plan runs, but look

    @property
    def ok(self) -> bool:
        return not self.problems


def safe_validate(plan: Plan) -> list[Problem]:
    """The recipe checks; an operator whose metadata itself is broken becomes a problem of its step, not a crash."""
    try:
        return validate(plan.to_recipe())[2]
    except Exception as e:  # e.g. an output column template naming a parameter that does not exist
        for i, step in enumerate(plan.steps, 1):
            try:
                op = registry.build(step.op, step.params)
                op.input_columns(), op.output_columns()
            except Exception as e2:  # this step's operator is the broken one
                return [Problem(i, f"step {i}: {step.op}", f"operator metadata is broken: {type(e2).__name__}: {e2}",
                                "report it to the operator's author, or use another operator")]
        return [Problem(0, "recipe", f"validation crashed: {type(e).__name__}: {e}", "check the recipe by hand")]


def column_param_problems(plan: Plan, columns: list[str]) -> list[Problem]:
    """Parameters naming a column must name one that exists when the step runs."""
    problems = []
    cols = set(columns)
    for i, step in enumerate(plan.steps, 1):
        try:
            cls = registry.get(step.op)
        except registry.UnknownOperator:
            return problems  # reported by the recipe checks; columns downstream are unknown
        try:  # a column the step writes (a rewrite's output_field) need not exist before it
            written = set(cls(**step.params).output_columns())
        except Exception:
            written = set()
        for name, value in step.params.items():
            if isinstance(value, str) and (name.endswith(("_column", "_field")) or name == "where_column"):
                if value not in cols and (value not in written or name == "where_column"):
                    problems.append(Problem(i, f"step {i}: {step.op}", f"parameter {name}={value!r} names a column that "
                                            f"does not exist at this step", f"use one of {sorted(cols)}, or add a step "
                                            f"that produces {value!r} before this one"))
        try:
            op = cls(**step.params)
            cols = (cols - set(op.removed_columns(sorted(cols)))) | set(op.output_columns())
        except Exception:  # bad params are reported by the recipe checks
            cols |= {c for c in cls.outputs if "{" not in c}
    return problems


def _sample_recipe(plan: Plan, steps: int | None = None, folder: Path | None = None, rows: int | None = None):
    from tilth.ops import registry

    recipe = plan.to_recipe(workers=1)
    data = recipe.model_dump()
    data["steps"] = data["steps"][: steps if steps is not None else len(data["steps"])]
    llm = False
    for step in data["steps"]:
        try:
            cls = registry.get(step["op"])
        except registry.UnknownOperator:
            continue
        if cls.resources.llm:  # a CPU answers a few short requests in seconds, 20 long ones in minutes
            llm = True
            if "max_tokens" in cls.Params.model_fields:
                asked = step["params"].get("max_tokens") or LLM_SAMPLE_TOKENS
                step["params"] = {**step["params"], "max_tokens": min(asked, LLM_SAMPLE_TOKENS)}
    n = LLM_SAMPLE_ROWS if llm else rows or SAMPLE_ROWS
    spread_input = _spread_sample(data["input"], n, folder) if folder is not None else None
    data["input"] = spread_input or {**data["input"], "limit": n}
    data["output"] = {}
    data["executor"] = "local"
    return type(recipe).model_validate(data)


def _spread_sample(spec: dict, n: int, folder: Path) -> dict | None:
    """An input of `n` rows spread over the table's first rows (peek.spread), written to `folder` as Parquet;
    None where the input is not one plain table file (pages, PDFs, a folder, reader options Parquet lacks)."""
    if set(spec) - {"path", "text", "format", "limit", "batch_size"} or not os.path.isfile(spec["path"]):
        return None
    st = os.stat(spec["path"])
    try:
        table = _spread_table(spec["path"], st.st_mtime_ns, st.st_size, spec.get("text"), spec.get("format"), n,
                              spec.get("limit"))
    except Exception:  # unreadable here: the dry run reports it the way the reader does
        return None
    if table is None:
        return None
    path = folder / "sample.parquet"
    pq.write_table(table, path)
    return {"path": str(path), "format": "read_parquet"}


@functools.lru_cache(maxsize=8)
def _spread_table(path: str, mtime_ns: int, size: int, text: str | None, fmt: str | None, n: int,
                  limit: int | None = None):
    """(Cached per file version: validation runs the sample once per calibrated step and once more; a recipe's
    `limit`, "the first 200 rows", bounds the rows the sample is spread over.)"""
    from tilth.agent.peek import TABLE_READERS, head_table, spread
    from tilth.pipeline.recipe import Recipe
    from tilth.pipeline.validate import build_reader

    spec = {"path": path, **({"format": fmt} if fmt else {})}
    if build_reader(Recipe(name="sample", input=spec)).name not in TABLE_READERS:
        return None
    table = head_table({**spec, **({"text": text} if text else {})}, n)
    if table is not None and limit is not None:
        table = table.slice(0, limit)
    if table is None or table.num_rows <= n:
        return None  # (all of it is the first n rows anyway)
    return spread(table.drop_columns([c for c in table.column_names if c == "_id"]), n)


def run_sample(plan: Plan, steps: int | None = None, rows: int | None = None):
    """Run (a prefix of) the plan on the sample (`rows` of it, where no step calls an LLM); return (RunResult,
    rows of the last step)."""
    from tilth.pipeline.runner import Runner
    from tilth.storage.parts import list_parts

    with tempfile.TemporaryDirectory(prefix="tilth-agent-dry-") as tmp:
        quiet = Console(file=io.StringIO())
        runner = Runner(_sample_recipe(plan, steps, Path(tmp), rows), workspace=Path(tmp) / "ws", executor="local", progress=False,
                        console=quiet)
        runner.write_html_report = False  # a throw-away run on 20 rows needs no HTML report
        result = runner.run()
        parts = list_parts(result.steps[-1].directory)
        rows = [r for p in parts for r in pq.read_table(p).to_pylist()]
        return result, rows


def calibrate(plan: Plan) -> list[Problem]:
    """Set data-driven parameters from the sample: run the steps before the step, take the quantile."""
    problems = []
    for i, step in enumerate(plan.steps, 1):
        c = step.calibrate
        if not c:
            continue
        if c.get("fit_filter"):
            problems += _fit_filter(plan, i)
            continue
        try:
            _, rows = run_sample(plan, steps=i - 1)
        except Exception as e:  # reported as a problem of this step: its inputs could not be computed
            problems.append(Problem(i, f"step {i}: {step.op}", f"cannot calibrate {c['param']}: {e}",
                                    "fix the steps before it, or set the parameter by hand"))
            continue
        if c.get("score_self"):  # the column is this filter's own score (e.g. perplexity): score the sample
            try:
                rows = _own_scores(step, c["param"], rows)
            except Exception as e:
                problems.append(Problem(i, f"step {i}: {step.op}", f"cannot score the sample to set {c['param']}: "
                                        f"{type(e).__name__}: {e}", f"set {c['param']} by hand"))
                continue
        values = sorted(float(r[c["column"]]) for r in rows
                        if r.get(c["column"]) is not None and r[c["column"]] == r[c["column"]])
        if not values:
            problems.append(Problem(i, f"step {i}: {step.op}", f"cannot calibrate {c['param']}: no values of "
                                    f"{c['column']!r} on the sample", f"set {c['param']} by hand"))
            continue
        k = min(len(values) - 1, int(c["quantile"] * len(values)))
        value = values[k]
        # ties at the bound: a lower bound of 1 word where a tenth of the sample is one word long drops only the empty
        # rows ("remove short messages" kept "ok" and "thanks"): the next value past the ties, if that drops at most
        # half of the sample
        share = c["quantile"] * len(values)
        if c["param"].startswith("min") and sum(v < value for v in values) < share:
            nxt = next((v for v in values if v > value), None)
            if nxt is not None and all(float(v).is_integer() for v in values):
                nxt = min(nxt, value + 1)  # (counts: just past the tied ones, not up to the next length seen)
            if nxt is not None and sum(v < nxt for v in values) <= TIED_DROP_MAX * len(values):
                value = nxt
        step.params[c["param"]] = round(value, 4)
    return problems


TIED_DROP_MAX = 0.5  # the most of the sample a calibrated bound moved past tied values may drop


def _own_scores(step, param: str, rows: list[dict]) -> list[dict]:
    """The step's score columns on the sample rows, computed with `param` left unset."""
    import numpy as np
    import pyarrow as pa

    op = registry.build(step.op, {k: v for k, v in step.params.items() if k != param})
    scores = op.score(pa.Table.from_pylist(rows))
    cols = {k: (v.to_pylist() if hasattr(v, "to_pylist") else np.asarray(v).tolist()) for k, v in scores.items()}
    return [{k: cols[k][j] for k in cols} for j in range(len(rows))]


def _fit_filter(plan: Plan, i: int) -> list[Problem]:
    """Relax a heuristic filter's thresholds to the sample if its defaults would drop most of it."""
    import numpy as np
    import pyarrow as pa

    step, c = plan.steps[i - 1], plan.steps[i - 1].calibrate
    try:
        _, rows = run_sample(plan, steps=i - 1)
        if not rows:  # (the steps before it keep none of the sample: nothing to fit, the defaults stay)
            return []
        op = registry.build(step.op, step.params)
        batch = pa.Table.from_pylist(rows)
        scores = pa.table({k: pa.array(np.asarray(v)) if not isinstance(v, (pa.Array, pa.ChunkedArray)) else v
                           for k, v in op.score(batch).items()})
        mask, _ = op.decide(scores, batch)  # (rows outside the step's scope stay)
    except Exception as e:  # the dry run reports the same failure with more context
        return [Problem(i, f"step {i}: {step.op}", f"cannot score the sample: {type(e).__name__}: {e}",
                        "change this step's parameters or replace the operator")]
    dropped = 1 - float(np.mean(mask)) if len(mask) else 0.0
    if dropped <= c["max_drop"]:
        return []
    q = c["quantile"]
    changed = []
    for t_col, param, keep_if, value in op.threshold_values():
        if t_col not in scores.column_names or param in c.get("fixed", ()):  # (a bound the request said stays)
            continue
        vals = np.asarray(scores.column(t_col).to_numpy(zero_copy_only=False), float)
        vals = vals[~np.isnan(vals)]
        if not len(vals):
            continue
        edge = float(np.quantile(vals, q if keep_if == ">=" else 1 - q))
        cur = step.params.get(param, value)
        new = min(cur, edge) if keep_if == ">=" else max(cur, edge)
        if isinstance(value, int) and not isinstance(value, bool):
            new = int(np.floor(new)) if keep_if == ">=" else int(np.ceil(new))
        else:
            new = round(new, 4)
        if new != cur:
            step.params[param] = new
            changed.append(f"{param} {value} -> {new}")
    if changed:
        step.why += (f"; its defaults would drop {dropped:.0%} of your sample, so thresholds were fitted to the "
                     f"sample's {q:.0%} quantile: " + ", ".join(changed))
    return []


def check_plan(plan: Plan, dry_run: bool = True) -> Validation:
    """Validate `plan` in place (calibration writes parameters) and return every problem found."""
    from tilth.agent.peek import peek

    v = Validation()
    if not plan.steps and not plan.questions and plan.removed:  # understood, but nothing planned can run on this data
        v.problems.append(Problem(0, "plan", "no step is left: validation removed every step I planned ("
                                  + "; ".join(plan.removed) + ")",
                                  "name the column to use, or change the data so the step can run on it"))
        return v
    if not plan.steps and not plan.questions:  # copying the input unchanged is never what a request asked for
        what = "; ".join(repr(u) for u in plan.unmatched) or repr(plan.request)
        v.problems.append(Problem(0, "plan", f"the plan is empty: no step was planned for {what} (the notes say why)",
                                  "rephrase the request (one job per clause), name an operator from `tilth ops "
                                  "list`, or configure a capable LLM (TILTH_LLM_URL) to generate an operator"))
        return v
    recipe = plan.to_recipe()
    v.problems += safe_validate(plan)
    if v.problems:
        return v
    try:
        cols = peek(recipe.input["path"], fmt=recipe.input.get("format")).pipeline_columns
    except Exception:  # the recipe checks passed, so the reader works; columns are then unknown
        cols = None
    if cols is not None:
        text = recipe.input.get("text")
        cols = [c for c in cols if c != text]
        v.problems += column_param_problems(plan, cols)
    if v.problems or not dry_run:
        return v
    v.problems += calibrate(plan)
    if v.problems:
        return v
    v.problems += safe_validate(plan)  # calibrated values must satisfy the parameter schemas too
    if v.problems:
        return v
    try:
        result, rows = run_sample(plan)
        v.sample_rows = [s.rows_out for s in result.steps]
        v.sample_output = rows[:5]
        v.dry_run = True
        if v.sample_rows[0] >= SAMPLE_ROWS and emptied_sample(plan, v.sample_rows):
            # "meeting room bookings over €100" keeps 8 of 80 rows: 20 sample rows may hold none of them; a wider
            # sample says whether the step really keeps nothing (not where the sample was all the file has, or an
            # LLM step's few rows: a rerun would read the same rows again)
            wide, _ = run_sample(plan, rows=WIDE_SAMPLE_ROWS)
            counts = [s.rows_out for s in wide.steps]
            if len(counts) == len(v.sample_rows) and counts[0] > v.sample_rows[0] and not emptied_sample(plan, counts):
                v.sample_rows = counts
        v.warnings += emptied_sample(plan, v.sample_rows) or mostly_dropped(plan, v.sample_rows)
        v.problems += [Problem(0, "question", f"{a['ask']!r} cannot be answered: {a['error']}",
                               f"fix its SQL ({a['sql']}) over the columns of `output`") for a in result.answers if "error" in a]
    except Exception as e:  # any operator error on real rows is a plan problem; name the step that failed
        i = _failed_step(e, plan)
        where = f"step {i}: {plan.steps[i - 1].op}" if i else "input"
        v.problems.append(Problem(i, where, f"dry run on {SAMPLE_ROWS} sample rows failed: {type(e).__name__}: {e}",
                                  "change this step's parameters or replace the operator"))
    return v


def emptied_sample(plan: Plan, rows: list[int]) -> list[str]:
    """A step that drops every row of the sample ("between fifty and four hundred words" read as min=400) is
    more often a misread bound than the wish; the run would export nothing."""
    for i, step in enumerate(plan.steps, 1):
        if i < len(rows) and rows[i - 1] >= 5 and rows[i] == 0:
            shown = ", ".join(f"{k}={v!r}" for k, v in step.params.items() if not k.endswith(("_field", "_column")))
            return [f"step {i} ({step.op}{': ' + shown if shown else ''}) drops all {rows[i - 1]} sample rows: the run "
                    "would export nothing. Check its parameters."]
    if len(rows) > 1 and rows[0] >= 5 and rows[-1] == 0:  # (steps that each keep a few: 20 -> 3 -> 0)
        i = next(i for i in range(1, len(rows)) if rows[i] == 0)
        return [f"the plan keeps none of the {rows[0]} sample rows (step {i}, {plan.steps[i - 1].op}, drops the last "
                f"{rows[i - 1]}): the run would export nothing. Check the steps' parameters."]
    return []


def mostly_dropped(plan: Plan, rows: list[int]) -> list[str]:
    """A step that keeps under a tenth of ten or more sample rows, where no step asks for a share or count by
    rank: worth a look before the run (a bound read the wrong way round keeps the rows it should drop)."""
    out = []
    for i, step in enumerate(plan.steps, 1):
        if i < len(rows) and rows[i - 1] >= 10 and 0 < rows[i] < 0.1 * rows[i - 1] \
                and not {"fraction", "count", "keep_fraction"} & set(step.params):
            out.append(f"step {i} ({step.op}) keeps {rows[i]} of {rows[i - 1]} sample rows: check that it keeps "
                       "what you meant and drops the rest, not the other way round.")
    return out


def _failed_step(err: Exception, plan: Plan) -> int:
    """The step an exception came from: the last traceback frame that lies inside a step's operator class."""
    import inspect
    import traceback

    spans = []
    for i, step in enumerate(plan.steps, 1):
        cls = registry.get(step.op)
        try:
            lines, start = inspect.getsourcelines(cls)
            spans.append((i, str(Path(inspect.getfile(cls)).resolve()), start, start + len(lines)))
        except (OSError, TypeError):
            continue
    found = 0
    for fr in traceback.extract_tb(err.__traceback__):
        for i, f, a, b in spans:
            if str(Path(fr.filename).resolve()) == f and a <= (fr.lineno or 0) < b:
                found = i
    return found or len(plan.steps)
