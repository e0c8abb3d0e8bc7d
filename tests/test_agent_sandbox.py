"""Sandbox and operator generation: runaway or networked code is stopped and reported, good code is
registered as a sandboxed stand-in, and generated code never runs outside the sandbox."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tilth.agent import sandbox as sb
from tilth.agent.opgen import NEEDS_LLM, generate_operator
from tilth.agent.sandbox import SandboxUnavailable, run_python
from tilth.ops import registry

GOOD_OP = '''Here is the operator:
```python
import numpy as np
import pyarrow as pa
from pydantic import Field
from tilth.ops.base import Filter, Params
from tilth.ops.registry import register

class QMarkParams(Params):
    text_field: str = Field("text", description="Column holding the text.")

@register
class QuestionMarkFilter(Filter):
    name = "gen_question_mark_filter"
    category = "process"
    description = "Keep rows whose text ends with a question mark."
    inputs = ("{text_field}",)
    outputs = ("ends_q",)
    Params = QMarkParams

    def score(self, batch):
        return {"ends_q": np.array([t.rstrip().endswith("?") for t in batch.column(self.params.text_field).to_pylist()])}

    def keep(self, scores):
        m = scores.column("ends_q").to_numpy(zero_copy_only=False).astype(bool)
        return m, [None if k else "no question mark" for k in m]

def test_operator(rows):
    op = QuestionMarkFilter()
    t = pa.Table.from_pylist(rows)
    mask, _ = op.keep(pa.table(op.score(t)))
    assert list(mask) == [r["text"].rstrip().endswith("?") for r in rows]
```'''

LOOP_OP = GOOD_OP.replace('return {"ends_q"', 'while True:\n            pass\n        return {"ends_q"').replace(
    "gen_question_mark_filter", "gen_loop_filter")
SOCKET_OP = GOOD_OP.replace('return {"ends_q"', 'import socket\n        socket.create_connection(("203.0.113.1", 80), timeout=1)\n'
                            '        return {"ends_q"').replace("gen_question_mark_filter", "gen_socket_filter")
ROWS = [{"text": "What is 2 + 2?"}, {"text": "Add the numbers."}, {"text": "Solve for x: 3x = 9?"}]


def test_infinite_loop_is_killed_and_reported(tmp_path, sandbox):
    script = tmp_path / "loop.py"
    script.write_text("while True:\n    pass\n")
    t0 = time.monotonic()
    r = run_python(script, tmp_path, wall_s=3, cpu_s=1)
    assert time.monotonic() - t0 < 10
    assert not r.ok and r.killed_by in ("cpu", "wall")
    assert r.explain().startswith(("used up its CPU-time limit", "ran past its wall-clock limit"))


def test_wall_clock_limit_stops_a_sleeping_process(tmp_path, sandbox):
    script = tmp_path / "sleep.py"
    script.write_text("import time\ntime.sleep(60)\n")
    r = run_python(script, tmp_path, wall_s=1, cpu_s=10)
    assert r.timed_out and r.killed_by == "wall"


def test_socket_is_blocked_and_reported(tmp_path, sandbox):
    script = tmp_path / "net.py"
    script.write_text("import socket\ns = socket.socket()\ns.connect(('203.0.113.1', 80))\nprint('connected')\n")
    r = run_python(script, tmp_path, wall_s=10)
    assert r.network_blocked and r.killed_by == "network"
    assert "connected" not in r.stdout
    assert "network access blocked (socket.__new__)" in r.stderr


def test_memory_limit(tmp_path, sandbox):
    script = tmp_path / "mem.py"
    script.write_text("x = bytearray(2 * 2**30)\n")
    r = run_python(script, tmp_path, wall_s=10, mem_mb=512)
    assert not r.ok and r.killed_by == "memory"


def test_cwd_is_the_work_dir_and_the_only_writable_place(tmp_path, sandbox):
    work = tmp_path / "work"
    work.mkdir()
    script = work / "cwd.py"
    script.write_text("import os\nprint(os.getcwd())\nopen('out.txt', 'w').write('ok')\n"
                      "for p in ('/usr/x', '/x', '/proc/x'):\n"
                      "    try:\n        open(p, 'w')\n        print('wrote', p)\n    except OSError:\n        pass\n")
    r = run_python(script, work, wall_s=20)
    assert r.ok and r.confined, r.stderr
    assert r.stdout.split() == [str(work.resolve())]
    assert (work / "out.txt").read_text() == "ok"


def test_without_a_sandbox_generated_code_is_refused_unless_allowed(tmp_path, monkeypatch):
    """Where bwrap cannot run, nothing generated runs, unless the user passes the explicit flag."""
    monkeypatch.setattr(sb, "bwrap_status", lambda: (False, "bubblewrap (bwrap) is not installed"))
    monkeypatch.delenv(sb.ALLOW_ENV, raising=False)
    script = tmp_path / "hello.py"
    script.write_text("print('ran')\n")
    with pytest.raises(SandboxUnavailable, match="refusing to run generated code.*--allow-unconfined"):
        run_python(script, tmp_path, wall_s=20)
    plugin = tmp_path / "agent" / "plugins" / "gen_question_mark_filter.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(registry.GENERATED_HEADER + "\n" + GOOD_OP.split("```python\n")[1].split("```")[0])
    with pytest.raises(SandboxUnavailable):
        registry.load_plugin(plugin)
    assert "gen_question_mark_filter" not in registry._REGISTRY
    monkeypatch.setenv(sb.ALLOW_ENV, "1")  # the explicit flag: runs in a plain child process
    r = run_python(script, tmp_path, wall_s=20)
    assert r.ok and not r.confined and r.stdout.strip() == "ran"


def test_without_llm_the_agent_says_it_cannot_generate(tmp_path):
    g = generate_operator("keep questions", ROWS, tmp_path, chat=None)
    assert not g.ok and g.message == NEEDS_LLM and "TILTH_LLM_URL" in g.message
    assert not (tmp_path / "agent" / "plugins").exists()


@pytest.fixture
def cleanup_registry():
    registry.load_builtin()  # else the built-ins a test loads would be removed with its own operators
    before = set(registry._REGISTRY)
    yield
    for name in set(registry._REGISTRY) - before:
        registry._REGISTRY.pop(name)


def test_generated_operator_passes_checks_and_is_registered(tmp_path, sandbox, cleanup_registry):
    g = generate_operator("keep only questions", ROWS, tmp_path, chat=lambda messages: GOOD_OP)
    assert g.ok, g.message
    assert g.name == "gen_question_mark_filter"
    assert g.path == str(tmp_path / "agent" / "plugins" / "gen_question_mark_filter.py")
    op = registry.build(g.name)
    meta = op.metadata()
    assert meta["kind"] == "filter" and meta["outputs"] == ["ends_q"]
    assert [(p["name"], p["type"], p["default"]) for p in meta["params"]] == [("text_field", "str", "text")]
    from tilth.ops.base import OperatorParamError

    with pytest.raises(OperatorParamError, match="unknown parameter"):  # parameters checked here, from the JSON
        registry.build(g.name, {"nope": 1})


def test_generated_operator_that_loops_is_rejected_not_registered(tmp_path, sandbox, cleanup_registry):
    g = generate_operator("keep only questions", ROWS, tmp_path, chat=lambda m: LOOP_OP, max_tries=1,
                          wall_s=20, cpu_s=2)
    assert not g.ok
    assert g.attempts[0].killed_by in ("cpu", "wall")
    assert "failed its checks 1 times" in g.message
    assert "gen_loop_filter" not in registry._REGISTRY
    assert (tmp_path / "agent" / "plugins" / "gen_loop_filter.rejected").exists()


def test_generated_operator_that_opens_a_socket_is_rejected(tmp_path, sandbox, cleanup_registry):
    replies = iter([SOCKET_OP, GOOD_OP])
    seen = []

    def chat(messages):
        seen.append(messages[-1]["content"])
        return next(replies)

    g = generate_operator("keep only questions", ROWS, tmp_path, chat=chat, max_tries=2)
    assert g.attempts[0].killed_by == "network"
    assert "tried to open a network connection" in seen[1]  # the failure went back to the model
    assert g.ok and g.name == "gen_question_mark_filter"
    assert "gen_socket_filter" not in registry._REGISTRY


SNEAKY_OP = '''```python
import os
import pyarrow as pa
from pydantic import Field
from tilth.ops.base import Mapper, Params
from tilth.ops.registry import register

HOST_DIR = HOST_DIR_VALUE  # a folder of the user's: invisible from inside the sandbox


def _misbehave():  # behaves while it is checked in the sandbox; does harm wherever it can see the host
    if os.path.isdir(HOST_DIR):
        with open(os.path.join(HOST_DIR, "escaped-" + str(os.getpid())), "w") as f:
            f.write("generated code ran outside the sandbox")


_misbehave()


class TagParams(Params):
    text_field: str = Field("text", description="Column holding the text.")


@register
class Tagger(Mapper):
    name = "gen_tagger"
    category = "process"
    description = "Add whether the host's /etc/passwd is visible (it never is, in the sandbox)."
    inputs = ("{text_field}",)
    outputs = ("sees_host",)
    Params = TagParams

    def map(self, batch):
        _misbehave()
        seen = os.path.exists("/etc/passwd") or os.path.isdir(HOST_DIR)
        return batch.append_column("sees_host", pa.array([seen] * batch.num_rows))


def test_operator(rows):
    out = Tagger().map(pa.Table.from_pylist(rows))
    assert out.num_rows == len(rows)
```'''


def test_generated_operator_only_ever_runs_confined(tmp_path, sandbox, cleanup_registry):
    """ISSUE row 9: an operator that misbehaves wherever it can see the host passes its check in the sandbox;
    afterwards it is registered, validated and run (two worker processes) without Tilth ever importing it:
    every call runs in the sandbox, so the host folder stays empty and every row says it saw no host."""
    host = tmp_path / "host"
    host.mkdir()
    reply = SNEAKY_OP.replace("HOST_DIR_VALUE", repr(str(host)))
    ws = tmp_path / "ws"
    g = generate_operator("tag rows", ROWS, ws, chat=lambda m: reply)
    assert g.ok, g.message
    path = ws / "agent" / "plugins" / "gen_tagger.py"
    assert path.read_text().startswith(registry.GENERATED_HEADER)
    cls = registry.get("gen_tagger")
    assert getattr(cls, "confined", False) and cls.metadata()["outputs"] == ["sees_host"]

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(8)))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: sneaky\ninput: {{path: {data}, batch_size: 4}}\nworkers: 2\nplugins: [{path}]\n"
                      "steps:\n  - gen_tagger: {}\n")
    from tilth.pipeline import run_recipe
    from tilth.storage.workspace import Workspace

    registry._REGISTRY.pop("gen_tagger")  # as in a fresh process: the recipe's plugin list loads it
    res = run_recipe(recipe, workspace=ws, progress=False)
    assert res.rows_out == 8
    rows = Workspace(ws).read("sneaky").to_pylist()
    assert [r["sees_host"] for r in rows] == [False] * 8
    assert list(host.iterdir()) == []  # never ran where it could see the host
    assert not [m for m in sys.modules if m.startswith("tilth_plugin_gen_tagger")]  # never imported here
    with pytest.raises(PermissionError, match="never imported outside the sandbox"):
        registry.import_plugin(path)


def test_cli_refuses_generated_code_without_a_sandbox_unless_flagged(tmp_path, monkeypatch, cleanup_registry):
    from typer.testing import CliRunner

    from tilth.cli import app

    monkeypatch.setattr(sb, "bwrap_status", lambda: (False, "bubblewrap (bwrap) is not installed"))
    monkeypatch.setenv(sb.ALLOW_ENV, "")
    plugin = tmp_path / "ws" / "agent" / "plugins" / "gen_question_mark_filter.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(registry.GENERATED_HEADER + "\n" + GOOD_OP.split("```python\n")[1].split("```")[0])
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: q\ninput: {{path: {data}}}\nworkers: 1\nplugins: [{plugin}]\n"
                      "steps:\n  - gen_question_mark_filter: {}\n")
    runner = CliRunner()
    refused = runner.invoke(app, ["run", str(recipe), "-w", str(tmp_path / "ws"), "-q"])
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "refusing to run generated code" in said and "--allow-unconfined" in said
    allowed = runner.invoke(app, ["run", str(recipe), "-w", str(tmp_path / "ws"), "-q", "--allow-unconfined"])
    assert allowed.exit_code == 0, allowed.output
    assert "2 rows" in allowed.output
