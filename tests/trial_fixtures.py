"""Shared by the newcomer-trial tests: one planner per test module, and a small table written as JSONL and peeked."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def planner():
    # (imported here: conftest imports this module for every test session, most of which plan nothing)
    from tilth.agent.offline import OfflinePlanner
    from tilth.agent.skills import Catalogue

    return OfflinePlanner(Catalogue(use_embeddings=True))


def peek_rows(path, rows):
    from tilth.agent.peek import peek

    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return peek(path)
