"""`tilth` command line: thin wrappers over the layers below.

Errors: a command that fails prints one line, `error: <what happened and the fix>`, and exits non-zero;
`--debug` (anywhere on the command line) or TILTH_DEBUG=1 shows the traceback instead. Text that comes
from data, recipes or operator metadata is printed as plain text, never as rich markup (where
`[step 2: lang_id]` or `[min, max]` would vanish as unknown tags).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

_DEBUG = False
# pydantic looks up plugins in every installed package's entry points (~0.1 s); the CLI uses none
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
# At exit, after every other atexit handler (they run last-registered first), move the objects still alive to
# the GC's permanent generation: the interpreter's shutdown collections then skip them instead of traversing
# pyarrow's, duckdb's, pydantic's and numpy's objects a few times (0.1 s of every command). Nothing is lost:
# shutdown still frees the modules, and objects alive at exit were never promised a collection.
atexit.register(gc.freeze)


class TilthGroup(TyperGroup):
    """The root command: `--debug` anywhere, and one clear line for every error a command raises."""

    def main(self, args=None, *a, **kw):
        global _DEBUG
        args = list(sys.argv[1:] if args is None else args)
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:end]:
            _DEBUG = True
            args = [x for x in args[:end] if x != "--debug"] + args[end:]
        # a request written as a list ("- drop the rows ...\n- keep ..."): a dash and a space start no option's
        # name, so the words are an argument (click read them as the unknown option "-"); they go after "--"
        worded = [x for x in args[:end] if re.match(r"-+\s", x)]
        if worded:
            args = [x for x in args[:end] if x not in worded] + ["--", *worded] + args[end + 1:]
        return super().main(args, *a, **kw)

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        # typer parses every command's options through pydantic: import it before, without the ~0.02 s of
        # cyclic collections its import triggers (tilth.lazy.paused_gc); a bare `tilth --help` never gets here
        from tilth.lazy import paused_gc

        with paused_gc():
            import pydantic  # noqa: F401
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own (its click is built in): not ours
            raise
        except Exception as e:
            if _DEBUG or os.environ.get("TILTH_DEBUG"):
                raise
            message, code = describe_error(e)
            err.print(Text.assemble(("error: ", "red"), message), soft_wrap=True)
            raise typer.Exit(code) from None


app = typer.Typer(help="Tilth: data-centric LLM training on an embedded DuckDB + Parquet workspace.",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=TilthGroup,
                  context_settings={"help_option_names": ["-h", "--help"]})
ops_app = typer.Typer(help="List and describe operators.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
# Wide enough for tables when piped (rich would fall back to 80 columns).
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                                    "(default: $TILTH_WORKSPACE or ./tilth-workspace).")]


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback when a command fails "
                                               "(also TILTH_DEBUG=1).")] = False):
    """Tilth: data-centric LLM training on an embedded DuckDB + Parquet workspace."""


def describe_error(e: BaseException) -> tuple[str, int]:
    """One line for an error: what happened and what to do (exit code 2: bad input; 1: the rest)."""
    from pydantic import ValidationError

    from tilth.llm.client import LLMError
    from tilth.storage.workspace import NameConflict, WorkspaceBusy

    debug = " (run with --debug for the traceback)"
    if isinstance(e, WorkspaceBusy | NameConflict):
        return str(e), 1 if isinstance(e, WorkspaceBusy) else 2
    if isinstance(e, ValidationError):
        return f"invalid {e.title.lower()}: " + "; ".join(_pydantic_lines(e)), 2
    if isinstance(e, LLMError):
        return (f"LLM request failed: {_one_line(e)}; check that the endpoint is up (recipe `llm: {{url: ...}}` or "
                "TILTH_LLM_URL), or remove it to use the embedded model"), 1
    if isinstance(e, FileNotFoundError | IsADirectoryError | PermissionError) and e.filename:
        return f"{e.strerror or 'cannot open'}: {e.filename}", 2
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0]), 2
    if isinstance(e, ValueError | FileNotFoundError):
        return _one_line(e), 2
    return f"{type(e).__name__}: {_one_line(e)}{debug}", 1


def _one_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return "; ".join(lines) if len(lines) <= 3 else str(e).strip()


def _pydantic_lines(e) -> list[str]:
    out = []
    for x in e.errors():
        loc = ".".join(str(p) for p in x["loc"]) or "value"
        msg = "unknown key" if x["type"] == "extra_forbidden" else x["msg"].removeprefix("Value error, ")
        got = "" if x["type"] == "missing" else f" (got {x.get('input')!r:.60})"
        out.append(f"{loc}: {msg}{got}")
    return out


def _fail(msg: str, code: int = 1):
    err.print(Text.assemble(("error: ", "red"), str(msg)), soft_wrap=True)
    raise typer.Exit(code)


def hint(command: str, *args: str, workspace: Path | str | None = None) -> str:
    """A follow-up `tilth <command> ...` to print: with `-w` when the workspace is not the default one,
    every word quoted for the shell."""
    from tilth.storage.workspace import default_workspace

    words = ["tilth", command]
    if workspace is not None and Path(workspace).resolve() != default_workspace().resolve():
        words += ["-w", str(workspace)]
    return " ".join(_shell_word(w) for w in [*words, *args])


def _shell_word(word: str) -> str:
    """`word` quoted for a POSIX shell, in double quotes when that is enough (SQL keeps its 'quotes')."""
    if shlex.quote(word) == word:
        return word
    if not any(ch in word for ch in '"$`\\!'):
        return f'"{word}"'
    return shlex.quote(word)


def print_arrow(table, title: str | None = None, max_rows: int = 50, max_width: int = 60) -> None:
    t = Table(title=Text(title) if title else None)
    for name in table.column_names:
        t.add_column(Text(_cell(name, 1 << 10)), overflow="fold")  # (a column name from the data, escaped too)
    for row in table.slice(0, max_rows).to_pylist():
        t.add_row(*[Text(_cell(v, max_width)) for v in row.values()])
    console.print(t)
    if table.num_rows > max_rows:
        console.print(f"... {table.num_rows - max_rows:,} more rows")


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _cell(v, width: int) -> str:
    """A value as a table shows it: line breaks as ⏎, other control characters escaped (\x1b), so that data cannot
    move the cursor, clear or retitle the user's terminal (an ANSI or OSC sequence in a text)."""
    s = f"{v:,.4g}" if isinstance(v, float) else str(v)
    s = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", s.replace("\n", "⏎"))
    return s if len(s) <= width else s[: width - 1] + "…"


