"""A real workspace for the UI tests: a small recipe run with `tilth run` on standard-library paragraphs with
planted duplicates, short rows, rows the normaliser changes, HTML in a cell and a malformed line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from corpus_fixtures import stdlib_paragraphs

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert('x')</script> <b>bold</b> & friends: this paragraph has more than enough words to be kept"
N_PARAS = 60


def write_input(path: Path) -> dict[str, int]:
    """JSONL with known counts: every 10th paragraph twice (with extra spaces), every 7th followed by a short row,
    every 9th with a no-break space the normaliser replaces, one hostile HTML row, one cut-off line."""
    paras = stdlib_paragraphs(N_PARAS)
    counts = {"paragraphs": len(paras), "duplicates": 0, "short": 0, "normalised": 0, "malformed": 1}
    with open(path, "w") as f:
        for i, p in enumerate(paras):
            if i % 9 == 0:
                p = p.replace(" ", "\u00a0", 1)
                counts["normalised"] += 1
            f.write(json.dumps({"content": p, "source": ["lib", "docs", "tests"][i % 3]}) + "\n")
            if i % 10 == 0:
                f.write(json.dumps({"content": "  " + p + "  ", "source": "dup"}) + "\n")
                counts["duplicates"] += 1
            if i % 7 == 0:
                f.write(json.dumps({"content": "too short", "source": "short"}) + "\n")
                counts["short"] += 1
            if i == 30:
                f.write('{"content": "a record cut off mid-write\n')
        f.write(json.dumps({"content": HOSTILE, "source": "<i>html-source</i>"}) + "\n")
    return counts


RECIPE = """name: webclean
input: {path: input.jsonl, text: content}
workers: 1
steps:
  - normalize: {}
  - length_filter: {min: 8}
  - exact_dedup: {normalise: whitespace}
output: {dataset: clean, report: false}
"""


def build_workspace(tmp: Path) -> tuple[Path, dict[str, int]]:
    """Run the recipe with the real `tilth run` command; return the workspace and the planted counts."""
    counts = write_input(tmp / "input.jsonl")
    (tmp / "recipe.yaml").write_text(RECIPE)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "tilth.cli", "run", str(tmp / "recipe.yaml"), "-w", str(tmp / "ws"),
                           "-q"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    return tmp / "ws", counts


class Server:
    """The UI app on a real uvicorn server in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        import socket
        import threading

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)
