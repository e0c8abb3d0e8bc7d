"""Preloaded into the forkserver (see tilth.exec.local): the forkserver exits when the driver is gone, and
every process it forks gets SIGKILL when the forkserver goes, from the moment of the fork (a worker can
spend seconds re-importing the driver's main module before its pool initializer runs).

Importing it anywhere else does nothing: it acts only when imported by multiprocessing.forkserver.main.
"""

from __future__ import annotations

import os
import sys


def _in_forkserver() -> bool:
    frame = sys._getframe()
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith(os.path.join("multiprocessing", "forkserver.py")):
            return True
        frame = frame.f_back
    return False


if _in_forkserver():
    from tilth.exec.lifeline import set_pdeathsig, watch

    os.register_at_fork(after_in_child=set_pdeathsig)
    watch(os.getppid())
