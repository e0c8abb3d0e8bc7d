"""Worker processes die with the driver that started them (ISSUE row 11).

A forkserver's children hold the write end of its "alive" pipe and block reading their task queue,
whose write end they hold too: with the driver killed (`kill -9`), neither they nor the forkserver ever
see EOF, and they live on as orphans. So every pool worker watches the driver's pid (a pidfd, readable
the moment the process is gone; polling where pidfds do not exist) and also asks the kernel for SIGKILL
when its parent, the forkserver, dies (PR_SET_PDEATHSIG). The forkserver watches the driver the same way
(`tilth.exec.forkserver_lifeline`, preloaded into it). Sandboxed workers (bwrap --die-with-parent) and
the embedded LLM server (--parent-pid) follow their own parents.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time

PR_SET_PDEATHSIG = 1


def set_pdeathsig(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send `sig` to this process when its parent exits (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch(pid: int) -> None:
    """End this process as soon as process `pid` is gone."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        _die()
        return
    except (AttributeError, OSError):
        fd = None

    def run() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:
            while True:
                time.sleep(0.5)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    continue
        _die()

    threading.Thread(target=run, daemon=True, name="tilth-lifeline").start()


def _die() -> None:
    """Run the cleanups that matter (sandboxes and their work dirs), then SIGKILL this process; a
    cleanup that hangs is cut short after 3 s."""
    me = os.getpid()
    timer = threading.Timer(3.0, os.kill, (me, signal.SIGKILL))
    timer.daemon = True
    timer.start()
    try:
        from multiprocessing import util

        util._run_finalizers(10)
    except Exception:
        pass
    finally:
        os.kill(me, signal.SIGKILL)


def worker_init(driver_pid: int) -> None:
    """ProcessPoolExecutor initializer: die with the driver, and with the forkserver (our parent)."""
    set_pdeathsig()
    watch(driver_pid)
