"""Measure one command's whole process tree: wall seconds, CPU seconds and memory, children included.

Why a separate measuring process: the tools under test start worker processes (Tilth's local executor,
datatrove's and data-juicer's pools), and a worker whose parent exits without waiting for it is re-parented
to init, where its CPU time is lost to whoever measures. This script makes itself a child subreaper
(prctl(PR_SET_CHILD_SUBREAPER)), so every orphaned descendant of the command is re-parented to it instead;
it reaps them all before it reports, and getrusage(RUSAGE_CHILDREN) then holds the user + system CPU of
every process of the tree. Doing this in a short-lived process of its own keeps the benchmark harness
from adopting anything.

Reported (JSON):
- wall_s: from starting the command to its exit (what a user waits for; leftovers are not waited for).
- cpu_s, user_s, sys_s: CPU of every process of the tree (RUSAGE_CHILDREN after reaping all of them).
- peak_tree_rss_mb: the largest sum of RSS over the live processes of the tree, polled every `poll` s
  (psutil, or /proc when psutil is missing); shared pages count once per process, as RSS does.
- peak_proc_rss_mb: the largest single process: the kernel's high-water mark of the largest reaped
  descendant (ru_maxrss), or the largest polled value if that is higher.
- max_procs, samples, timed_out, leftovers (descendants still alive when the command exited; they get
  `grace` seconds, then SIGTERM, then SIGKILL, and are reaped and counted).

    python bench/proc_tree.py --json OUT [--timeout S] [--poll 0.05] [--cwd D] [--stdout F] [--stderr F] -- CMD ...

From Python: `measure(cmd, env=..., cwd=..., stdout=..., stderr=..., timeout=...)` runs this script with
the current interpreter and returns the dict.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
PAGE = os.sysconf("SC_PAGE_SIZE")

try:
    import psutil
except ImportError:  # read /proc instead
    psutil = None


def set_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


def descendants() -> dict[int, int]:
    """{pid: RSS bytes} of every live descendant of this process (zombies count 0)."""
    me = os.getpid()
    if psutil is not None:
        out = {}
        for p in psutil.Process(me).children(recursive=True):
            try:
                out[p.pid] = p.memory_info().rss
            except psutil.Error:  # exited or zombie between listing and reading
                pass
        return out
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
    kids: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = {}, list(kids.get(me, []))
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            out[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return out


class Sampler:
    def __init__(self):
        self.peak_tree = self.peak_proc = self.max_procs = self.samples = 0

    def sample(self) -> dict[int, int]:
        tree = descendants()
        self.samples += 1
        self.peak_tree = max(self.peak_tree, sum(tree.values()))
        self.peak_proc = max(self.peak_proc, max(tree.values(), default=0))
        self.max_procs = max(self.max_procs, len(tree))
        return tree


def _wait_exit(pid: int, pidfd: int | None, seconds: float) -> tuple[int, int] | None:
    """Wait up to `seconds` for `pid` to exit; (pid, status) once it has, else None."""
    if pidfd is not None:
        select.select([pidfd], [], [], seconds)
    else:
        time.sleep(seconds)
    done, status = os.waitpid(pid, os.WNOHANG)
    return (done, status) if done else None


def _reap_all(sampler: Sampler, poll: float, deadline: float) -> bool:
    """Reap every child (orphans included) until none is left (True) or the deadline passes (False)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid:
            continue
        if time.monotonic() > deadline:
            return False
        sampler.sample()
        time.sleep(min(poll, 0.02))


def _signal_all(sig: int) -> None:
    for pid in descendants():
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def run(cmd: list[str], cwd: str | None, stdout: str | None, stderr: str | None, timeout: float | None,
        poll: float = 0.05, grace: float = 5.0) -> dict:
    set_subreaper()
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    err = open(stderr, "wb") if stderr else subprocess.DEVNULL
    sampler = Sampler()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pidfd = None
    timed_out = False
    while True:
        done = _wait_exit(proc.pid, pidfd, poll)
        if done:
            wall = time.perf_counter() - t0
            status = done[1]
            break
        sampler.sample()
        if timeout and not timed_out and time.perf_counter() - t0 > timeout:
            timed_out = True
            _signal_all(signal.SIGKILL)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if pidfd is not None:
        os.close(pidfd)
    leftovers = len(descendants())
    if not _reap_all(sampler, poll, time.monotonic() + grace):
        _signal_all(signal.SIGTERM)
        if not _reap_all(sampler, poll, time.monotonic() + 2):
            _signal_all(signal.SIGKILL)
            _reap_all(sampler, poll, time.monotonic() + 30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for f in (out, err):
        if f is not subprocess.DEVNULL:
            f.close()
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {
        "returncode": proc.returncode, "wall_s": wall, "cpu_s": user + system, "user_s": user, "sys_s": system,
        "peak_tree_rss_mb": sampler.peak_tree / 2**20,
        "peak_proc_rss_mb": max(after.ru_maxrss * 1024, sampler.peak_proc) / 2**20,
        "max_procs": sampler.max_procs, "samples": sampler.samples, "timed_out": timed_out,
        "leftovers": leftovers, "psutil": psutil is not None,
    }


def measure(cmd: list[str], env: dict | None = None, cwd: str | Path | None = None, stdout: str | Path | None = None,
            stderr: str | Path | None = None, timeout: float | None = None, poll: float = 0.05) -> dict:
    """Run `cmd` under a fresh measuring process (this file, this interpreter); the result dict above."""
    with tempfile.TemporaryDirectory(prefix="proc-tree-") as d:
        res = Path(d) / "result.json"
        args = [sys.executable, __file__, "--json", str(res), "--poll", str(poll)]
        for flag, v in (("--cwd", cwd), ("--stdout", stdout), ("--stderr", stderr), ("--timeout", timeout)):
            if v is not None:
                args += [flag, str(v)]
        r = subprocess.run([*args, "--", *map(str, cmd)], env=env, capture_output=True, text=True)
        if r.returncode != 0 or not res.exists():
            raise RuntimeError(f"proc_tree failed (exit {r.returncode}): {r.stderr.strip()[-2000:]}")
        return json.loads(res.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True, help="Where to write the result.")
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--poll", type=float, default=0.05)
    ap.add_argument("--grace", type=float, default=5.0)
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--stdout", default=None)
    ap.add_argument("--stderr", default=None)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command given")
    result = run(cmd, a.cwd, a.stdout, a.stderr, a.timeout, a.poll, a.grace)
    Path(a.json).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
