"""Prompt composition for LLM-backed operators: a template written from the user's intent, checked on the sample.

An LLM operator with a `prompt_file` parameter gets a template that states the user's goal on top of the
operator's built-in instruction. With a chat model configured the model drafts the template instead.
Either way the template must render on every sample row (placeholders are `$column`, checked against
the sample's columns) before it is set on the step; when a model is there, it is also answered for two
sample rows and an empty reply rejects it.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from tilth.agent.llm import Chat
from tilth.agent.plan import Plan


def base_template(op_name: str) -> str | None:
    """The operator's built-in template text, if it has one."""
    from tilth.ops import registry

    cls = registry.get(op_name)
    name = getattr(cls, "template_name", None)
    if not name:
        return None
    try:
        from tilth.llm.prompts import template_path

        return template_path(name).read_text(encoding="utf-8").strip()
    except (ImportError, FileNotFoundError):
        return None


def check_template(text: str, rows: list[dict]) -> list[str]:
    """Problems rendering `text` on the sample rows (unknown placeholders, no placeholder at all)."""
    tpl = Template(text)
    names = {m.group("named") or m.group("braced") for m in tpl.pattern.finditer(text)} - {None}
    if not names:
        return ["the template has no $placeholder, so every row would get the same prompt"]
    problems = []
    for i, row in enumerate(rows):
        try:
            tpl.substitute(**{k: "" if v is None else str(v) for k, v in row.items()})
        except (KeyError, ValueError) as e:
            problems.append(f"sample row {i}: placeholder {e} has no column")
            break
    return problems


def compose(plan: Plan, rows: list[dict], out_dir: Path, chat: Chat | None = None) -> list[str]:
    """Write and set a prompt template for every LLM step with a `prompt_file` parameter; return notes."""
    from tilth.ops import registry

    notes = []
    rows = [{("text" if k == plan.input.get("text") else k): v for k, v in r.items()} for r in rows]
    for i, step in enumerate(plan.steps, 1):
        cls = registry.get(step.op)
        meta = cls.metadata()
        if not meta["resources"].get("llm") or "prompt_file" not in [p["name"] for p in meta["params"]]:
            continue
        if step.params.get("prompt_file"):
            continue
        base = base_template(step.op)
        if base is None:
            continue
        draft = f"Goal of this dataset: {plan.request}\nKeep that goal in mind.\n\n{base}"
        if chat is not None:
            reply = chat([{"role": "user", "content": f"Rewrite this prompt template for the goal below. Keep every "
                           f"$placeholder.\nGoal: {plan.request}\nTemplate:\n{base}\nReply with the template only."}])
            if reply.strip() and not check_template(reply.strip(), rows):
                draft = reply.strip()
        problems = check_template(draft, rows)
        if problems:
            notes.append(f"step {i} ({step.op}): composed prompt rejected: {problems[0]}; the built-in prompt is kept")
            continue
        if chat is not None:
            replies = [chat([{"role": "user", "content": Template(draft).substitute(**{k: str(v) for k, v in r.items()})}])
                       for r in rows[:2]]
            if not all(r.strip() for r in replies):
                notes.append(f"step {i} ({step.op}): the model gave empty replies to the composed prompt; built-in kept")
                continue
        path = Path(out_dir) / "prompts" / f"{i:02d}_{step.op}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(draft + "\n")
        step.params["prompt_file"] = str(path.resolve())
        notes.append(f"step {i} ({step.op}): prompt composed from the request and checked on {len(rows)} sample rows: {path}")
    return notes