@app.command()
def run(recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
        workspace: WorkspaceOpt = None,
        executor: Annotated[str | None, typer.Option(help="Override the recipe's executor: local or ray.")] = None,
        ray_address: Annotated[str | None, typer.Option(
            "--ray-address", help="Attach to a running Ray cluster (started with `ray start`): auto, or HOST:PORT "
            "of its head node. Implies --executor ray.")] = None,
        workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
        no_report: Annotated[bool, typer.Option("--no-report", help="Skip the HTML run report (`tilth report RUN` "
                                                "writes it later).")] = False,
        allow_unconfined: Annotated[bool, typer.Option(
            "--allow-unconfined", help="Where no bubblewrap sandbox exists, run generated operators anyway, in a "
            "plain child process with resource limits only (by default they are refused).")] = False):
    """Run (or resume) a recipe. Finished steps are reused; an interrupted step continues from its last part."""
    from tilth.lazy import paused_gc

    with paused_gc():
        from tilth.pipeline import Recipe, RecipeError, Runner
        from tilth.pipeline.runner import summary_table

    if allow_unconfined:
        from tilth.agent.sandbox import ALLOW_ENV

        os.environ[ALLOW_ENV] = "1"  # read by the sandbox in this process and in every worker

    from tilth.agent.confined import ConfinedError
    from tilth.agent.sandbox import SandboxUnavailable
    from tilth.storage.workspace import RunInProgress

    r = Recipe.from_yaml(recipe)
    if workers:
        r = r.model_copy(update={"workers": workers})
    if executor:
        r = r.model_copy(update={"executor": executor})
    if ray_address:
        if executor not in (None, "ray"):
            _fail(f"--ray-address attaches to a Ray cluster, but --executor is {executor!r} (drop one of them)", 2)
        from tilth.exec.base import with_ray_address

        r = r.model_copy(update={"executor": with_ray_address(r.executor, ray_address)})
    if no_report:
        r = r.model_copy(update={"output": r.output.model_copy(update={"report": False})})
    try:
        result = Runner(r, workspace, progress=not quiet).run()
    except RecipeError as e:
        _fail(str(e), 2)
    except (ValueError, FileNotFoundError, SandboxUnavailable) as e:
        _fail(str(e), 2)
    except ConnectionError as e:  # --ray-address: no cluster there
        _fail(str(e), 2)
    except RunInProgress as e:  # the same recipe already running on this workspace
        _fail(str(e), 2)
    except ConfinedError as e:  # a generated operator failed in its sandbox: its own message says how
        _fail(str(e), 1)
    console.print(summary_table(result))
    shown_ws = workspace if workspace is not None else result.workspace
    q = sum(s.quarantined for s in result.steps)
    if q:
        sql_text = f"SELECT * FROM quarantine WHERE run = {_sql_str(result.run)}"
        console.print(Text.assemble((f"{q} malformed records quarantined", "yellow"), ": ",
                                    hint("sql", sql_text, workspace=shown_ws)), soft_wrap=True)
    console.print(Text.assemble("output dataset ", (result.output.name, "bold"),
                                f" v{result.output.version}: {result.output.rows:,} rows"))
    if result.export:
        console.print(Text(f"exported to {result.export}"))
    if result.answers:  # the recipe's questions, answered from the output
        from tilth.report.answers import answer_lines

        for line in answer_lines(result.answers):
            console.print(Text(line))


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@app.command()
def validate(recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")]):
    """Check a recipe without running it; print every problem with its step and a fix."""
    from tilth.pipeline import Recipe
    from tilth.pipeline.validate import validate as check

    r = Recipe.from_yaml(recipe)
    _, ops, problems = check(r)
    if problems:
        for i, p in enumerate(problems, 1):
            err.print(Text(f"{i}. {p}"), soft_wrap=True)
        raise typer.Exit(2)
    console.print(Text.assemble(("ok", "green"), f": {len(ops)} steps"))


@app.command()
def sql(query: Annotated[str, typer.Argument(help="SQL over the workspace: datasets are views; also lineage, "
                                              "quarantine, step_stats, runs, datasets.")],
        workspace: WorkspaceOpt = None,
        fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
        limit: Annotated[int, typer.Option(help="Rows to print in table format.")] = 50):
    """Query the workspace with DuckDB SQL."""
    import duckdb

    from tilth.storage import Workspace

    try:
        statements = [st.query for st in duckdb.extract_statements(query)]
    except duckdb.Error as e:
        _fail(str(e), 2)
    if not statements:
        _fail("no SQL statement given, e.g. tilth sql \"SELECT * FROM datasets\"", 2)
    ws = Workspace(workspace, read_only=True)
    for i, statement in enumerate(statements):  # "SELECT 1; SELECT 2": every result, not only the last
        try:
            result = ws.sql(statement)
        except duckdb.Error as e:  # duckdb raises many error types; all are user errors here
            _fail(str(e), 2)
        if len(statements) > 1 and fmt == "table":
            print(("\n" if i else "") + statement.strip())
        _print_result(result, fmt, limit)


def _print_result(result, fmt: str, limit: int) -> None:
    if fmt == "json":
        for row in result.to_pylist():
            print(json.dumps(row, default=str))
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        # to the stdout we were given: reopening /dev/stdout truncated a file redirected with >>
        sys.stdout.flush()
        pacsv.write_csv(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        print_arrow(result, max_rows=limit)


@app.command()
def datasets(workspace: WorkspaceOpt = None):
    """List the datasets in the workspace."""
    from tilth.storage import Workspace

    print_arrow(Workspace(workspace, read_only=True).datasets(), title="datasets")


@ops_app.command("list")
def ops_list(category: Annotated[str | None, typer.Option(help="acquire, process, rewrite or evaluate")] = None):
    """Every operator with its kind, category and description."""
    from tilth.ops import all_operators

    t = Table(title="operators")
    for col in ("name", "kind", "category", "description"):
        t.add_column(col, overflow="fold")
    for cls in all_operators():
        m = cls.metadata()
        if category and m["category"] != category:
            continue
        t.add_row(*(Text(m[k]) for k in ("name", "kind", "category", "description")))
    console.print(t)


@ops_app.command("show")
def ops_show(name: str, as_json: Annotated[bool, typer.Option("--json")] = False):
    """An operator's full metadata: columns, parameters (type, default, range, meaning), resources."""
    from tilth.ops import get
    from tilth.ops.base import param_range
    from tilth.ops.registry import UnknownOperator

    try:
        m = get(name).metadata()
    except UnknownOperator as e:
        _fail(str(e), 2)
    if as_json:
        print(json.dumps(m, indent=2, default=str))
        return
    console.print(Text.assemble((m["name"], "bold"), f"  ({m['kind']}, {m['category']})\n{m['description']}\n"))
    console.print(Text(f"reads: {', '.join(m['inputs']) or '-'}    writes: {', '.join(m['outputs']) or '-'}"))
    console.print(Text(f"resources: {m['resources']}    pipeline stage: {m['stage']}"))
    if m["examples"]:  # how users ask for this job: what the Data Agent matches requests against
        console.print(Text("asked for as: " + "; ".join(f'"{e}"' for e in m["examples"])))
    if m.get("cannot"):
        console.print(Text("does not do: " + "; ".join(m["cannot"])))
    if m.get("measured_by"):
        console.print(Text(f"to measure without dropping rows: {m['measured_by']}"))
    console.print()
    t = Table(title="parameters")
    for col in ("name", "type", "default", "range", "meaning"):
        t.add_column(col, overflow="fold")
    for p in m["params"]:
        t.add_row(*(Text(x) for x in (p["name"], p["type"], "(required)" if p["required"] else repr(p["default"]),
                                      param_range(p), p["description"])))
    console.print(t)


@app.command()
def docs(out: Annotated[Path, typer.Option(help="Where to write the operator reference.")] = Path("docs/operators.md")):
    """Regenerate the operator reference (and the built-in operator index) from operator metadata."""
    from tilth.docs import operator_reference
    from tilth.ops.registry import write_index

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(operator_reference())
    console.print(Text(f"wrote {out} and {write_index()}"))


@app.command()
def demo(workspace: WorkspaceOpt = None,
         docs_limit: Annotated[int, typer.Option(help="Cap on documents taken from each local source.")] = 4000):
    """Build a small real corpus from this machine's files and run the demo recipe end to end."""
    from tilth.demo import run_demo

    run_demo(Path(workspace or os.environ.get("TILTH_WORKSPACE", "tilth-workspace")), docs_limit, console)


# Commands that live with their layer (each keeps its heavy imports inside its commands).
from tilth.agent.cli import register as register_agent  # noqa: E402
from tilth.classify.cli import register as register_classifier  # noqa: E402
from tilth.llm.cli import llm_app  # noqa: E402
from tilth.report.cli import report  # noqa: E402
from tilth.train.cli import register as register_train  # noqa: E402
from tilth.ui.cli import register as register_ui  # noqa: E402

app.command("report")(report)  # `tilth report RUN`
app.add_typer(llm_app, name="llm")  # `tilth llm serve|usage`
register_agent(app)  # `tilth agent`, `tilth ask`
register_train(app)  # `tilth train`, `tilth experiment compare`
register_ui(app)  # `tilth ui`
register_classifier(app)  # `tilth classifier sample|train|list|show`

if __name__ == "__main__":
    app()
