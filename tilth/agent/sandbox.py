"""Confine untrusted (generated) Python: bubblewrap namespaces, rlimits and a wall clock.

What confines the code (`confined_command`):
- bubblewrap (`bwrap`, Debian package `bubblewrap`): new pid, net, ipc and uts namespaces; a root file
  system that holds only read-only system and Python directories (/usr, the interpreter, the virtualenv,
  the `tilth` package), one writable work directory, a private /tmp, /proc and /dev. No /etc, no home, no
  workspace. `--die-with-parent` and `--new-session`; when bwrap goes, the pid namespace goes with it, so
  a double-forked, setsid'd grandchild dies too.
- the code never runs as root. As another user, bwrap puts it in a user namespace as uid 65534. When Tilth
  runs as root, bwrap keeps CAP_SETUID/CAP_SETGID only until the bootstrap below has dropped to a uid/gid
  of the sandbox's own, from a high range no account uses (root is exempt from RLIMIT_NPROC, and without
  a user namespace that limit counts all processes of a uid: a shared uid would make sandboxes share it).
- rlimits set by the bootstrap before any generated code runs: CPU time, address space, processes (a fork
  storm stops at `nproc`), file size, no core files.
- the wall clock, in the parent: on expiry bwrap is killed, and the whole namespace with it.
- an audit hook *reports* socket use (exit code NET_BLOCKED_EXIT); the empty network namespace is what
  stops it, also for code that calls libc through ctypes.

Where no working bwrap exists, running generated code raises SandboxUnavailable, unless the user allows it
explicitly (`--allow-unconfined` on `tilth run` / `tilth agent`, i.e. TILTH_ALLOW_UNCONFINED=1): the code
then runs in a plain child process with the rlimits and the audit hook only (and an empty network namespace
via `unshare -n` where that works), which stops accidents, not a determined attacker.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

NET_BLOCKED_EXIT = 97
SETUID_FAILED_EXIT = 96
SANDBOX_UID = 65534  # nobody: the uid inside a user namespace (Tilth not running as root)
ROOT_UID_BASE = 0x7FFE0000  # running as root: each sandbox gets ROOT_UID_BASE + n, n < 65536
ALLOW_ENV = "TILTH_ALLOW_UNCONFINED"

# Runs first in the sandboxed interpreter: drop root, set limits, install the socket reporter, then run
# the target (a script path or `-m module`) with the remaining arguments.
BOOT = r'''
import os, resource, sys
uid = int(os.environ.pop("TILTH_SANDBOX_UID", "-1"))
if uid >= 0 and os.getuid() == 0:
    try:
        os.setgroups([]); os.setgid(uid); os.setuid(uid)
    except OSError as e:
        sys.stderr.write(f"SANDBOX: cannot drop to uid {uid}: {e}\n"); os._exit(__SETUID_FAILED__)
    if os.getuid() == 0 or os.geteuid() == 0:
        os._exit(__SETUID_FAILED__)
for name, (soft, hard) in __LIMITS__.items():  # CPU: SIGXCPU at the soft limit, SIGKILL at the hard one
    resource.setrlimit(getattr(resource, "RLIMIT_" + name), (soft, hard))
def _tilth_guard(event, args):
    if event in ("socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo"):
        sys.stderr.write("SANDBOX: network access blocked (" + event + ")\n")
        sys.stderr.flush()
        os._exit(__NET_BLOCKED__)
sys.addaudithook(_tilth_guard)
target, sys.argv = sys.argv[1], sys.argv[1:]
import runpy
if target == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    runpy.run_path(target, run_name="__main__")
'''


class SandboxUnavailable(RuntimeError):
    """No real sandbox here, and the user did not allow unconfined execution."""


@dataclass(frozen=True)
class Limits:
    wall_s: float | None = 30  # enforced by the caller (run_python: kill on expiry)
    cpu_s: int | None = 20
    mem_mb: int | None = 2048
    nproc: int | None = 64  # processes and threads of the sandbox (RLIMIT_NPROC)
    fsize_mb: int | None = 1024


@dataclass
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    network_blocked: bool = False
    killed_by: str | None = None  # "wall", "cpu", "memory", "network"
    confined: bool = True  # False: ran unconfined because the user allowed it

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


# -- is there a sandbox? ---------------------------------------------------------------------------------
def allow_unconfined() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


@functools.lru_cache(maxsize=1)
def bwrap_status() -> tuple[bool, str]:
    """(True, "") if a bwrap sandbox works here, else (False, why). Probed once per process by running the
    real bootstrap inside the real command line."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    work = Path(tempfile.mkdtemp(prefix="tilth-sbx-probe-"))
    try:
        script = work / "probe.py"
        script.write_text("import os\nprint('uid', os.getuid())\n")
        cmd, kw = confined_command([str(script)], work, Limits(cpu_s=10), confine=True)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"bwrap failed to start: {e}"
        if p.returncode != 0 or not p.stdout.startswith("uid ") or p.stdout.split()[1] == "0":
            return False, f"bwrap cannot build the sandbox here (exit {p.returncode}): {p.stderr.strip()[-300:]}"
        return True, ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def require_sandbox() -> bool:
    """True: confine with bwrap. False: the user allowed unconfined runs and there is no sandbox.
    Raises SandboxUnavailable otherwise."""
    ok, why = bwrap_status()
    if ok:
        return True
    if allow_unconfined():
        return False
    raise SandboxUnavailable(
        f"refusing to run generated code: no sandbox here ({why}). Install bubblewrap (Debian/Ubuntu: "
        f"apt-get install bubblewrap; ./tilth.sh installs it when run as root), or pass --allow-unconfined "
        f"(or set {ALLOW_ENV}=1) to run it in a plain child process with resource limits only.")


