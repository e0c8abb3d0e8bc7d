"""The live progress line and the shipped quick-start config."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import yaml
from typer.testing import CliRunner

from tilth.cli import app
from tilth.train.progress import ProgressLine, progress_text

QUICKSTART = Path(__file__).resolve().parents[2] / "tilth" / "train" / "configs" / "quickstart.yaml"
LINE = re.compile(r"step (\d+)/(\d+)  loss ([\d.]+)  ([\d,]+) tok/s  weights (.*)")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_every_nth_step_and_at_the_end():
    out = io.StringIO()
    line = ProgressLine(7, ["a", "b"], stream=out, every=3)
    for step in range(1, 8):
        line.update(step, 1.0 / step, 100 * step, np.array([0.25, 0.75]))
    line.close()
    steps = [int(LINE.fullmatch(x).group(1)) for x in out.getvalue().splitlines()]
    assert steps == [3, 6, 7]
    assert out.getvalue().splitlines()[-1] == progress_text(7, 7, 1 / 7, float(
        LINE.fullmatch(out.getvalue().splitlines()[-1]).group(4).replace(",", "")), ["a", "b"], np.array([0.25, 0.75]))


def test_terminal_gets_one_redrawn_line_ending_at_the_last_step():
    out = Terminal()
    line = ProgressLine(50, ["web", "code"], stream=out, min_interval=0.0)
    for step in range(1, 51):
        line.update(step, 2.0, 64 * step, np.array([0.9, 0.1]))
    line.close()
    text = out.getvalue()
    assert "\x1b[" in text  # drawn in place with terminal control codes, not 50 appended lines
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "step 50/50  loss 2.0000" in plain and "web 0.900  code 0.100" in plain


def test_quickstart_config_trains_shows_progress_and_resumes(tmp_path):
    cfg = yaml.safe_load(QUICKSTART.read_text())
    out = CliRunner().invoke(app, ["train", str(QUICKSTART), "-w", str(tmp_path / "ws")])
    assert out.exit_code == 0, out.output
    lines = [m for m in map(LINE.fullmatch, out.output.splitlines()) if m]
    assert [int(m.group(1)) for m in lines] == list(range(cfg["steps"] // 20, cfg["steps"] + 1, cfg["steps"] // 20))
    for m in lines:
        weights = [float(w) for w in m.group(5).split()[1::2]]
        assert len(weights) == 4 and abs(sum(weights) - 1) < 4e-3  # four domains, printed to 3 decimals
        assert float(m.group(4).replace(",", "")) > 0
    assert f"run {cfg['run']}: {cfg['steps']} steps" in out.output
    again = CliRunner().invoke(app, ["train", str(QUICKSTART), "-w", str(tmp_path / "ws"), "--resume"])
    assert again.exit_code == 0 and f"resuming {cfg['run']} at step {cfg['steps']}" in again.output
