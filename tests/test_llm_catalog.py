"""The LLM segments as workspace tables, and `tilth llm usage` (no model needed)."""

from __future__ import annotations

from typer.testing import CliRunner

from tilth.cli import app
from tilth.llm.catalog import refresh_llm_tables
from tilth.llm.store import ResponseCache, UsageLog
from tilth.storage.workspace import Workspace


def _fill(root):
    a, b = ResponseCache(root), ResponseCache(root)  # two "processes" that answered the same key
    a.put("k1", "m", {"messages": []}, "first", 10, 2)
    b.put("k1", "m", {"messages": []}, "second", 10, 2)
    b.put("k2", "m", {"messages": []}, "other", 7, 3)
    u1 = UsageLog(root, {"run": "r", "step": "01_llm_annotate", "step_index": 1, "operator": "llm_annotate"})
    u2 = UsageLog(root, {"run": "r", "step": "02_llm_rewrite", "step_index": 2, "operator": "llm_rewrite"})
    u1.record(key="k1", model="m", cached=False, prompt_tokens=10, completion_tokens=2, attempts=3, seconds=0.1)
    u1.record(key="k2", model="m", cached=False, prompt_tokens=7, completion_tokens=3, attempts=1, seconds=0.1)
    u2.record(key="k1", model="m", cached=True, prompt_tokens=10, completion_tokens=2, attempts=0, seconds=0.0)


def test_tables_and_usage_by_step(tmp_path):
    ws = Workspace(tmp_path)
    _fill(tmp_path)
    with ws.connect() as con:
        refresh_llm_tables(con, tmp_path)
    assert ws.sql("SELECT key, content FROM llm_cache ORDER BY key").to_pylist() == [
        {"key": "k1", "content": "first"}, {"key": "k2", "content": "other"}]  # one row per key, oldest wins
    rows = ws.sql("SELECT step, answers, requests, cache_hits, prompt_tokens, completion_tokens, tokens_saved, "
                  "http_attempts FROM llm_usage_by_step").to_pylist()
    assert rows == [
        {"step": "01_llm_annotate", "answers": 2, "requests": 2, "cache_hits": 0, "prompt_tokens": 17,
         "completion_tokens": 5, "tokens_saved": None, "http_attempts": 4},
        {"step": "02_llm_rewrite", "answers": 1, "requests": 0, "cache_hits": 1, "prompt_tokens": None,
         "completion_tokens": None, "tokens_saved": 12, "http_attempts": 0},
    ]


def test_empty_workspace_has_empty_tables(tmp_path):
    ws = Workspace(tmp_path)
    with ws.connect() as con:
        refresh_llm_tables(con, tmp_path)
    assert ws.sql("SELECT count(*) AS n FROM llm_usage_by_step").column("n")[0].as_py() == 0
    assert ws.sql("SELECT count(*) AS n FROM llm_cache").column("n")[0].as_py() == 0


def test_usage_command(tmp_path):
    Workspace(tmp_path)
    _fill(tmp_path)
    out = CliRunner().invoke(app, ["llm", "usage", "-w", str(tmp_path), "--run", "r"])
    assert out.exit_code == 0, out.output
    assert "01_llm_annotate" in out.output and "02_llm_rewrite" in out.output
