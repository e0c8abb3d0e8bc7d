"""`tilth agent` and `tilth ask`, registered on the main CLI by one line in tilth/cli.py."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def agent(request: Annotated[str, typer.Argument(help="What you want, in words.")],
          data: Annotated[Path, typer.Option("--data", "-d", help="Your data: a file, directory or glob.")],
          yes: Annotated[bool, typer.Option("--yes", "-y", help="Accept the validated plan without asking.")] = False,
          workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory.")] = None,
          out: Annotated[Path | None, typer.Option(help="Where to write recipe.yaml, dataset.jsonl and the report "
                                                   "(default: ./tilth-agent-out/<name>).")] = None,
          planner: Annotated[str, typer.Option(help="auto (LLM if TILTH_LLM_URL is set, else offline), offline or llm.")] = "auto",
          no_run: Annotated[bool, typer.Option("--no-run", help="Validate and save the recipe, do not execute it.")] = False,
          no_embed: Annotated[bool, typer.Option("--no-embed", help="BM25 retrieval only (skips loading MiniLM).")] = False,
          partial: Annotated[bool, typer.Option("--partial", help="With --yes, run the plan even when part of the "
                                                "request was not understood (by default nothing runs then).")] = False,
          allow_unconfined: Annotated[bool, typer.Option(
              "--allow-unconfined", help="Where no bubblewrap sandbox exists, run generated operators anyway, in a "
              "plain child process with resource limits only (by default they are refused).")] = False):
    """Turn a request into a validated, reviewable recipe; run it and write the dataset and a report."""
    from tilth.agent.build import build_agent

    if allow_unconfined:
        from tilth.agent.sandbox import ALLOW_ENV

        os.environ[ALLOW_ENV] = "1"  # read by the sandbox in this process and in every worker
    from tilth.agent.review import auto_accept, show, terminal_reviewer

    console = Console(stderr=True)
    if not request.strip():
        console.print("[red]error:[/red] the request is empty: say in words what to do with the data, e.g. "
                      "tilth agent \"remove exact duplicates\" --data file.jsonl")
        raise typer.Exit(2)
    from tilth.agent.peek import peek

    try:  # read the data first: a wrong path fails in a second, not after the retrieval models load
        sample = peek(str(data))
    except (FileNotFoundError, ValueError) as e:
        console.print(f"[red]error:[/red] --data: {e}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    ws = Path(workspace or os.environ.get("TILTH_WORKSPACE", "tilth-workspace"))
    # nobody to review the plan (no terminal) and no --yes: validate and write it, but neither run it nor keep it
    # as a skill that later requests would reuse
    unattended = not yes and not sys.stdin.isatty()
    # a skill is a plan someone reviewed or that ran: not one accepted by --yes and never run (a newcomer's
    # --no-run pass kept its wrong plans, which the real run then reused)
    remember = not unattended and not (no_run and yes)
    shown: list[bool] = []  # the plan is shown once, before anything runs

    def reviewer(plan, validation):
        shown.append(True)
        if yes or unattended:
            show(console, plan, validation)
            return auto_accept(plan, validation, partial_ok=partial or unattended or no_run,
                               running=not (no_run or unattended))
        return terminal_reviewer(console)(plan, validation)

    try:
        ag = build_agent(request, ws, out, planner, reviewer, execute=not (no_run or unattended),
                         use_embeddings=not no_embed, remember=remember, progress=console, keep_partial=not yes)
    except ValueError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    if yes:
        console.print("[dim]--yes: the validated plan is accepted automatically[/dim]")
    state = ag(request, sample)
    if not shown:
        show(console, state["plan"], state["validation"])
    rep = state.get("report", {})
    if state.get("decision") and state["decision"].action != "accept":
        console.print(f"[yellow]not accepted[/yellow]: {state['decision'].text or state['decision'].action}")
        raise typer.Exit(1)
    if unattended or no_run:
        why = "--no-run;" if no_run else "no terminal to review the plan; read it, then"
        kept = f" (also saved as a skill in {ws / 'agent' / 'skills'})" if state.get("skill_saved") else ""
        console.print(f"recipe: {state.get('recipe_path')}{kept}\nnot run: {why} run it with `tilth run RECIPE`"
                      + ("" if no_run else ", or pass --yes to accept and run plans unattended"))
        return
    kept = (f" (also saved as a skill in {ws / 'agent' / 'skills'})" if state.get("skill_saved") else
            " (not saved as a skill: part of the request was not done, and --yes accepted it unreviewed)")
    console.print(f"recipe: {state.get('recipe_path')}{kept}")
    if rep.get("dataset"):
        console.print(f"dataset: {rep['dataset']} ({rep.get('stats', {}).get('rows')} rows)")
    from tilth.agent.report import describe_line, quarantine_line, stats_line

    if rep.get("quarantined"):
        console.print(f"[yellow]{quarantine_line(rep)}[/yellow]", soft_wrap=True, highlight=False)

    for d in rep.get("added_columns", []):  # analysis answers (a language distribution, a score) at a glance
        console.print(describe_line(d, markdown=False), highlight=False, markup=False, soft_wrap=True)
    for step, stats in rep.get("dataset_stats", {}).items():  # "tell me the distribution": the answer itself
        if (line := stats_line(step, stats, markdown=False)) is not None:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    if rep.get("answers"):  # "what's the average fare per tier?": the figures themselves
        from tilth.report.answers import answer_lines

        for line in answer_lines(rep["answers"]):
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"report: {ag.out_dir / 'report.md'}")


def ask(question: Annotated[str, typer.Argument(help="A question about Tilth, e.g. 'how do I remove near duplicates?'")],
        k: Annotated[int, typer.Option(help="Passages to draw the answer from.")] = 3,
        as_json: Annotated[bool, typer.Option("--json")] = False,
        no_embed: Annotated[bool, typer.Option("--no-embed", help="BM25 retrieval only.")] = False):
    """Answer from the docs and operator metadata, citing the doc section or operator."""
    from tilth.agent.docqa import DocQA
    from tilth.agent.llm import configured_chat

    # one retry: a question should not wait half a minute on a dead endpoint before the offline answer
    ans = DocQA(use_embeddings=not no_embed, chat=configured_chat(max_retries=1)).answer(question, k=k)
    if as_json:
        print(json.dumps(ans, indent=2))
        return
    if ans.get("note"):
        print(f"note: {ans['note']}", file=sys.stderr, flush=True)  # one line, never wrapped
    print(ans["answer"])
    if not ans["citations"]:  # nothing in the docs is about it: say so to scripts too
        raise typer.Exit(1)
    print("\nsources: " + ", ".join(ans["citations"]))


def register(app: typer.Typer) -> None:
    app.command("agent")(agent)
    app.command("ask")(ask)
