"""The client against the real embedded SmolLM2 server: plain and structured replies, the cache (a repeat
issues zero HTTP requests), usage accounting, and the pipeline's automatic server start/stop."""

from __future__ import annotations

import json

import pytest
from conftest import write_jsonl
from llm_fixtures import llm_endpoint  # noqa: F401  (fixture)

from tilth.llm.client import ChatRequest, LLMClient
from tilth.llm.endpoint import Endpoint, run_endpoint_path
from tilth.llm.store import ResponseCache, UsageLog, read_segments
from tilth.pipeline import Recipe, run_recipe
from tilth.storage.workspace import Workspace

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["score"],
          "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}}}


def _ask(text, **kw):
    return ChatRequest([{"role": "user", "content": text}], **kw)


def test_plain_and_structured_replies(llm_endpoint, tmp_path):  # noqa: F811
    client = LLMClient(llm_endpoint, cache=ResponseCache(tmp_path), usage=UsageLog(tmp_path, {"run": "t"}))
    plain, structured = client.chat_many([_ask("Say hello.", max_tokens=8),
                                          _ask("Rate 'The sky is blue.' from 1 to 5.", max_tokens=16, json_schema=SCHEMA)])
    assert plain.content.strip() and plain.prompt_tokens > 0 and 0 < plain.completion_tokens <= 8
    assert structured.error is None and 1 <= structured.parsed["score"] <= 5
    assert client.stats.http_requests == 2

    again = LLMClient(llm_endpoint, cache=ResponseCache(tmp_path), usage=UsageLog(tmp_path, {"run": "t2"}))
    repeat = again.chat_many([_ask("Say hello.", max_tokens=8),
                              _ask("Rate 'The sky is blue.' from 1 to 5.", max_tokens=16, json_schema=SCHEMA)])
    assert again.stats.http_requests == 0 and again.stats.cache_hits == 2
    assert [r.content for r in repeat] == [plain.content, structured.content]
    assert repeat[1].parsed == structured.parsed

    usage = read_segments(tmp_path / "llm" / "usage")
    assert sorted((u["run"], u["cached"]) for u in usage) == [("t", False), ("t", False), ("t2", True), ("t2", True)]
    assert sum(u["completion_tokens"] for u in usage if not u["cached"]) == \
        plain.completion_tokens + structured.completion_tokens


def test_params_are_part_of_the_cache_key(llm_endpoint, tmp_path):  # noqa: F811
    client = LLMClient(llm_endpoint, cache=ResponseCache(tmp_path))
    client.chat_many([_ask("Count to three.", max_tokens=4), _ask("Count to three.", max_tokens=5),
                      _ask("Count to three.", max_tokens=4)])  # the duplicate is sent once
    assert client.stats.http_requests == 2
    assert len(read_segments(tmp_path / "llm" / "cache")) == 2


def test_logprobs_are_returned_and_cached(llm_endpoint, tmp_path):  # noqa: F811
    client = LLMClient(llm_endpoint, cache=ResponseCache(tmp_path))
    r = client.chat(_ask("Name a colour.", max_tokens=3, logprobs=True))
    assert len(r.logprobs) == r.completion_tokens
    assert all(t["logprob"] <= 0 for t in r.logprobs)
    hit = LLMClient(llm_endpoint, cache=ResponseCache(tmp_path)).chat(_ask("Name a colour.", max_tokens=3, logprobs=True))
    assert hit.cached and hit.logprobs == r.logprobs


@pytest.mark.slow
def test_pipeline_starts_and_stops_embedded_server(tmp_path, monkeypatch):
    """No endpoint configured: the run starts its own server, shares it across both LLM steps and stops it."""
    monkeypatch.delenv("TILTH_LLM_URL", raising=False)
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "Water boils at 100 degrees Celsius at sea level."}])
    seen = []
    import tilth.llm.run_hook as hook

    real_start = hook.LLMRunHook.start

    def spy(self):
        out = real_start(self)
        seen.append((self.server, json.loads(run_endpoint_path(self.ws.root, self.run).read_text())))
        return out

    monkeypatch.setattr(hook.LLMRunHook, "start", spy)
    recipe = Recipe.from_yaml(f"""
name: auto
input: {{path: {data}}}
workers: 1
llm: {{parallel: 1, threads: 2}}
steps:
  - llm_annotate: {{label: difficulty}}
  - llm_annotate: {{label: domain}}
""")
    run_recipe(recipe, workspace=tmp_path / "ws", progress=False)
    (server, endpoint), = seen
    assert endpoint["model"] == "SmolLM2-135M-Instruct" and endpoint["url"].startswith("http://127.0.0.1:")
    assert not server.running  # stopped at the end of the run
    assert not run_endpoint_path(tmp_path / "ws", "auto").exists()
    ws = Workspace(tmp_path / "ws")
    row, = ws.read("auto").to_pylist()
    assert row["llm_difficulty"] in (1, 2, 3, 4, 5)
    usage = ws.sql("SELECT step, requests FROM llm_usage_by_step ORDER BY step").to_pylist()
    assert usage == [{"step": "01_llm_annotate", "requests": 1}, {"step": "02_llm_annotate", "requests": 1}]


def test_endpoint_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("TILTH_LLM_URL", "http://10.0.0.1:9000/v1/")
    monkeypatch.setenv("TILTH_LLM_MODEL", "qwen")
    monkeypatch.setenv("TILTH_LLM_API_KEY_ENV", "MY_KEY")
    monkeypatch.setenv("MY_KEY", "sk-test")
    env = Endpoint.from_env()
    assert (env.url, env.model, env.api_key) == ("http://10.0.0.1:9000/v1", "qwen", "sk-test")
    Endpoint("http://h/v1", "m").write_for_run(tmp_path, "r")
    assert Endpoint.for_run(tmp_path, "r") == Endpoint("http://h/v1", "m")  # the run's file wins
    assert Endpoint.for_run(tmp_path, "other") == env
    env.write_for_run(tmp_path, "keyed")  # the key's variable name is stored, never the key
    text = run_endpoint_path(tmp_path, "keyed").read_text()
    assert "MY_KEY" in text and "sk-test" not in text


def test_server_exits_when_its_driver_dies():
    """A driver killed without cleanup must not leave a model server running."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = ("import os; from tilth.llm.server import EmbeddedServer; "
              "s = EmbeddedServer(parallel=1, threads=1).start(); print(s._proc.pid, flush=True); os._exit(0)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    status = Path(f"/proc/{int(out.stdout.strip())}/status")
    deadline = time.monotonic() + 10
    while status.exists() and "zombie" not in status.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not status.exists() or "zombie" in status.read_text()
