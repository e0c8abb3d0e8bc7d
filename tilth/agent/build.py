"""Pick the planner and wire the agent: LLM planner when an endpoint is configured, offline otherwise."""

from __future__ import annotations

from pathlib import Path

from tilth.agent.llm import configured_chat
from tilth.agent.offline import OfflinePlanner
from tilth.agent.plan import recipe_name
from tilth.agent.review import Reviewer, auto_accept
from tilth.agent.skills import Catalogue
from tilth.agent.workflow import Agent


def build_agent(request: str, workspace: Path, out: Path | None = None, planner: str = "auto",
                reviewer: Reviewer = auto_accept, execute: bool = True, use_embeddings: bool = True,
                chat=None, remember: bool = True, progress=None, keep_partial: bool = True) -> Agent:
    if planner not in ("auto", "offline", "llm"):
        raise ValueError(f"unknown planner {planner!r}: use auto, offline or llm")
    chat = chat if chat is not None else (configured_chat() if planner != "offline" else None)
    if planner == "llm" and chat is None:
        raise ValueError("--planner llm needs an endpoint: set TILTH_LLM_URL and TILTH_LLM_MODEL")
    cat = Catalogue(workspace, use_embeddings=use_embeddings)
    if chat is not None:
        from tilth.agent.llm_planner import LLMPlanner

        pl = LLMPlanner(cat, chat)
    else:
        pl = OfflinePlanner(cat)
    out = Path(out) if out else Path("tilth-agent-out") / recipe_name(request)
    return Agent(cat, pl, reviewer, Path(workspace), out, execute=execute, chat=chat, remember=remember,
                 progress=progress, keep_partial=keep_partial)