# -- the command line ------------------------------------------------------------------------------------
def _python_paths() -> list[str]:
    """Read-only directories the interpreter needs: its installation, the virtualenv, the tilth package."""
    import tilth

    paths = {os.path.realpath(sys.base_prefix), sys.prefix, os.path.realpath(sys.prefix),
             os.path.dirname(os.path.realpath(sys.executable)), str(Path(tilth.__file__).resolve().parent)}
    out = []
    for p in sorted(paths):
        if not p.startswith("/usr/") and p != "/usr" and os.path.isdir(p):
            out.append(p)
    # keep the outermost of nested paths
    return [p for p in out if not any(p != q and p.startswith(q + "/") for q in out)]


_uid_counter = itertools.count()


def _root_uid() -> int:
    """A uid for one sandbox when Tilth runs as root: distinct across this process's sandboxes and, by the
    pid, very likely across processes."""
    return ROOT_UID_BASE + ((os.getpid() * 64 + next(_uid_counter)) & 0xFFFF)


@functools.lru_cache(maxsize=1)
def _bwrap_supports(flag: str) -> bool:
    try:
        return flag in subprocess.run(["bwrap", "--help"], capture_output=True, text=True).stdout
    except OSError:
        return False


def _env(work: Path, uid: int | None) -> dict[str, str]:
    import tilth

    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "PYTHONPATH": str(Path(tilth.__file__).resolve().parent.parent), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONNOUSERSITE": "1", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TILTH_IN_SANDBOX": "1"}  # lets registry.import_plugin import generated code, here only
    if uid is not None:
        env["TILTH_SANDBOX_UID"] = str(uid)
    return env


