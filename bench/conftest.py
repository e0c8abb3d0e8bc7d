"""Collect the benchmark modules (`bench_*.py`, `agreement_*.py`) when pytest is given this folder, as
`./tilth.sh bench` does: pytest's default file patterns (test_*.py) would collect none of them."""

from __future__ import annotations

import pytest


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".py" or not file_path.name.startswith(("bench_", "agreement_")):
        return None
    if parent.session.isinitpath(file_path):  # named on the command line: pytest collects it already
        return None
    return pytest.Module.from_parent(parent, path=file_path)
