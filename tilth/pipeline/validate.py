"""Check a recipe before anything runs and report every problem at once, each with its step and a fix.

Checks, in order: the input (reader known, path exists, a peek at a few records for the real columns),
each step's operator name, its parameters, and whether every column a step reads is produced upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from tilth.ops import registry
from tilth.ops.base import Operator, OperatorParamError, Reader
from tilth.pipeline.recipe import Recipe

PEEK_ROWS = 20


@dataclass(frozen=True)
class Problem:
    step: int  # 0 = input, 1.. = steps
    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.where}] {self.message}\n    fix: {self.fix}"


class RecipeError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"recipe has {len(problems)} problem{'s' * (len(problems) != 1)}:"]
        lines += [f"  {i}. {p}" for i, p in enumerate(problems, 1)]
        super().__init__("\n".join(lines))


def build_reader(recipe: Recipe) -> Reader:
    from tilth.ops.acquire.readers import guess_reader

    params = dict(recipe.input)
    fmt = params.pop("format", None) or guess_reader(params["path"])
    if fmt is None:
        raise OperatorParamError("input", [f"cannot tell the format of {params['path']!r}; set input.format"])
    if not fmt.startswith("read_"):
        fmt = f"read_{fmt}"
    cls = registry.get(fmt)
    if cls.kind != "reader":
        raise OperatorParamError("input", [f"{fmt} is a {cls.kind}, not a reader"])
    return cls(**params)


def peek_columns(reader: Reader) -> list[str]:
    """Columns of the first few records (readers tell us nothing about a user's fields otherwise)."""
    shards = reader.shards()
    if not shards:
        raise FileNotFoundError(f"no input files match {reader.params.path!r}")
    small = type(reader)(**{**reader.params.model_dump(), "limit": PEEK_ROWS, "batch_size": PEEK_ROWS})
    for item in small.read(shards[0][:PEEK_ROWS]):
        if not hasattr(item, "column_names"):
            continue
        return list(item.column_names)
    return ["_id"]


def validate(recipe: Recipe) -> tuple[Reader | None, list[Operator], list[Problem]]:
    """Build the reader and operators; return them with every problem found."""
    registry.load_builtin()
    problems: list[Problem] = []
    for path in recipe.plugins:
        try:
            registry.load_plugin(path)
        except Exception as e:  # a plugin can fail in any way; report it, don't crash validation
            problems.append(Problem(0, "plugins", f"cannot load plugin {path}: {e}", "fix the plugin file or remove it"))

    reader, columns = None, None
    try:
        reader = build_reader(recipe)
        columns = set(peek_columns(reader))
    except OperatorParamError as e:
        problems += [Problem(0, "input", msg, "see `tilth ops show " + e.op + "` for the reader's parameters") for msg in e.errors]
    except (FileNotFoundError, registry.UnknownOperator) as e:
        problems.append(Problem(0, "input", str(e), "point input.path at an existing file, directory or glob"))

    ops: list[Operator] = []
    for i, step in enumerate(recipe.steps, 1):
        where = f"step {i}: {step.op}"
        try:
            cls = registry.get(step.op)
        except registry.UnknownOperator as e:
            fix = f"use {e.suggestions[0]!r}" if e.suggestions else "run `tilth ops list` for the available operators"
            problems.append(Problem(i, where, str(e), fix))
            continue  # its outputs are unknown; keep checking later steps against what is known
        if cls.kind == "reader":
            problems.append(Problem(i, where, f"{step.op} is a reader", "readers go in `input:`, not in `steps:`"))
            continue
        try:
            op = cls(**step.params)
        except OperatorParamError as e:
            for msg in e.errors:
                problems.append(Problem(i, where, f"bad parameter {msg}", f"see `tilth ops show {step.op}`"))
            columns = None if columns is None else columns | set(cls.outputs)
            continue
        ops.append(op)
        if columns is not None:
            missing = [c for c in op.input_columns() if c not in columns]
            for c in missing:
                hint = (
                    f"set input.text: <your text field> so it is renamed to `text`, or pick an existing column: {sorted(columns)}"
                    if c == "text"
                    else f"add a step that produces {c!r} before this one, or pick an existing column: {sorted(columns)}"
                )
                problems.append(Problem(i, where, f"reads column {c!r}, which nothing upstream produces", hint))
            columns |= set(op.output_columns())
    return reader, ops, problems


def check(recipe: Recipe) -> tuple[Reader, list[Operator]]:
    reader, ops, problems = validate(recipe)
    if problems:
        raise RecipeError(problems)
    return reader, ops
