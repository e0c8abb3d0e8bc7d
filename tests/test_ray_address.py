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