def confined_command(argv: list[str], work: Path, limits: Limits, confine: bool | None = None,
                     ro_paths: tuple[str, ...] = ()) -> tuple[list[str], dict]:
    """The command (and Popen keyword arguments) that runs `python BOOT *argv` confined, cwd `work`.
    `argv` is a script path or ["-m", module], then its arguments. `work` is the only writable place.
    `confine=None` decides with require_sandbox()."""
    if confine is None:
        confine = require_sandbox()
    work = Path(work).resolve()
    mb = 2**20
    rl = {"CORE": (0, 0)}
    if limits.cpu_s:
        rl["CPU"] = (limits.cpu_s, limits.cpu_s + 1)
    if limits.mem_mb:
        rl["AS"] = (limits.mem_mb * mb,) * 2
    if limits.nproc:
        rl["NPROC"] = (limits.nproc,) * 2
    if limits.fsize_mb:
        rl["FSIZE"] = (limits.fsize_mb * mb,) * 2
    boot = (BOOT.replace("__LIMITS__", repr(rl)).replace("__SETUID_FAILED__", str(SETUID_FAILED_EXIT))
            .replace("__NET_BLOCKED__", str(NET_BLOCKED_EXIT)))
    python = [sys.executable, "-c", boot, *argv]
    root = os.geteuid() == 0
    if not confine:
        cmd = python
        if root and shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
            cmd = ["unshare", "-n", *python]
        env = _env(work, None)
        env["PATH"] = os.environ.get("PATH", env["PATH"])
        return cmd, {"cwd": str(work), "env": env, "start_new_session": True}

    uid = _root_uid() if root else SANDBOX_UID
    if root:
        os.chown(work, uid, uid)
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--hostname", "tilth-sandbox", "--clearenv"]
    if root:  # privileged bwrap (no user namespace): the bootstrap drops to `uid` with these two capabilities
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--uid", str(uid), "--gid", str(uid)]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    if _bwrap_supports("--size"):
        cmd += ["--size", str(256 * mb)]
    cmd += ["--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    binds = [(p, True) for p in (*_python_paths(), *ro_paths)] + [(str(work), False)]
    parents = sorted({str(q) for p, _ in binds for q in Path(p).parents if str(q) != "/"}, key=lambda s: s.count("/"))
    for d in parents:  # bwrap would create them 0700, which the sandbox uid could not traverse
        cmd += ["--perms", "0755", "--dir", d]
    for p, ro in binds:
        cmd += ["--ro-bind" if ro else "--bind", p, p]
    cmd += ["--chdir", str(work)]
    for k, v in _env(work, uid if root else None).items():
        cmd += ["--setenv", k, v]
    return cmd + python, {"cwd": str(work), "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}}


# -- one-shot runs -----------------------------------------------------------------------------------------
def run_python(script: Path, cwd: Path, wall_s: float = 30, cpu_s: int = 20, mem_mb: int = 2048,
               args: list[str] | None = None, nproc: int = 64, ro_paths: tuple[str, ...] = ()) -> SandboxResult:
    """Run `script` confined, with `cwd` as its only writable directory; return what happened. The script
    and any files it reads must be inside `cwd` or in `ro_paths`."""
    cwd = Path(cwd)
    cwd.mkdir(parents=True, exist_ok=True)
    limits = Limits(wall_s=wall_s, cpu_s=cpu_s, mem_mb=mem_mb, nproc=nproc)
    confine = require_sandbox()
    cmd, kw = confined_command([str(Path(script).resolve()), *(args or [])], cwd, limits, confine, ro_paths)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, **kw)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill(proc)
        out, err = proc.communicate()
    rc = proc.returncode
    killed = None
    if timed_out:
        killed = "wall"
    elif rc == NET_BLOCKED_EXIT and "SANDBOX: network" in err:
        killed = "network"
    elif rc in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU, 128 + signal.SIGKILL):
        killed = "cpu"  # bwrap reports its child's death by signal N as exit 128 + N
    elif "MemoryError" in err:
        killed = "memory"
    return SandboxResult(rc, out, err, timed_out, killed == "network", killed, confined=confine)


def kill(proc: subprocess.Popen) -> None:
    """Kill a process started from confined_command: bwrap (its namespace goes with it) or, unconfined,
    its process group."""
    try:
        if proc.args and proc.args[0] == "bwrap":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
