"""The command line under errors: one clear line with the fix (rows 14, 18), output that shows data as
written (row 15), follow-up hints that name the workspace (row 16), `--format csv >>` appends (row 6)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tilth.cli import app
from tilth.pipeline import Recipe
from tilth.storage import Workspace

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def tilth(*args: str, **kw) -> subprocess.CompletedProcess:
    """The real `tilth` command in a fresh process (what a user's shell runs)."""
    return subprocess.run([sys.executable, "-m", "tilth.cli", *args], env={**ENV, **kw.pop("env", {})},
                          cwd=kw.pop("cwd", ROOT),
                          capture_output="stdout" not in kw, text=True, timeout=120, **kw)


def write_recipe(tmp_path, lines: list[str], **kw) -> Path:
    data = tmp_path / "in.jsonl"
    data.write_text("".join(x + "\n" for x in lines))
    r = Recipe.model_validate({"name": "h", "input": {"path": str(data)}, "workers": 1,
                               "steps": [{"length_filter": {"min": 1}}], **kw})
    path = tmp_path / "r.yaml"
    path.write_text(r.to_yaml())
    return path


def error_lines(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.strip()]


# -- row 6 ----------------------------------------------------------------------------------------------------
def test_row6_sql_csv_appends_to_a_redirected_file(tmp_path):
    Workspace(tmp_path / "ws")
    target = tmp_path / "existing.csv"
    target.write_text("kept,line\n")
    for _ in range(2):
        with open(target, "a") as out:  # what `tilth sql ... --format csv >> existing.csv` gives the process
            done = tilth("sql", "SELECT 1 AS a, 'x' AS b", "-w", str(tmp_path / "ws"), "--format", "csv", stdout=out,
                         stderr=subprocess.PIPE)
        assert done.returncode == 0, done.stderr
    assert target.read_text().splitlines() == ["kept,line", '"a","b"', '1,"x"', '"a","b"', '1,"x"']


# -- row 14 ---------------------------------------------------------------------------------------------------
@pytest.fixture()
def busy_workspace(tmp_path, monkeypatch):
    """A workspace whose database another process holds open for writing (and no wait for it to let go)."""
    monkeypatch.setenv("TILTH_BUSY_WAIT", "0")
    Workspace(tmp_path / "ws")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(tmp_path / "ws" / "tilth.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield tmp_path / "ws", holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_row14_busy_workspace_is_one_line_with_the_fix_and_debug_shows_the_traceback(busy_workspace, tmp_path):
    ws, pid = busy_workspace
    for args in (["sql", "SELECT 1", "-w", str(ws)], ["datasets", "-w", str(ws)],
                 ["run", str(write_recipe(tmp_path, ['{"text": "a b c"}'])), "-w", str(ws), "-q"]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 1, out.output
        assert error_lines(out.output) == [f"error: workspace {ws} is busy: another process (PID {pid}) is using its "
                                           "database; wait for it to finish, or use another workspace with -w"]
    for args in (["--debug", "sql", "SELECT 1", "-w", str(ws)], ["sql", "SELECT 1", "-w", str(ws), "--debug"]):
        done = tilth(*args, env={"TILTH_BUSY_WAIT": "0"})
        assert done.returncode == 1 and done.stderr.count("Traceback (most recent call last)") == 1, done.stderr
        assert "WorkspaceBusy" in done.stderr and "IOException" not in done.stderr  # not chained twice


def test_row14_llm_and_unexpected_errors_are_one_line(tmp_path, monkeypatch):
    from tilth.llm.client import LLMError
    from tilth.pipeline import runner

    recipe = write_recipe(tmp_path, ['{"text": "a b c"}'])

    def fail_llm(self):
        raise LLMError("http://127.0.0.1:9/v1/chat/completions: gave up after 4 attempts (ConnectError)")

    monkeypatch.setattr(runner.Runner, "run", fail_llm)
    out = CliRunner().invoke(app, ["run", str(recipe), "-w", str(tmp_path / "ws")])
    assert out.exit_code == 1 and error_lines(out.output) == [
        "error: LLM request failed: http://127.0.0.1:9/v1/chat/completions: gave up after 4 attempts "
        "(ConnectError); check that the endpoint is up (recipe `llm: {url: ...}` or TILTH_LLM_URL), or remove it "
        "to use the embedded model"]

    def fail_bug(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.Runner, "run", fail_bug)
    out = CliRunner().invoke(app, ["run", str(recipe), "-w", str(tmp_path / "ws")])
    assert out.exit_code == 1
    assert error_lines(out.output) == ["error: RuntimeError: boom (run with --debug for the traceback)"]


def test_row14_pydantic_and_yaml_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninput: {path: data/}\nexector: local\nsteps: 5\n")
    for cmd in ("run", "validate"):
        out = CliRunner().invoke(app, [cmd, str(bad)])
        assert out.exit_code == 2
        assert error_lines(out.output) == [
            "error: invalid recipe: steps: steps is a list of `- operator: {params}` entries, got int (got 5); "
            "exector: unknown key (got 'local')"]
    bad.write_text("name: x\ninput: {path: data/\n")
    out = CliRunner().invoke(app, ["run", str(bad)])
    assert out.exit_code == 2 and len(error_lines(out.output)) == 1
    assert error_lines(out.output)[0].startswith(f"error: recipe {bad}: not valid YAML (line 3, column 1)")


# -- row 15 ---------------------------------------------------------------------------------------------------
def test_row15_brackets_in_validate_and_ops_output_are_shown(tmp_path):
    out = CliRunner().invoke(app, ["ops", "list"])
    assert out.exit_code == 0 and "lies in [min_words," in out.output  # was "lies in ;"
    out = CliRunner().invoke(app, ["ops", "show", "word_count_filter"])
    assert out.exit_code == 0 and "[min_words, max_words]" in " ".join(out.output.split())
    recipe = write_recipe(tmp_path, ['{"text": "a b c"}'], executor="locall")
    text = recipe.read_text().replace("length_filter", "length_filtr")
    recipe.write_text(text)
    out = CliRunner().invoke(app, ["validate", str(recipe)])
    assert out.exit_code == 2
    assert "1. [executor] unknown executor 'locall'" in out.output
    assert "2. [step 1: length_filtr] unknown operator 'length_filtr'" in out.output


def test_row15_table_cells_from_data_are_not_markup(tmp_path):
    ws = Workspace(tmp_path / "ws")
    import pyarrow as pa

    ws.write_table("t", pa.table({"_id": [1], "text": ["[bold]x[/bold] and [step 2: lang_id]"]}))
    out = CliRunner().invoke(app, ["sql", "SELECT text FROM t", "-w", str(tmp_path / "ws")])
    assert "[bold]x[/bold] and [step 2: lang_id]" in out.output


# -- row 16 ---------------------------------------------------------------------------------------------------
def test_row16_hints_after_a_run_name_the_workspace(tmp_path):
    recipe = write_recipe(tmp_path, ['{"text": "a b c"}', "{broken", '{"text": 5}'])
    ws = tmp_path / "my ws"
    out = CliRunner().invoke(app, ["run", str(recipe), "-w", str(ws), "-q"])
    assert out.exit_code == 0, out.output
    line = next(ln for ln in out.output.splitlines() if "malformed records quarantined" in ln)
    cmd = shlex.split(line.split(": ", 1)[1])
    assert cmd == ["tilth", "sql", "-w", str(ws), "SELECT * FROM quarantine WHERE run = 'h'"]
    follow = CliRunner().invoke(app, [*cmd[1:], "--format", "json"])
    assert follow.exit_code == 0 and [json.loads(x)["line"] for x in follow.stdout.splitlines()] == [2, 3]


def test_row16_hint_leaves_out_the_default_workspace(tmp_path, monkeypatch):
    from tilth.cli import hint

    monkeypatch.setenv("TILTH_WORKSPACE", str(tmp_path / "default-ws"))
    assert hint("sql", "SELECT 1", workspace=tmp_path / "default-ws") == 'tilth sql "SELECT 1"'
    other = tmp_path / "o'ther"
    assert hint("sql", "SELECT 'a'", workspace=other) == f"tilth sql -w \"{other}\" \"SELECT 'a'\""
    assert shlex.split(hint("sql", 'say "$x"', workspace=other)) == ["tilth", "sql", "-w", str(other), 'say "$x"']


# -- row 18 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", ["run", "validate"])
def test_row18_a_missing_recipe_file_says_file_not_found(tmp_path, cmd):
    out = CliRunner().invoke(app, [cmd, str(tmp_path / "nothere.yaml")])
    assert out.exit_code == 2
    assert error_lines(out.output) == [f"error: recipe file not found: {tmp_path / 'nothere.yaml'}"]
    out = CliRunner().invoke(app, [cmd, str(tmp_path)])
    assert out.exit_code == 2 and error_lines(out.output) == [f"error: recipe {tmp_path} is not a file"]


def test_dash_h_is_help_everywhere():
    for args in (["-h"], ["run", "-h"], ["classifier", "train", "-h"]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0 and "Usage: " in out.output and "Options" in out.output, (args, out.output)


def test_hostile_trial_89_paths_that_are_not_what_they_should_be_say_so_before_any_work(tmp_path):
    """Trial 89: a workspace path that is a file gave a bare FileExistsError; an export path that is a folder, or in a
    folder nothing can be written to, named a temporary file, and only after the run had committed its steps."""
    recipe = write_recipe(tmp_path, ['{"text": "a b c"}'])
    (tmp_path / "wsfile").write_text("x")
    out = tilth("run", str(recipe), "-w", str(tmp_path / "wsfile"))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert f"workspace {tmp_path / 'wsfile'} is a file, not a folder" in " ".join(out.stderr.split())
    (tmp_path / "out" / "dir.jsonl").mkdir(parents=True)
    recipe = write_recipe(tmp_path, ['{"text": "a b c"}'], output={"export": str(tmp_path / "out" / "dir.jsonl")})
    out = tilth("run", str(recipe), "-w", str(tmp_path / "ws"))
    assert out.returncode != 0 and "is a folder: give the path of a file in it" in " ".join(out.stderr.split())
    assert not (tmp_path / "ws" / "runs").exists()  # (refused before any step ran)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        probe = locked / "probe"
        try:
            probe.write_text("x")  # (root writes anyway: /sys then, where no file can be made, not even by root)
            probe.unlink()
            target = Path("/sys/tilth-probe.jsonl")
        except PermissionError:
            target = locked / "x.jsonl"
        if target.parent.is_dir():
            recipe = write_recipe(tmp_path, ['{"text": "a b c"}'], output={"export": str(target)})
            out = tilth("run", str(recipe), "-w", str(tmp_path / "ws2"))
            assert out.returncode != 0 and "cannot write output.export" in " ".join(out.stderr.split())
    finally:
        locked.chmod(0o700)


def test_sql_table_output_escapes_control_characters(tmp_path):
    """Trial 89: ESC, NUL and DEL from the data reached the terminal through `tilth sql`'s table (an ANSI sequence in a
    text could clear or retitle it)."""
    recipe = write_recipe(tmp_path, ['{"text": "a b c"}'])
    assert tilth("run", str(recipe), "-w", str(tmp_path / "ws")).returncode == 0
    out = tilth("sql", "-w", str(tmp_path / "ws"), "SELECT chr(27) || '[2J' || 'gone' AS x, 'a' || chr(127) || 'b' AS y")
    assert out.returncode == 0 and "\x1b" not in out.stdout and "\x7f" not in out.stdout
    assert "\\x1b[2Jgone" in out.stdout and "a\\x7fb" in out.stdout
