"""The skill catalogue: every registered operator and every saved pipeline, described by its metadata.

Nothing here is hand-written per operator: the catalogue is rebuilt from `registry.all_operators()` and
the workspace's saved recipes each time, so an operator that lands (or a plugin the agent generated)
becomes a skill with no change here. `retrieve()` keeps what a planner sees small: the top-k skills.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tilth.agent.retrieve import HybridIndex
from tilth.ops import registry


@dataclass(frozen=True)
class Skill:
    name: str
    kind: str  # operator kind, or "pipeline" for a saved recipe
    category: str
    description: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def needs_llm(self) -> bool:
        return bool(self.meta.get("resources", {}).get("llm"))

    @property
    def param_names(self) -> list[str]:
        return [p["name"] for p in self.meta.get("params", [])]

    def param(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.meta.get("params", []) if p["name"] == name), None)

    def search_text(self) -> str:
        """What retrieval matches against: name, kind, category, description, parameter meanings."""
        params = " ".join(f"{p['name']}: {p['description']}" for p in self.meta.get("params", [])
                          if not (p["name"] in ("where_not", "where_min_exclusive", "where_max_exclusive")
                                  or self.kind in ("filter", "deduplicator") and p["name"].startswith("where_")))
        # which rows a filter applies to, or which a job leaves alone, is not the job (those words would pull in
        # requests about labels)
        return f"{self.name} ({self.kind}, {self.category}). {self.description} Parameters: {params}"

    def card(self) -> str:
        """A compact description for an LLM prompt: one line per parameter."""
        lines = [f"- {self.name} [{self.kind}/{self.category}]: {self.description}"]
        if self.kind != "pipeline":
            lines.append(f"  reads {self.meta.get('inputs') or '-'}; writes {self.meta.get('outputs') or '-'}")
            for p in self.meta.get("params", []):
                default = "required" if p["required"] else f"default {p['default']!r}"
                extra = p.get("choices") or p.get("bounds") or ""
                lines.append(f"  * {p['name']} ({p['type']}, {default}{', ' + str(extra) if extra else ''}): {p['description']}")
        return "\n".join(lines)


def skills_dir(workspace: str | Path) -> Path:
    return Path(workspace) / "agent" / "skills"


def operator_skills() -> list[Skill]:
    out = []
    for cls in registry.all_operators():
        m = cls.metadata()
        out.append(Skill(m["name"], m["kind"], m["category"], m["description"], m))
    return out


def pipeline_skills(workspace: str | Path | None) -> list[Skill]:
    """Saved (accepted) recipes: each is a skill whose metadata is its steps."""
    if workspace is None or not skills_dir(workspace).is_dir():
        return []
    from tilth.pipeline.recipe import Recipe

    out = []
    for path in sorted(skills_dir(workspace).glob("*.yaml")):
        try:
            r = Recipe.from_yaml(path)
        except Exception:  # a hand-edited file may be broken; it is simply not a skill then
            continue
        steps = [{"op": s.op, "params": dict(s.params)} for s in r.steps]
        desc = f"{r.description} Saved pipeline: {' -> '.join(s['op'] for s in steps)}."
        try:  # what the columns of the data it was planned on held (see save_recipe)
            kinds = json.loads(path.with_suffix(".columns.json").read_text())
        except (OSError, ValueError):
            kinds = {}
        out.append(Skill(r.name, "pipeline", "pipeline", desc.strip(),
                         {"steps": steps, "path": str(path), "request": r.description,
                          "questions": [q.model_dump() for q in r.questions],
                          "column_kinds": kinds if isinstance(kinds, dict) else {}}))
    return out


class Catalogue:
    """All skills plus a hybrid index over their descriptions."""

    def __init__(self, workspace: str | Path | None = None, use_embeddings: bool = True, only: set[str] | None = None):
        """`only`: restrict to these operator names (tests use it to plan against a fixed set)."""
        self.use_embeddings = use_embeddings
        ops = [s for s in operator_skills() if only is None or s.name in only]
        self.skills = ops + pipeline_skills(workspace)
        self.by_name = {s.name: s for s in self.skills}
        self.index = HybridIndex([s.search_text() for s in self.skills], use_embeddings=use_embeddings)

    def retrieve(self, query: str, k: int = 8, kinds: set[str] | None = None) -> list[tuple[Skill, float]]:
        ranked = self.index.search(query, k=len(self.skills))
        out = [(self.skills[i], s) for i, s in ranked if kinds is None or self.skills[i].kind in kinds]
        return out[:k]

    def scores(self, query: str) -> dict[str, float]:
        return {self.skills[i].name: float(s) for i, s in enumerate(self.index.scores(query))}
