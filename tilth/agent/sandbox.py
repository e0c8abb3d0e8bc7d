"""Run untrusted (generated) Python in a subprocess with CPU, memory and wall-time limits and no network.

Limits: RLIMIT_CPU and RLIMIT_AS in the child, a wall-clock timeout in the parent (the process group is
killed), cwd in the plugin folder. Network: when running as root with `unshare` available, the child gets
an empty network namespace; in every case an audit hook installed before the code runs refuses socket
creation, so an attempt is *reported* (exit code and message), not just failed. Nothing here makes
arbitrary code safe against a determined attacker; it stops the accidents a generated operator makes.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NET_BLOCKED_EXIT = 97
GUARD = r'''
import sys
def _tilth_guard(event, args):
    if event in ("socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo") :
        sys.stderr.write("SANDBOX: network access blocked (" + event + ")\n")
        sys.stderr.flush()
        import os
        os._exit(EXIT_CODE)
sys.addaudithook(_tilth_guard)
'''.replace("EXIT_CODE", str(NET_BLOCKED_EXIT))


@dataclass
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    network_blocked: bool = False
    killed_by: str | None = None  # "wall", "cpu", "memory", "network"

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def explain(self) -> str:
        if self.ok:
            return "passed"
        what = {"wall": "ran past its wall-clock limit and was killed", "cpu": "used up its CPU-time limit",
                "memory": "ran out of its memory limit", "network": "tried to open a network connection (blocked)"}
        tail = self.stderr.strip().splitlines()[-3:]
        return f"{what.get(self.killed_by, f'exited with code {self.returncode}')}: {' | '.join(tail)}"


def _limits(cpu_s: int, mem_mb: int):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 2**20, mem_mb * 2**20))
    return apply


def can_unshare_net() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None and \
        subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def run_python(script: Path, cwd: Path, wall_s: float = 30, cpu_s: int = 20, mem_mb: int = 2048,
               args: list[str] | None = None) -> SandboxResult:
    """Run `script` with the sandbox guard first; return what happened."""
    cwd = Path(cwd)
    cwd.mkdir(parents=True, exist_ok=True)
    guard = cwd / "_tilth_sandbox_guard.py"
    guard.write_text(GUARD)
    boot = f"exec(open({str(guard)!r}).read()); import runpy, sys; sys.argv = [{str(script)!r}] + {args or []!r}; " \
           f"runpy.run_path({str(script)!r}, run_name='__main__')"
    cmd = [sys.executable, "-c", boot]
    if can_unshare_net():
        cmd = ["unshare", "-n", *cmd]
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_TOKEN", "_SECRET"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_limits(cpu_s, mem_mb))
    timed_out = False
    try:
        out, err = proc.communicate(timeout=wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    rc = proc.returncode
    killed = None
    if timed_out:
        killed = "wall"
    elif rc == NET_BLOCKED_EXIT and "SANDBOX: network" in err:
        killed = "network"
    elif rc in (-signal.SIGXCPU, -signal.SIGKILL) and not timed_out:
        killed = "cpu"
    elif "MemoryError" in err:
        killed = "memory"
    return SandboxResult(rc, out, err, timed_out, killed == "network", killed)
