"""Operator generation: when no skill fits, a capable LLM writes one, which must prove itself in a sandbox.

The model writes one module: an operator class on the core contract (registered with `@register`) and a
`test_operator(rows)` function. The module goes into `<workspace>/agent/plugins/`, marked on its first
line as generated; a harness runs it in the sandbox (tilth.agent.sandbox: bwrap namespaces, time, memory,
no network) on the user's sample rows and checks the contract: metadata, parameters constructible from
defaults, the kind's method on a real batch (mappers keep the row count and `_id`, filters return one
decision per row, generators carry `_parent_id`), then the module's own test. Only then is it registered,
as a stand-in whose calls all run in a sandboxed worker (tilth.agent.confined): Tilth never imports it.
Without an LLM the agent says so and what it needs.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tilth.agent.llm import Chat
from tilth.agent.sandbox import SandboxResult, run_python
from tilth.ops.registry import GENERATED_HEADER

NEEDS_LLM = ("cannot generate an operator: no capable LLM is configured. Set TILTH_LLM_URL (and TILTH_LLM_MODEL) "
             "to an OpenAI-compatible endpoint serving a code-capable instruct model (roughly 7B parameters or "
             "more); the embedded SmolLM2-135M is too small to write working code.")

CONTRACT = """Write ONE Python module defining a Tilth operator. Contract:
from tilth.ops.base import Mapper, Filter, Params   # or Generator
from tilth.ops.registry import register
from pydantic import Field
import pyarrow as pa, numpy as np
class XParams(Params):   # every field with Field(default, description=...)
    text_field: str = Field("text", description="Column holding the text.")
@register
class X(Mapper):          # Mapper: map(batch: pa.Table) -> pa.Table with the same rows (keep `_id`)
    name = "snake_case_name"; category = "process"; description = "what it does"
    inputs = ("{text_field}",); outputs = ("new_column",); Params = XParams
    def map(self, batch): ...
# Filter instead: score(batch) -> {"score_col": np.ndarray}; keep(scores: pa.Table) -> (bool mask, [reason or None])
def test_operator(rows):  # rows: list of dicts (sample data, `text` column present); assert on real behaviour
    ...
Reply with the module only, in one ```python block. No network, no files outside the current folder."""

HARNESS = r'''
import json, sys
import numpy as np, pyarrow as pa
from tilth.ops import registry
names = registry.import_plugin(sys.argv[1])  # inside the sandbox
assert len(names) == 1, f"the module must register exactly one operator, registered {names}"
cls = registry.get(names[0])
meta = cls.metadata()
assert meta["description"].strip(), "description is empty"
rows = json.load(open(sys.argv[2]))
batch = pa.Table.from_pylist(rows)
op = cls()
missing = [c for c in op.input_columns() if c not in batch.column_names]
assert not missing, f"reads columns the data does not have: {missing}"
if cls.kind == "mapper":
    out = op.map(batch)
    assert out.num_rows == batch.num_rows, "a mapper must keep the number of rows"
    assert out.column("_id").to_pylist() == batch.column("_id").to_pylist(), "a mapper must keep `_id`"
    for c in op.output_columns():
        assert c in out.column_names, f"declared output {c!r} missing"
elif cls.kind == "filter":
    scores = op.score(batch)
    t = pa.table({k: pa.array(np.asarray(v)) for k, v in scores.items()})
    mask, reasons = op.keep(t)
    assert len(mask) == batch.num_rows and len(reasons) == batch.num_rows, "one decision per row"
elif cls.kind == "generator":
    out = op.generate(batch)
    assert "_parent_id" in out.column_names, "generated rows need `_parent_id`"
else:
    raise AssertionError(f"generated operators may be mappers, filters or generators, not {cls.kind}")
mod = sys.modules[[m for m in sys.modules if m.startswith("tilth_plugin_")][-1]]
assert hasattr(mod, "test_operator"), "the module needs a test_operator(rows) function"
mod.test_operator(rows)
print(json.dumps({"ok": True, "name": cls.name, "kind": cls.kind}))
'''


@dataclass
class Generated:
    ok: bool
    message: str
    name: str | None = None
    path: str | None = None
    attempts: list[SandboxResult] = field(default_factory=list)


def plugins_dir(workspace: str | Path) -> Path:
    return Path(workspace) / "agent" / "plugins"


def extract_code(reply: str) -> str:
    m = re.search(r"```(?:python)?\n(.*?)```", reply, re.S)
    return (m[1] if m else reply).strip() + "\n"


def check_in_sandbox(module: Path, rows: list[dict], wall_s: float = 60, cpu_s: int = 30, mem_mb: int = 2048) -> SandboxResult:
    """Run the contract harness and the module's own test on `rows` in the sandbox, in a fresh work
    directory (its only writable place) holding copies of the module, the harness and the rows."""
    d = Path(tempfile.mkdtemp(prefix="tilth-opcheck-"))
    try:
        (d / "_harness.py").write_text(HARNESS)
        copy = d / module.name
        copy.write_text(module.read_text())
        sample = d / f"_{module.stem}_rows.json"
        rows = [{"_id": i, **{k: v for k, v in r.items() if k != "_id"}} for i, r in enumerate(rows)]
        sample.write_text(json.dumps(rows, default=str))
        return run_python(d / "_harness.py", d, wall_s=wall_s, cpu_s=cpu_s, mem_mb=mem_mb, args=[str(copy), str(sample)])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def generate_operator(request: str, rows: list[dict], workspace: str | Path, chat: Chat | None,
                      max_tries: int = 2, **limits) -> Generated:
    if chat is None:
        return Generated(False, NEEDS_LLM)
    d = plugins_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    messages = [{"role": "system", "content": CONTRACT},
                {"role": "user", "content": f"Request: {request}\nSample rows: {json.dumps(rows[:3], default=str)[:3000]}"}]
    attempts = []
    for k in range(max_tries):
        reply = chat(messages)
        code = extract_code(reply)
        m = re.search(r'name\s*=\s*["\']([a-z][a-z0-9_]*)["\']', code)
        stem = m[1] if m else f"generated_{k}"
        path = d / f"{stem}.py"
        path.write_text(f"{GENERATED_HEADER}\n{code}")
        res = check_in_sandbox(path, rows, **limits)
        attempts.append(res)
        if res.ok:
            from tilth.ops import registry

            try:  # a sandboxed stand-in: the module is described in the sandbox, never imported here
                names = registry.load_plugin(path)
            except Exception as e:  # passed in the sandbox but not here: report, do not register half
                return Generated(False, f"generated operator failed to load: {e}", path=str(path), attempts=attempts)
            return Generated(True, f"generated and registered {names[0]} ({path}; it runs only in the sandbox)",
                             names[0], str(path), attempts)
        path.rename(path.with_suffix(".rejected"))
        messages += [{"role": "assistant", "content": reply},
                     {"role": "user", "content": f"It failed in the sandbox: {res.explain()}. Fix it."}]
    return Generated(False, f"the generated operator failed its checks {max_tries} times; last: {attempts[-1].explain()}",
                     attempts=attempts)
