"""`tilth` command line: thin wrappers over the layers below."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Tilth: data-centric LLM training on an embedded DuckDB + Parquet workspace.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
ops_app = typer.Typer(help="List and describe operators.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
# Wide enough for tables when piped (rich would fall back to 80 columns).
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                                    "(default: $TILTH_WORKSPACE or ./tilth-workspace).")]


def _fail(msg: str, code: int = 1):
    err.print(f"[red]error:[/red] {msg}")
    raise typer.Exit(code)


def print_arrow(table, title: str | None = None, max_rows: int = 50, max_width: int = 60) -> None:
    t = Table(title=title)
    for name in table.column_names:
        t.add_column(name, overflow="fold")
    for row in table.slice(0, max_rows).to_pylist():
        t.add_row(*[_cell(v, max_width) for v in row.values()])
    console.print(t)
    if table.num_rows > max_rows:
        console.print(f"... {table.num_rows - max_rows:,} more rows")


def _cell(v, width: int) -> str:
    s = f"{v:,.4g}" if isinstance(v, float) else str(v)
    s = s.replace("\n", "⏎")
    return s if len(s) <= width else s[: width - 1] + "…"


@app.command()
def run(recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
        workspace: WorkspaceOpt = None,
        executor: Annotated[str | None, typer.Option(help="Override the recipe's executor: local or ray.")] = None,
        workers: Annotated[int | None, typer.Option(help="Worker processes (default: all cores).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
        allow_unconfined: Annotated[bool, typer.Option(
            "--allow-unconfined", help="Where no bubblewrap sandbox exists, run generated operators anyway, in a "
            "plain child process with resource limits only (by default they are refused).")] = False):
    """Run (or resume) a recipe. Finished steps are reused; an interrupted step continues from its last part."""
    from tilth.pipeline import Recipe, RecipeError, Runner
    from tilth.pipeline.runner import summary_table

    if allow_unconfined:
        from tilth.agent.sandbox import ALLOW_ENV

        os.environ[ALLOW_ENV] = "1"  # read by the sandbox in this process and in every worker

    from tilth.agent.confined import ConfinedError
    from tilth.agent.sandbox import SandboxUnavailable

    try:
        r = Recipe.from_yaml(recipe)
        if workers:
            r = r.model_copy(update={"workers": workers})
        if executor:
            r = r.model_copy(update={"executor": executor})
        result = Runner(r, workspace, progress=not quiet).run()
    except RecipeError as e:
        _fail(str(e), 2)
    except (ValueError, FileNotFoundError, SandboxUnavailable) as e:
        _fail(str(e), 2)
    except ConfinedError as e:  # a generated operator failed in its sandbox: its own message says how
        _fail(str(e), 1)
    console.print(summary_table(result))
    q = sum(s.quarantined for s in result.steps)
    if q:
        console.print(f"[yellow]{q} malformed records quarantined[/yellow]: tilth sql \"SELECT * FROM quarantine "
                      f"WHERE run = '{result.run}'\"")
    console.print(f"output dataset [bold]{result.output.name}[/bold] v{result.output.version}: {result.output.rows:,} rows")
    if result.export:
        console.print(f"exported to {result.export}")


@app.command()
def validate(recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")]):
    """Check a recipe without running it; print every problem with its step and a fix."""
    from tilth.pipeline import Recipe
    from tilth.pipeline.validate import validate as check

    try:
        r = Recipe.from_yaml(recipe)
    except ValueError as e:
        _fail(str(e), 2)
    _, ops, problems = check(r)
    if problems:
        for i, p in enumerate(problems, 1):
            err.print(f"{i}. {p}")
        raise typer.Exit(2)
    console.print(f"[green]ok[/green]: {len(ops)} steps")


@app.command()
def sql(query: Annotated[str, typer.Argument(help="SQL over the workspace: datasets are views; also lineage, "
                                              "quarantine, step_stats, runs, datasets.")],
        workspace: WorkspaceOpt = None,
        fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
        limit: Annotated[int, typer.Option(help="Rows to print in table format.")] = 50):
    """Query the workspace with DuckDB SQL."""
    from tilth.storage import Workspace

    ws = Workspace(workspace, read_only=True)
    try:
        result = ws.sql(query)
    except Exception as e:  # duckdb raises many error types; all are user errors here
        _fail(str(e), 2)
    if fmt == "json":
        for row in result.to_pylist():
            print(json.dumps(row, default=str))
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(result, "/dev/stdout")
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
        t.add_row(m["name"], m["kind"], m["category"], m["description"])
    console.print(t)


@ops_app.command("show")
def ops_show(name: str, as_json: Annotated[bool, typer.Option("--json")] = False):
    """An operator's full metadata: columns, parameters (type, default, range, meaning), resources."""
    from tilth.ops import get
    from tilth.ops.registry import UnknownOperator

    try:
        m = get(name).metadata()
    except UnknownOperator as e:
        _fail(str(e), 2)
    if as_json:
        print(json.dumps(m, indent=2, default=str))
        return
    console.print(f"[bold]{m['name']}[/bold]  ({m['kind']}, {m['category']})\n{m['description']}\n")
    console.print(f"reads: {', '.join(m['inputs']) or '-'}    writes: {', '.join(m['outputs']) or '-'}")
    console.print(f"resources: {m['resources']}\n")
    t = Table(title="parameters")
    for col in ("name", "type", "default", "range", "meaning"):
        t.add_column(col, overflow="fold")
    for p in m["params"]:
        rng = p.get("choices") or p.get("bounds") or ""
        t.add_row(p["name"], p["type"], "(required)" if p["required"] else repr(p["default"]), str(rng), p["description"])
    console.print(t)


@app.command()
def docs(out: Annotated[Path, typer.Option(help="Where to write the operator reference.")] = Path("docs/operators.md")):
    """Regenerate the operator reference from operator metadata."""
    from tilth.docs import operator_reference

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(operator_reference())
    console.print(f"wrote {out}")


@app.command()
def demo(workspace: WorkspaceOpt = None,
         docs_limit: Annotated[int, typer.Option(help="Cap on documents taken from each local source.")] = 4000):
    """Build a small real corpus from this machine's files and run the demo recipe end to end."""
    from tilth.demo import run_demo

    run_demo(Path(workspace or os.environ.get("TILTH_WORKSPACE", "tilth-workspace")), docs_limit, console)


# Commands that live with their layer (each keeps its heavy imports inside its commands).
from tilth.agent.cli import register as register_agent  # noqa: E402
from tilth.llm.cli import llm_app  # noqa: E402
from tilth.report.cli import report  # noqa: E402
from tilth.train.cli import register as register_train  # noqa: E402

app.command("report")(report)  # `tilth report RUN`
app.add_typer(llm_app, name="llm")  # `tilth llm serve|usage`
register_agent(app)  # `tilth agent`, `tilth ask`
register_train(app)  # `tilth train`, `tilth experiment compare`

if __name__ == "__main__":
    app()
