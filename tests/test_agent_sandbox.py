"""Sandbox and operator generation: runaway or networked code is stopped and reported, good code is registered."""

from __future__ import annotations

import time

import pytest

from tilth.agent.opgen import NEEDS_LLM, generate_operator
from tilth.agent.sandbox import run_python
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


def test_infinite_loop_is_killed_and_reported(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text("while True:\n    pass\n")
    t0 = time.monotonic()
    r = run_python(script, tmp_path, wall_s=3, cpu_s=1)
    assert time.monotonic() - t0 < 10
    assert not r.ok and r.killed_by in ("cpu", "wall")
    assert r.explain().startswith(("used up its CPU-time limit", "ran past its wall-clock limit"))


def test_wall_clock_limit_stops_a_sleeping_process(tmp_path):
    script = tmp_path / "sleep.py"
    script.write_text("import time\ntime.sleep(60)\n")
    r = run_python(script, tmp_path, wall_s=1, cpu_s=10)
    assert r.timed_out and r.killed_by == "wall"


def test_socket_is_blocked_and_reported(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("import socket\ns = socket.socket()\ns.connect(('203.0.113.1', 80))\nprint('connected')\n")
    r = run_python(script, tmp_path, wall_s=10)
    assert r.network_blocked and r.killed_by == "network"
    assert "connected" not in r.stdout
    assert "network access blocked (socket.__new__)" in r.stderr


def test_memory_limit(tmp_path):
    script = tmp_path / "mem.py"
    script.write_text("x = bytearray(2 * 2**30)\n")
    r = run_python(script, tmp_path, wall_s=10, mem_mb=512)
    assert not r.ok and r.killed_by == "memory"


def test_cwd_is_the_plugin_folder(tmp_path):
    script = tmp_path / "cwd.py"
    script.write_text("import os\nprint(os.getcwd())\n")
    r = run_python(script, tmp_path / "plugins", wall_s=10)
    assert r.ok and r.stdout.strip() == str((tmp_path / "plugins").resolve())


def test_without_llm_the_agent_says_it_cannot_generate(tmp_path):
    g = generate_operator("keep questions", ROWS, tmp_path, chat=None)
    assert not g.ok and g.message == NEEDS_LLM and "TILTH_LLM_URL" in g.message
    assert not (tmp_path / "agent" / "plugins").exists()


@pytest.fixture
def cleanup_registry():
    before = set(registry._REGISTRY)
    yield
    for name in set(registry._REGISTRY) - before:
        registry._REGISTRY.pop(name)


def test_generated_operator_passes_checks_and_is_registered(tmp_path, cleanup_registry):
    g = generate_operator("keep only questions", ROWS, tmp_path, chat=lambda messages: GOOD_OP)
    assert g.ok, g.message
    assert g.name == "gen_question_mark_filter"
    assert g.path == str(tmp_path / "agent" / "plugins" / "gen_question_mark_filter.py")
    op = registry.build(g.name)
    assert op.metadata()["kind"] == "filter"


def test_generated_operator_that_loops_is_rejected_not_registered(tmp_path, cleanup_registry):
    g = generate_operator("keep only questions", ROWS, tmp_path, chat=lambda m: LOOP_OP, max_tries=1,
                          wall_s=20, cpu_s=2)
    assert not g.ok
    assert g.attempts[0].killed_by in ("cpu", "wall")
    assert "failed its checks 1 times" in g.message
    assert "gen_loop_filter" not in registry._REGISTRY
    assert (tmp_path / "agent" / "plugins" / "gen_loop_filter.rejected").exists()


def test_generated_operator_that_opens_a_socket_is_rejected(tmp_path, cleanup_registry):
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
