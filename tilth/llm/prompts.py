"""Prompt templates are files, so users can change wording without touching code.

Lookup order for template `name`: the operator's `prompt_file` parameter, then `$TILTH_PROMPTS_DIR/name.txt`,
then the built-in `tilth/llm/prompt_templates/name.txt`. Templates use `$field` placeholders (string.Template), so
literal JSON braces in a prompt need no escaping.
"""

from __future__ import annotations

import os
from pathlib import Path
from string import Template

BUILTIN_DIR = Path(__file__).parent / "prompt_templates"


def template_path(name: str, override: str | None = None) -> Path:
    if override:
        p = Path(override)
        if not p.is_file():
            raise FileNotFoundError(f"prompt file {p} not found")
        return p
    user_dir = os.environ.get("TILTH_PROMPTS_DIR")
    if user_dir and (Path(user_dir) / f"{name}.txt").is_file():
        return Path(user_dir) / f"{name}.txt"
    p = BUILTIN_DIR / f"{name}.txt"
    if not p.is_file():
        raise FileNotFoundError(f"no prompt template {name!r} (looked in {BUILTIN_DIR})")
    return p


def load_template(name: str, override: str | None = None) -> Template:
    return Template(template_path(name, override).read_text(encoding="utf-8").strip())


def render(template: Template, **fields) -> str:
    """Fill a template; a placeholder with no value is an error, not silently left in the prompt."""
    return template.substitute(**{k: "" if v is None else str(v) for k, v in fields.items()})
