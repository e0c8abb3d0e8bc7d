"""The sandbox tests need a working bubblewrap. ./tilth.sh installs it (Debian package `bubblewrap`) when
it runs as root with apt; these tests skip only where it cannot be had, and say why."""

from __future__ import annotations

import os
import shutil

import pytest

from tilth.agent.sandbox import bwrap_status


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


@pytest.fixture
def sandbox():
    """Skip (with the reason) only when no bwrap sandbox can exist here; fail when one could be installed."""
    ok, why = bwrap_status()
    if ok:
        return
    if shutil.which("bwrap") is None and _can_install():
        pytest.fail(f"{why}: this machine could install it (root + apt-get); run ./tilth.sh test, which does")
    if shutil.which("bwrap") is None:
        pytest.skip(f"needs bubblewrap, which is not installed and cannot be installed here (not root or no "
                    f"apt-get): {why}")
    pytest.skip(f"bubblewrap is installed but cannot build a sandbox on this machine: {why}")


def processes_with(token: str) -> list[int]:
    """Live (not zombie) processes whose command line contains `token`."""
    import psutil

    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        try:
            if p.info["status"] != psutil.STATUS_ZOMBIE and token in " ".join(p.info["cmdline"] or []):
                found.append(p.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found
