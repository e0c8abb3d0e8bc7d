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


def _serve_once(reply: bytes) -> tuple[socket.socket, int]:
    """A listening socket whose first client gets `reply` after sending anything (a thread serves it)."""
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        with conn:
            conn.recv(64)
            conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_a_port_where_something_else_listens_is_refused_at_once():
    # an HTTP server on the port: Ray itself would retry against it for minutes
    srv, port = _serve_once(b"HTTP/1.0 400 Bad request\r\n\r\n")
    with srv, pytest.raises(ConnectionError, match=f"something answers at 127.0.0.1:{port}, but not a Ray head"):
        check_reachable(f"127.0.0.1:{port}", timeout=2)
    # a gRPC server (Ray's GCS speaks gRPC) answers the HTTP/2 preface with a SETTINGS frame: accepted
    srv, port = _serve_once(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
    with srv:
        check_reachable(f"127.0.0.1:{port}", timeout=2)


def test_without_an_address_ray_starts_privately_whatever_the_environment_points_at(tmp_path):
    # RAY_ADDRESS (or the record a killed `ray start` leaves in /tmp/ray) made Ray try to attach and fail
    # with "num_cpus ... must not be provided"; no address means a private Ray
    import os
    import subprocess
    import sys

    code = ("from tilth.exec.ray_executor import _ensure_ray\n"
            "r = _ensure_ray(1, None)\nprint('cpus', r.cluster_resources().get('CPU'))\nr.shutdown()\n")
    env = {**os.environ, "RAY_ADDRESS": "127.0.0.1:1", "RAY_AUTH_MODE": "disabled"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "cpus 1.0" in out.stdout
