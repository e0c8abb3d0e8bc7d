"""Check a recipe before anything runs and report every problem at once, each with its step and a fix.

Checks, in order: the input (reader known, path exists, a peek at a few records for the real columns),
the executor, each step's operator name, its parameters, and whether every column a step reads is
produced upstream.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tilth.exec.base import executor_problem
from tilth.ops import registry
from tilth.ops.base import Operator, OperatorParamError, Quarantined, Reader
from tilth.pipeline.recipe import Recipe

PEEK_ROWS = 20  # records looked at for the input's columns
PEEK_DEEP = 1000  # records looked at in a file whose first PEEK_ROWS are all broken
PEEK_FILES = 20  # shards (files) tried before giving up on finding a readable record


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


@dataclass
class Peek:
    """What a look at the first readable records of the input found."""

    columns: list[str] | None  # None: no readable record in what was looked at
    complete: bool  # every input file was read to its end
    shards: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    sample: pa.Table | None = None  # the readable records looked at, for steps that check values (dates vs numbers)

    @property
    def unreadable(self) -> bool:
        """Every file was read whole and none has a readable record: the run would produce nothing."""
        return self.columns is None and self.complete


def peek(reader: Reader) -> Peek:
    """Columns of the first few readable records, looking past empty, binary or truncated files and past
    a first stretch of broken records (readers tell us nothing about a user's fields otherwise)."""
    shards = reader.shards()
    if not shards:
        split = getattr(reader.params, "split", None)
        raise FileNotFoundError(f"no input files match {reader.params.path!r}"
                                + (f" in split {split!r}" if split else ""))
    columns: dict[str, None] = {}
    bad: list[Quarantined] = []
    seen: list[pa.Table] = []
    rows, complete = 0, len(shards) <= PEEK_FILES
    for shard in shards[:PEEK_FILES]:
        for limit in (PEEK_ROWS, PEEK_DEEP):
            tables, quarantined, cut = _peek_shard(reader, shard, limit)
            if any(t.num_rows for t in tables) or not cut:
                break
        bad += quarantined
        complete &= not cut
        for t in tables:
            if t.num_rows:
                columns.update(dict.fromkeys(t.column_names))
                rows += t.num_rows
                seen.append(t)
        if rows >= PEEK_ROWS:
            break
    return Peek(list(columns) if columns else None, complete and rows < PEEK_ROWS, len(shards), bad, _sample(seen))


def _sample(tables: list[pa.Table]) -> pa.Table | None:
    """The peeked records as one table; files whose columns disagree in type give the first file's records."""
    if not tables:
        return None
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return tables[0]


def _peek_shard(reader: Reader, shard: list[str], limit: int) -> tuple[list, list[Quarantined], bool]:
    """(tables, quarantined, whether the limit cut the shard short) for the first `limit` records."""
    small = type(reader)(**{**reader.params.model_dump(), "limit": limit, "batch_size": limit})
    tables, bad = [], []
    for item in small.read(shard[:limit]):
        (bad if isinstance(item, Quarantined) else tables).append(item)
    seen = sum(t.num_rows for t in tables) + len(bad)
    return tables, bad, seen >= limit or len(shard) > limit


def peek_columns(reader: Reader) -> list[str] | None:
    return peek(reader).columns


def _unreadable_problem(p: Peek) -> Problem:
    shown = "; ".join(f"{os.path.basename(q.file)}" + (f" line {q.line}" if q.line > 0 else "") + f": {q.error}"
                      for q in p.quarantined[:3])
    more = f" (and {len(p.quarantined) - 3} more)" if len(p.quarantined) > 3 else ""
    what = (f"none of the {p.shards} input files has a readable record" if p.shards > 1
            else "the input file has no readable record")
    why = f": {shown}{more}" if shown else " (empty)"
    return Problem(0, "input", what + why,
                   "point input.path at files in the format of the reader, or check input.text and input.format")


EXPORTS = ((".parquet",), "FORMAT parquet, COMPRESSION zstd"), ((".jsonl", ".json", ".ndjson"), "FORMAT json"), \
    ((".jsonl.gz", ".json.gz"), "FORMAT json, COMPRESSION gzip"), ((".csv",), "FORMAT csv, HEADER"), \
    ((".csv.gz",), "FORMAT csv, HEADER, COMPRESSION gzip"), ((".tsv",), "FORMAT csv, HEADER, DELIMITER '\t'")


def export_format(target: Path | str) -> str:
    """DuckDB's COPY options for an export target, by its file name (lists and structs become text in CSV)."""
    name = Path(target).name.lower()
    for ends, fmt in EXPORTS:
        if name.endswith(ends):
            return fmt
    raise ValueError(f"cannot export to {target}: use .jsonl, .jsonl.gz, .parquet, .csv, .csv.gz or .tsv")


def _export_problems(target: Path, reader: Reader | None) -> list[Problem]:
    """An export that would overwrite the input, be read back as input by the next run, or cannot be written."""
    target = target.expanduser().resolve()
    out = []
    if reader is not None:
        root = Path(reader.params.path).expanduser().resolve()
        try:
            inputs = {Path(f).resolve() for f in reader.files()}
        except OSError:  # a missing input is its own problem (reported above)
            inputs = set()
        if target in inputs:
            out.append(Problem(0, "output", f"output.export {target} is also an input file: the run would overwrite "
                               "its own input", "export to another file"))
        elif _read_back(target, reader, root):
            out.append(Problem(0, "output", f"output.export {target} matches the input ({reader.params.path}): the "
                               "next run would read it back as input", "export outside the input folder or glob"))
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        out.append(Problem(0, "output", f"cannot write output.export {target}: {ancestor} is not a writable folder",
                           "export to a folder you can write"))
    return out


def _formats() -> str:
    readers = sorted(c.name.removeprefix("read_") for c in registry.all_operators() if c.kind == "reader")
    return f"set input.format to one of: {', '.join(readers)} (`tilth ops show read_<format>` for its parameters)"


def _read_back(target: Path, reader: Reader, root: Path) -> bool:
    """The next run of the same recipe would read `target` as one of its input files."""
    if root.is_dir():
        patterns = [*getattr(reader, "patterns", ()), *([reader.params.glob] if hasattr(reader.params, "glob") else [])]
        return target.is_relative_to(root) and any(fnmatch.fnmatch(target.name.lower(), p) for p in patterns)
    pattern = str(reader.params.path)
    return any(ch in pattern for ch in "*?[") and fnmatch.fnmatch(str(target), os.path.abspath(pattern))


def _mixed_folder_problems(recipe: Recipe) -> list[Problem]:
    """A folder of several data formats read without a format: the reader of the most common one would skip
    the rest without a word (3 JSONL files read, 2 CSV files left out)."""
    from tilth.ops.acquire.readers import folder_formats

    path = str(recipe.input.get("path", ""))
    if recipe.input.get("format") or not os.path.isdir(path):
        return []
    counts = folder_formats(path)
    if len(counts) < 2:
        return []
    held = ", ".join(f"{n} for {r}" for r, n in counts.most_common())
    return [Problem(0, "input", f"the folder {path} holds data files of {len(counts)} formats ({held}); one reader "
                    "reads one format, so the others would be left out",
                    "set input.format to the format you mean (the rest is then skipped knowingly), or give each "
                    "format its own folder or glob (path: data/*.jsonl) and recipe")]


def validate(recipe: Recipe) -> tuple[Reader | None, list[Operator], list[Problem]]:
    """Build the reader and operators; return them with every problem found."""
    problems: list[Problem] = []
    for path in recipe.plugins:
        try:
            registry.load_plugin(path)
        except Exception as e:  # a plugin can fail in any way; report it, don't crash validation
            problems.append(Problem(0, "plugins", f"cannot load plugin {path}: {e}", "fix the plugin file or remove it"))

    reader, columns, input_columns, sample = None, None, None, None
    problems += _mixed_folder_problems(recipe)
    try:
        reader = build_reader(recipe)
        found = peek(reader)
        if found.unreadable:
            problems.append(_unreadable_problem(found))
        columns = None if found.columns is None else set(found.columns) | {"_id"}
        input_columns, sample = columns, found.sample
        named = getattr(reader.params, "text", None)
        text = sample.column("text") if sample is not None and "text" in sample.column_names else None
        if named and found.columns is not None and (text is None or text.null_count == len(text)):
            # (the reader renames the field to `text`; JSON records without it get a null one)
            problems.append(Problem(0, "input", f"input.text names the field {named!r}, but no record read has a "
                                    f"text there (fields: {', '.join(c for c in found.columns if c not in ('_id', 'text'))})",
                                    "set input.text to the field that holds the text"))
    except OperatorParamError as e:
        fix = f"see `tilth ops show {e.op}` for the reader's parameters" if e.op != "input" else _formats()
        problems += [Problem(0, "input", msg, fix) for msg in e.errors]
    except registry.UnknownOperator as e:  # input.format names no reader
        problems.append(Problem(0, "input", str(e), _formats()))
    except FileNotFoundError as e:
        problems.append(Problem(0, "input", str(e), "point input.path at an existing file, directory or glob"))
    if recipe.output.export:  # before the run, not after it
        try:
            export_format(recipe.output.export)
        except ValueError as e:
            problems.append(Problem(0, "output", str(e), "change output.export's file name"))
        problems += _export_problems(Path(recipe.output.export), reader)
    bad_executor = executor_problem(recipe.executor)
    if bad_executor:
        problems.append(Problem(0, "executor", *bad_executor))

    ops: list[Operator] = []
    for i, step in enumerate(recipe.steps, 1):
        where = f"step {i}: {step.op}"
        try:
            cls = registry.get(step.op)
        except registry.UnknownOperator as e:
            fix = f"use {e.suggestions[0]!r}" if e.suggestions else "run `tilth ops list` for the available operators"
            problems.append(Problem(i, where, str(e), fix))
            sample = None  # what it changed is unknown
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
            sample = None
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
            untouched = [c for c in sample.column_names if c in op.input_columns()] if sample is not None else []
            for msg in op.check_sample(sample.select(untouched)) if untouched else ():
                problems.append(Problem(i, where, msg, f"see `tilth ops show {step.op}`"))
            removed = set(op.removed_columns(sorted(columns)))
            for c in sorted(set(op.output_columns()) & (columns - removed) if op.reshapes else ()):
                problems.append(Problem(i, where, f"renames a column to {c!r}, which already exists and stays",
                                        f"drop {c!r} first, or pick another name"))
            columns = (columns - removed) | set(op.output_columns())
        if sample is not None:  # a column a step wrote or renamed no longer holds the input's values
            changed = set(op.output_columns()) | set(op.removed_columns(sample.column_names))
            sample = sample.drop_columns([c for c in sample.column_names if c in changed])
    if reader is not None and "text" in type(reader.params).model_fields and reader.params.text is None \
            and (input_columns is None or "text" in input_columns) and any("text" in op.input_columns() for op in ops):
        # a step reads `text`: a record without a string there is quarantined at ingest, not a crash later
        reader = type(reader)(**{**reader.params.model_dump(), "text": "text"})
    return reader, ops, problems


def check(recipe: Recipe) -> tuple[Reader, list[Operator]]:
    reader, ops, problems = validate(recipe)
    if problems:
        raise RecipeError(problems)
    return reader, ops
