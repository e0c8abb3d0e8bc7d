"""Sandbox escape suite (ISSUE row 10): what generated code might try, each attempt contained.

Every script runs through run_python, the way generated code runs, with a unique token among its
arguments so that any process it leaves behind can be found from the host by its command line. The
checks are made from the host side: files that must not exist, a listener that must see no connection,
processes that must be gone.
"""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest
from sandbox_fixtures import processes_with

from tilth.agent.sandbox import run_python

pytestmark = pytest.mark.usefixtures("sandbox")


def _run(tmp_path: Path, code: str, **limits):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    script = work / "attempt.py"
    script.write_text(code)
    token = f"tilth-escape-{uuid.uuid4().hex[:12]}"
    limits.setdefault("wall_s", 20)
    t0 = time.monotonic()
    r = run_python(script, work, args=[token], **limits)
    return r, token, time.monotonic() - t0


def _gone(token: str, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while processes_with(token):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def home_secret():
    path = Path.home() / f".tilth-sandbox-secret-{uuid.uuid4().hex[:8]}"
    path.write_text("home-secret-value")
    yield path
    path.unlink(missing_ok=True)


def test_cannot_read_system_home_or_user_files(tmp_path, home_secret):
    outside = tmp_path / "secret.txt"
    outside.write_text("outside-secret-value")
    code = f"""
import os
print("uid", os.getuid(), os.geteuid())
for p in ("/etc/passwd", "/etc/shadow", {str(home_secret)!r}, {str(outside)!r}, "/root/.bash_history"):
    try:
        print(p, open(p).read())
    except OSError as e:
        print(p, "refused:", type(e).__name__)
"""
    r, token, _ = _run(tmp_path, code)
    assert r.ok and r.confined, r.stderr
    assert "root:" not in r.stdout and "home-secret-value" not in r.stdout and "outside-secret-value" not in r.stdout
    assert r.stdout.count("refused:") == 5
    uid, euid = map(int, r.stdout.split()[1:3])
    assert uid != 0 and euid != 0  # never root, even when Tilth is


def test_cannot_write_outside_its_work_dir(tmp_path):
    tag = uuid.uuid4().hex[:8]
    target = tmp_path / "escaped.txt"
    home_target = Path.home() / f".tilth-escaped-{tag}"
    system_targets = [Path(f"/usr/tilth-escaped-{tag}"), Path(f"/tilth-escaped-{tag}")]
    code = f"""
import os
for p in ({str(target)!r}, {str(home_target)!r}, *{[str(p) for p in system_targets]!r}, "/tmp/../tilth-escaped-{tag}"):
    try:
        with open(p, "w") as f:
            f.write("escaped")
        print("wrote", p)
    except OSError as e:
        print(p, "refused:", type(e).__name__)
open("inside.txt", "w").write("fine")
"""
    try:
        r, _, _ = _run(tmp_path, code)
        assert r.ok, r.stderr
        assert not target.exists() and not home_target.exists()
        assert not any(p.exists() for p in system_targets)
        assert (tmp_path / "work" / "inside.txt").read_text() == "fine"  # its own work dir is writable
    finally:
        for p in (home_target, *system_targets):
            p.unlink(missing_ok=True)


@pytest.fixture
def listener():
    """A host TCP listener on 127.0.0.1; `connections()` says how many it accepted."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)

    class L:
        port = srv.getsockname()[1]

        @staticmethod
        def connections() -> int:
            n = 0
            while True:
                try:
                    conn, _ = srv.accept()
                except BlockingIOError:
                    return n
                conn.close()
                n += 1

    yield L
    srv.close()


def test_python_socket_is_stopped_and_reported(tmp_path, listener):
    code = f"import socket\ns = socket.create_connection(('127.0.0.1', {listener.port}), timeout=2)\nprint('connected')\n"
    r, _, _ = _run(tmp_path, code)
    assert r.network_blocked and "connected" not in r.stdout
    assert listener.connections() == 0


def test_ctypes_socket_cannot_reach_the_host(tmp_path, listener):
    """libc's socket/connect through ctypes bypass the audit hook: the empty network namespace stops them."""
    code = f"""
import ctypes, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(2, 1, 0)  # AF_INET, SOCK_STREAM
addr = struct.pack("!HH4s8x", 2, {listener.port}, bytes([127, 0, 0, 1]))
addr = struct.pack("=H", 2) + addr[2:]  # sa_family is host-endian
rc = libc.connect(fd, addr, len(addr))
print("fd", fd, "connect", rc, "errno", ctypes.get_errno())
"""
    r, _, _ = _run(tmp_path, code)
    assert r.ok, r.stderr
    assert "connect -1" in r.stdout  # refused inside its own namespace
    time.sleep(0.2)
    assert listener.connections() == 0


def test_double_fork_and_setsid_leave_no_grandchild(tmp_path):
    code = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # the grandchild: detached, re-executed, meant to outlive the sandbox
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", *sys.argv[1:]])
    os._exit(0)
time.sleep(0.5)
print("parent done")
"""
    r, token, seconds = _run(tmp_path, code)
    assert r.ok and "parent done" in r.stdout, r.stderr
    assert seconds < 15
    assert _gone(token), f"processes left behind: {processes_with(token)}"


def test_ten_gigabyte_allocation_fails_inside(tmp_path):
    r, token, _ = _run(tmp_path, "x = bytearray(10 * 2**30)\nprint('allocated')\n", mem_mb=1024)
    assert not r.ok and r.killed_by == "memory" and "allocated" not in r.stdout
    assert _gone(token)


def test_busy_loop_is_stopped_by_its_cpu_limit(tmp_path):
    r, token, seconds = _run(tmp_path, "while True:\n    pass\n", cpu_s=1, wall_s=30)
    assert not r.ok and r.killed_by in ("cpu", "wall")
    assert seconds < 30
    assert _gone(token)


def test_sleep_loop_is_stopped_by_the_wall_clock(tmp_path):
    r, token, seconds = _run(tmp_path, "import time\nwhile True:\n    time.sleep(0.1)\n", wall_s=2)
    assert r.timed_out and r.killed_by == "wall"
    assert seconds < 10
    assert _gone(token)


def test_fork_storm_is_capped_and_cleaned_up(tmp_path):
    """Every process forks until it cannot, then sleeps: the process limit caps the storm, the wall clock
    ends it, and nothing outlives the sandbox."""
    code = """
import os, sys, time
for _ in range(10000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        print("child", flush=True)
time.sleep(60)
"""
    r, token, seconds = _run(tmp_path, code, wall_s=4, nproc=32)
    assert r.timed_out
    children = r.stdout.count("child")
    assert 0 < children < 32
    assert seconds < 15
    assert _gone(token, within=5), f"processes left behind: {processes_with(token)}"
