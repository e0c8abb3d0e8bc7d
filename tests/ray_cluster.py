"""Test helper: a two-node Ray cluster on this machine, started with the `ray` CLI as a user would.

Each node gets its own temp dir (its own raylet sockets and session files); ports are Ray's own picks
except the head's GCS port. Ray rewrites 127.0.0.1 to the machine's reachable address for the nodes it
starts, but the GCS listens on every interface, so clients attach through 127.0.0.1:PORT. Stopping kills
only the processes of these two temp dirs (and their children): `ray stop` would stop every Ray on the
machine, other users' included.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def ray_cli() -> str | None:
    here = Path(sys.executable).with_name("ray")
    return str(here) if here.exists() else shutil.which("ray")


def env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TwoNodeCluster:
    COMMON = ("--num-cpus", "1", "--disable-usage-stats")

    def __init__(self):
        self.ray = ray_cli()
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # short paths: a raylet's socket path must fit in 107 bytes
        self.dirs = [tempfile.mkdtemp(prefix="tr-", dir="/tmp") for _ in range(2)]

    def start_head(self) -> TwoNodeCluster:
        self._ray("start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(self.port),
                  "--include-dashboard", "false", "--temp-dir", self.dirs[0], *self.COMMON)
        return self

    def start(self) -> TwoNodeCluster:
        self.start_head()
        self._ray("start", "--address", self.address, "--resources", json.dumps({"node2": 1}),
                  "--temp-dir", self.dirs[1], *self.COMMON)
        return self

    def _ray(self, *args: str) -> None:
        p = subprocess.run([self.ray, *args], env=env(), capture_output=True, text=True, timeout=180)
        if p.returncode:
            self.stop()
            raise RuntimeError(f"ray {' '.join(args)} failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")

    def stop(self) -> None:
        procs: dict[int, psutil.Process] = {}
        for p in psutil.process_iter(["cmdline"]):
            try:
                cmd = " ".join(p.info["cmdline"] or [])
                if any(d in cmd for d in self.dirs):
                    procs[p.pid] = p
                    procs.update({c.pid: c for c in p.children(recursive=True)})
            except psutil.Error:
                continue
        for p in procs.values():
            try:
                p.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(list(procs.values()), timeout=5)
        for p in alive:
            try:
                p.kill()
            except psutil.Error:
                pass
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tilth.cli", *args], env=env(), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def node_ids(address: str) -> dict[str, bool]:
    """{node id: whether it has the node2 resource} of the cluster, from a separate driver process."""
    code = (f"import json, ray; ray.init(address={address!r}, include_dashboard=False, log_to_driver=False); "
            "print(json.dumps({n['NodeID']: 'node2' in n['Resources'] for n in ray.nodes() if n['Alive']}))")
    p = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])
