"""Where the model lives: URL, model name and the *name* of the environment variable holding the API key.

Resolution order for a run: recipe `llm:` section, then TILTH_LLM_URL / TILTH_LLM_MODEL /
TILTH_LLM_API_KEY_ENV, else the embedded server. The runner writes the resolved endpoint to
`<workspace>/llm/endpoints/<run>.json` because workers come from a forkserver that may predate any
environment change made by the driver; a file is what every worker (local or Ray) can see.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


class NoEndpoint(RuntimeError):
    """No endpoint configured and none written for this run."""


@dataclass(frozen=True)
class Endpoint:
    url: str  # base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1
    model: str
    api_key_env: str | None = None  # name of the env var with the key; the key itself is never stored

    def __post_init__(self):
        object.__setattr__(self, "url", self.url.rstrip("/"))

    @property
    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    @classmethod
    def from_env(cls) -> Endpoint | None:
        url = os.environ.get("TILTH_LLM_URL")
        if not url:
            return None
        return cls(url, os.environ.get("TILTH_LLM_MODEL", "default"), os.environ.get("TILTH_LLM_API_KEY_ENV") or None)

    @classmethod
    def from_config(cls, cfg: dict) -> Endpoint | None:
        """From a recipe's `llm: {url, model, api_key_env}` section (None if it names no url)."""
        if not cfg or not cfg.get("url"):
            return None
        unknown = set(cfg) - {"url", "model", "api_key_env", "parallel", "threads", "ctx_per_slot", "max_restarts"}
        if unknown:
            raise ValueError(f"recipe llm section: unknown keys {sorted(unknown)} (use url, model, api_key_env)")
        return cls(cfg["url"], cfg.get("model", "default"), cfg.get("api_key_env"))

    # -- per-run file ------------------------------------------------------------------------------------
    def write_for_run(self, workspace: str | Path, run: str) -> Path:
        path = run_endpoint_path(workspace, run)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self)))
        os.replace(tmp, path)
        return path

    @classmethod
    def for_run(cls, workspace: str | Path | None, run: str | None) -> Endpoint:
        """The endpoint a worker should use: the run's file if the runner wrote one, else the environment."""
        if workspace and run:
            path = run_endpoint_path(workspace, run)
            if path.exists():
                return cls(**json.loads(path.read_text()))
        env = cls.from_env()
        if env is None:
            raise NoEndpoint(
                "no LLM endpoint: set TILTH_LLM_URL (and TILTH_LLM_MODEL), add `llm: {url: ...}` to the recipe, "
                "or run the operator inside a pipeline, which starts the embedded server"
            )
        return env


def run_endpoint_path(workspace: str | Path, run: str) -> Path:
    return Path(workspace) / "llm" / "endpoints" / f"{run}.json"
