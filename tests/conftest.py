"""Shared test setup: offline, deterministic, Ray local with no dashboard."""

from __future__ import annotations

import json
import os

import pytest
from sandbox_fixtures import sandbox  # noqa: F401  (the fixture: tests that run generated code)
from trial_fixtures import planner  # noqa: F401  (the fixture: the newcomer-trial tests' offline planner)

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray instance for the whole session (starting Ray costs seconds)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield ray
    ray.shutdown()


def write_jsonl(path, rows) -> str:
    with open(path, "w") as f:
        for r in rows:
            f.write(r if isinstance(r, str) else json.dumps(r) + "\n")
    return str(path)
