"""Shared test setup: offline, deterministic, Ray local with no dashboard."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sandbox_fixtures import sandbox  # noqa: F401  (the fixture: tests that run generated code)
from trial_fixtures import planner  # noqa: F401  (the fixture: the newcomer-trial tests' offline planner)

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


_SCRATCH: list[Path] = []


def scratch_dir(prefix: str) -> Path:
    """A fresh directory for one hypothesis example (function fixtures like tmp_path are shared across a
    test's examples); removed when the session ends, so fuzz runs leave nothing behind in /tmp."""
    d = Path(tempfile.mkdtemp(prefix=f"tilth-test-{prefix}"))
    _SCRATCH.append(d)
    return d


@pytest.fixture(scope="session", autouse=True)
def _remove_scratch_dirs():
    yield
    for d in _SCRATCH:
        shutil.rmtree(d, ignore_errors=True)


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
