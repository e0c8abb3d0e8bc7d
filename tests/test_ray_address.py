"""Ray addresses and executor specs are checked before anything connects: a typo is a one-line error at
once, a dead cluster one within seconds."""

from __future__ import annotations

import socket
import time

import pytest

from tilth.exec.base import executor_problem, with_ray_address
from tilth.exec.ray_address import check_reachable


@pytest.mark.parametrize("address", ["auto", "127.0.0.1:6379", "head-node.local:10001", "ray://10.0.0.5:10001"])
def test_good_addresses_pass(address):
    assert executor_problem({"name": "ray", "address": address}) is None


@pytest.mark.parametrize("address", ["nohost", "x:y", "1.2.3.4:0", "1.2.3.4:70000", "", 6379])
def test_bad_addresses_say_what_is_expected(address):
    msg, fix = executor_problem({"name": "ray", "address": address})
    assert "bad Ray address" in msg and "HOST:PORT" in fix


def test_name_and_type_both_name_the_executor():
    assert executor_problem({"name": "ray", "num_cpus": 2}) is None
    assert executor_problem({"type": "ray", "num_cpus": 2}) is None
    assert "unknown executor 'spark'" in executor_problem({"name": "spark"})[0]


def test_resources_must_be_positive_amounts():
    assert executor_problem({"name": "ray", "resources": {"node2": 1}}) is None
    assert "resources" in executor_problem({"name": "ray", "resources": {"node2": -1}})[0]


def test_cli_address_keeps_the_recipes_ray_options():
    assert with_ray_address("local", "auto") == {"name": "ray", "address": "auto"}
    assert with_ray_address({"type": "ray", "num_cpus": 3, "address": "a:1"}, "b:2") == \
        {"name": "ray", "num_cpus": 3, "address": "b:2"}
    assert with_ray_address({"name": "local", "workers": 2}, "b:2") == {"name": "ray", "address": "b:2"}


def test_unreachable_address_fails_fast():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: nothing answers
        t0 = time.monotonic()
        with pytest.raises(ConnectionError, match=f"no Ray cluster answers at 127.0.0.1:{port}.*ray start --head"):
            check_reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize("extra, message", [
    (["--ray-address", "nohost"], "bad Ray address 'nohost'"),
    (["--ray-address", "127.0.0.1:6379", "--executor", "local"], "--executor is 'local'"),
])
def test_cli_rejects_a_bad_address_or_a_conflicting_executor(tmp_path, extra, message):
    from typer.testing import CliRunner

    from tilth.cli import app

    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "a b c"}\n')
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\ninput: {{path: {data}}}\nsteps:\n  - exact_dedup: {{}}\n")
    out = CliRunner().invoke(app, ["run", str(recipe), "-w", str(tmp_path / "ws"), "-q", *extra])
    assert out.exit_code == 2
    assert message in out.output and "Traceback" not in out.output
