"""Human review: show the plan, then accept, edit, give feedback in words, or reject.

A reviewer is any callable `(plan, validation) -> Decision`; the CLI's asks on the terminal, `--yes`
accepts, tests script a sequence of decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.table import Table

from tilth.agent.plan import Plan
from tilth.agent.validation import Validation, emptied_sample


@dataclass(frozen=True)
class Decision:
    action: Literal["accept", "feedback", "edit", "reject"]
    text: str = ""  # feedback in words, or the edited recipe YAML


Reviewer = Callable[[Plan, Validation], Decision]


def auto_accept(plan: Plan, validation: Validation, partial_ok: bool = True, running: bool = True) -> Decision:
    """Accept a validated plan unattended, unless validation had to remove a step the request asked for: then
    the plan no longer does what was asked, and nobody is there to agree to that. Without `partial_ok` the same
    holds for a part of the request that was not understood (a newcomer's "keep everyone else", once not
    understood, left a 30% sample of one group as the whole output)."""
    if plan.unmatched and (plan.steps or plan.questions) and not partial_ok:  # (a figure over the wrong rows too)
        return Decision("reject", "part of the request was not understood (" + "; ".join(map(repr, plan.unmatched))
                        + "), so nothing was run unattended: rephrase it, run without --yes to review the plan, or "
                        "pass --partial to run the steps that were planned")
    if plan.removed:
        return Decision("reject", "a step the request asked for cannot run on this data, so nothing was run: "
                        + "; ".join(plan.removed))
    # a step that drops every sample row is more often a misread request than the wish; nobody is there to say which
    # (`running=False`: only the recipe is written, which exports nothing whatever it keeps)
    if running and emptied_sample(plan, validation.sample_rows):
        return Decision("reject", "a step drops every sample row (see the warning above), so nothing was run "
                        "unattended: run without --yes to review the plan, or with --no-run to write its recipe "
                        "without running it")
    return Decision("accept")


def scripted(decisions: Iterable[Decision]) -> Reviewer:
    """Replay decisions in order (then accept): for tests and scripted sessions."""
    it = iter(decisions)
    return lambda plan, v: next(it, Decision("accept"))


def plan_table(plan: Plan, validation: Validation | None = None) -> Table:
    t = Table(title=f"plan {plan.name!r} ({plan.planner} planner)", show_lines=True)
    for col in ("#", "operator", "parameters", "why", "columns after"):
        t.add_column(col, overflow="fold")
    rows = validation.sample_rows if validation and validation.sample_rows else []
    t.add_row("0", f"input {plan.input}", "", "", f"{rows[0]} sample rows" if rows else "")
    before: list[str] | None = None
    for i, s in enumerate(plan.steps, 1):
        after = _columns_change(before, s.expects) + (f"\n({rows[i]} of the sample rows)" if len(rows) > i else "")
        before = s.expects
        t.add_row(str(i), s.op, ", ".join(f"{k}={v!r}" for k, v in s.params.items()) or "(defaults)", s.why, after)
    for q in plan.questions:  # figures answered from the output after the run
        t.add_row("?", "question", q["sql"], q["ask"], "answered from the output")
    return t


def _columns_change(before: list[str] | None, after: list[str]) -> str:
    """The columns a step adds (+) and removes (-), and how many there are: a short list of names, not the last
    few columns, which reads as if the others had gone."""
    if before is None:  # the first step: what it adds to the input's columns is not known here, so all of them
        return f"{len(after)} columns: {', '.join(after)}"
    change = [f"+{c}" for c in after if c not in before] + [f"-{c}" for c in before if c not in after]
    return f"{len(after)} columns" + (f" ({', '.join(change)})" if change else ", unchanged")


def show(console: Console, plan: Plan, validation: Validation) -> None:
    console.print(plan_table(plan, validation))
    for n in plan.notes:
        console.print(f"[yellow]note:[/yellow] {n}")
    if validation.ok:
        console.print(f"[green]validated[/green]: schemas, columns{' and a dry run on the sample' if validation.dry_run else ''}")
        for w in validation.warnings:
            console.print(f"[yellow]warning:[/yellow] {w}")
    else:
        for p in validation.problems:
            console.print(f"[red]problem[/red] {p}")


def terminal_reviewer(console: Console) -> Reviewer:
    def review(plan: Plan, validation: Validation) -> Decision:
        show(console, plan, validation)
        answer = console.input("[bold]accept[/bold] (a), [bold]edit[/bold] the YAML (e), [bold]reject[/bold] (r), "
                               "or type feedback: ").strip()
        if answer.lower() in ("a", "accept", "y", "yes", ""):
            return Decision("accept")
        if answer.lower() in ("r", "reject", "q", "quit"):
            return Decision("reject")
        if answer.lower() in ("e", "edit"):
            return Decision("edit", _edit(plan))
        return Decision("feedback", answer)

    return review


def _edit(plan: Plan) -> str:
    import os
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(plan.to_recipe().to_yaml())
    subprocess.run([os.environ.get("EDITOR", "vi"), f.name], check=False)
    with open(f.name) as fh:
        return fh.read()
