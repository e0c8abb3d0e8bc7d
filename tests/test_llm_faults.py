"""Retries, timeouts, re-asks and crash safety of the LLM client, against a local endpoint that fails
deterministically (no model needed: these are about the client, not the model)."""

from __future__ import annotations

import json
import multiprocessing as mp
import time

import pytest
from conftest import write_jsonl
from llm_fixtures import FaultServer, transient

from tilth.llm.client import ChatRequest, LLMClient, LLMError
from tilth.llm.store import ResponseCache, UsageLog, read_segments
from tilth.pipeline import Recipe, run_recipe
from tilth.storage.workspace import Workspace


def _req(text: str, **kw) -> ChatRequest:
    return ChatRequest([{"role": "user", "content": text}], max_tokens=8, **kw)


def _client(srv, **kw) -> LLMClient:
    return LLMClient(srv.endpoint(), backoff=0.01, max_backoff=0.05, **kw)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_status_is_retried_until_success(status):
    with FaultServer(fail=lambda body, attempt: (status, 0.0) if attempt < 2 else None) as srv:
        client = _client(srv)
        result = client.chat(_req("hello"))
    assert result.content == "echo: hello"
    assert result.attempts == 3
    assert srv.statuses() == [status, status, 200]
    assert client.stats.retries == 2 and client.stats.http_requests == 3


def test_gives_up_after_max_retries():
    with FaultServer(fail=lambda body, attempt: (503, 0.0)) as srv:
        client = _client(srv, max_retries=3)
        with pytest.raises(LLMError, match="gave up after 4 attempts .*HTTP 503"):
            client.chat(_req("x"))
    assert srv.statuses() == [503] * 4


def test_client_error_is_not_retried():
    with FaultServer(fail=lambda body, attempt: (400, 0.0)) as srv:
        with pytest.raises(LLMError, match="HTTP 400"):
            _client(srv).chat(_req("x"))
    assert srv.statuses() == [400]


def test_timeout_then_success():
    with FaultServer(fail=lambda body, attempt: (200, 2.0) if attempt == 0 else None) as srv:
        client = _client(srv, timeout=0.5)
        t0 = time.perf_counter()
        result = client.chat(_req("slow"))
    assert result.content == "echo: slow"
    assert result.attempts == 2  # the first attempt timed out client-side
    assert time.perf_counter() - t0 < 2.0


def test_connection_refused_is_retried_then_fails():
    srv = FaultServer()  # never started: nothing listens on its port after close
    srv.httpd.server_close()
    client = _client(srv, max_retries=2)
    with pytest.raises(LLMError, match="gave up after 3 attempts .*ConnectError"):
        client.chat(_req("x"))


def test_retry_after_header_is_honoured():
    from tilth.llm.client import _retry_after

    class R:
        headers = {"retry-after": "1.5"}

    assert _retry_after(R()) == 1.5


def test_invalid_json_is_re_asked():
    schema = {"type": "object", "required": ["score"], "properties": {"score": {"type": "integer"}}}
    replies = ['{"score": ', '{"score": "high"}', '```json\n{"score": 4}\n```']

    def reply(body, attempt):  # each re-ask carries the previous bad answer: reply with the next one
        msgs = body["messages"]
        return replies[0] if len(msgs) == 1 else replies[replies.index(msgs[-2]["content"]) + 1]

    with FaultServer(reply=reply) as srv:
        client = _client(srv)
        result = client.chat(_req("rate", json_schema=schema))
    assert result.parsed == {"score": 4}
    assert client.stats.reasks == 2
    assert len(srv.statuses()) == 3


def test_invalid_json_after_all_re_asks_is_reported_not_raised():
    with FaultServer(reply=lambda body, attempt: "no json here") as srv:
        client = _client(srv, reasks=1)
        result = client.chat(_req("rate", json_object=True))
    assert result.parsed is None
    assert result.error.startswith("not valid JSON")


def test_thirty_percent_transient_errors_lose_nothing(tmp_path):
    with FaultServer(fail=transient(0.3)) as srv:
        client = _client(srv, cache=ResponseCache(tmp_path), usage=UsageLog(tmp_path), concurrency=8)
        results = client.chat_many([_req(f"row {i}") for i in range(60)])
    assert [r.content for r in results] == [f"echo: row {i}" for i in range(60)]
    failed = srv.statuses().count(503)
    assert failed == client.stats.retries > 0
    assert 0.15 < failed / len(srv.statuses()) < 0.45
    assert len(read_segments(tmp_path / "llm" / "cache")) == 60


def _crashing_worker(url: str, workspace: str) -> None:
    from tilth.llm.endpoint import Endpoint

    client = LLMClient(Endpoint(url, "fault-model"), cache=ResponseCache(workspace), concurrency=1)
    client.chat_many([_req(f"q{i}") for i in range(5)])  # q3 hangs: the process is killed while waiting


def test_crash_mid_batch_keeps_completed_responses(tmp_path):
    with FaultServer(fail=lambda body, attempt: (200, 60.0) if "q3" in json.dumps(body) else None) as srv:
        proc = mp.get_context("spawn").Process(target=_crashing_worker, args=(srv.url, str(tmp_path)))
        proc.start()
        deadline = time.monotonic() + 60
        while len(read_segments(tmp_path / "llm" / "cache")) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.kill()
        proc.join()
        saved = read_segments(tmp_path / "llm" / "cache")
        assert sorted(r["content"] for r in saved) == ["echo: q0", "echo: q1", "echo: q2"]
        before = len(srv.statuses())
        client = LLMClient(srv.endpoint(), cache=ResponseCache(tmp_path))
        again = client.chat_many([_req(f"q{i}") for i in range(3)])
        assert [r.cached for r in again] == [True, True, True]
        assert client.stats.http_requests == 0 and len(srv.statuses()) == before


def test_torn_last_line_is_ignored(tmp_path):
    seg = tmp_path / "llm" / "cache"
    seg.mkdir(parents=True)
    (seg / "cache-1.jsonl").write_text(json.dumps({"key": "a", "content": "ok"}) + "\n" + '{"key": "b", "cont')
    assert ResponseCache(tmp_path).get("a")["content"] == "ok"
    assert ResponseCache(tmp_path).get("b") is None


def test_pipeline_survives_transient_errors_across_workers(tmp_path):
    """Two worker processes, 30% of attempts fail: every row still gets its paraphrase, tokens are
    accounted per step, and a re-run under another name is answered wholly from the cache."""
    rows = [{"text": f"document number {i}"} for i in range(24)]
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    with FaultServer(fail=transient(0.3)) as srv:
        def recipe(name):
            return Recipe.from_yaml(f"""
name: {name}
input: {{path: {data}, batch_size: 6}}
workers: 2
llm: {{url: "{srv.url}", model: fault-model}}
steps:
  - llm_paraphrase: {{n: 1, temperature: 0.0}}
""")
        run_recipe(recipe("faulty"), workspace=tmp_path / "ws", progress=False)
        first = len(srv.statuses())
        run_recipe(recipe("faulty_again"), workspace=tmp_path / "ws", progress=False)
        assert len(srv.statuses()) == first  # zero requests on the second run
    assert srv.statuses().count(503) > 0
    ws = Workspace(tmp_path / "ws")
    out = ws.read("faulty").to_pylist()
    new = sorted(r["text"] for r in out if r["_parent_id"] is not None)
    assert new == sorted("echo: " + _tail_of_prompt(r["text"]) for r in rows)
    usage = ws.sql("SELECT run, requests, cache_hits, completion_tokens FROM llm_usage_by_step ORDER BY run").to_pylist()
    assert [(u["run"], u["requests"], u["cache_hits"]) for u in usage] == [("faulty", 24, 0), ("faulty_again", 0, 24)]
    assert usage[0]["completion_tokens"] > 0


def _tail_of_prompt(text: str) -> str:
    from tilth.llm.prompts import load_template, render

    return render(load_template("paraphrase"), text=text)[-40:]


def _server_pid(port: int) -> int | None:
    import psutil

    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "tilth.llm.server" in cmd and "--port" in cmd and cmd[cmd.index("--port") + 1] == str(port):
            return p.pid
    return None


@pytest.mark.slow
def test_killed_embedded_server_is_restarted_and_the_run_goes_on(tmp_path, monkeypatch, caplog):
    """ISSUE row 12: `kill -9` of the run's own embedded server mid-step. The runner restarts it, the
    requests that were refused are retried, every row gets its answer, and each answer is accounted once."""
    import logging
    import os
    import signal
    import threading
    from urllib.parse import urlparse

    from tilth.llm.endpoint import run_endpoint_path

    for var in ("TILTH_LLM_URL", "TILTH_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    n = 8
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": f"this are sentence number {i}"} for i in range(n)])
    recipe = Recipe.from_yaml(f"""
name: restart
input: {{path: {data}, batch_size: 2}}
workers: 1
llm: {{parallel: 2, threads: 2, ctx_per_slot: 512}}
steps:
  - llm_rewrite: {{task: grammar, output_field: fixed, max_tokens: 4, concurrency: 2}}
""")
    ws = tmp_path / "ws"
    killed: list[int] = []
    answered_at_kill: list[int] = []

    def killer():  # once the first answers are in, kill the server the run started
        deadline = time.monotonic() + 600
        path = run_endpoint_path(ws, "restart")
        while time.monotonic() < deadline:
            answered = len(read_segments(ws / "llm" / "cache"))
            if path.exists() and answered >= 2:
                pid = _server_pid(urlparse(json.loads(path.read_text())["url"]).port)
                if pid:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    answered_at_kill.append(answered)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    with caplog.at_level(logging.WARNING):
        run_recipe(recipe, workspace=ws, progress=False)
    t.join(timeout=5)
    assert killed, "the server was never killed: the test did not test a crash"
    assert answered_at_kill[0] < n, "the step had finished before the kill: the test did not test a crash"
    assert any("restarting it" in r.getMessage() for r in caplog.records)
    assert len(read_segments(ws / "llm" / "cache")) == n
    w = Workspace(ws)
    out = w.read("restart").to_pylist()
    assert len(out) == n and all(r["fixed"] for r in out)
    usage = w.sql("SELECT key, cached, completion_tokens FROM llm_usage WHERE run = 'restart'").to_pylist()
    assert len(usage) == n and len({u["key"] for u in usage}) == n and not any(u["cached"] for u in usage)
    cache = {c["key"]: c for c in read_segments(ws / "llm" / "cache")}
    assert sum(u["completion_tokens"] for u in usage) == sum(c["completion_tokens"] for c in cache.values())
    by_step = w.sql("SELECT requests, cache_hits FROM llm_usage_by_step WHERE run = 'restart'").to_pylist()
    assert by_step == [{"requests": n, "cache_hits": 0}]


def _quality_run(tmp_path, srv, name: str, extra: str = "", n: int = 30):
    data = write_jsonl(tmp_path / f"{name}.jsonl", [{"text": f"document {i} about things"} for i in range(n)])
    recipe = Recipe.from_yaml(f"""
name: {name}
input: {{path: {data}, batch_size: 10}}
workers: 1
llm: {{url: "{srv.url}", model: fault-model}}
steps:
  - llm_quality_filter: {{mode: graded{extra}}}
""")
    return run_recipe(recipe, workspace=tmp_path / "ws", progress=False)


def _grade(score):
    return lambda body, attempt: json.dumps({"score": score(_last_user_text(body)), "rationale": "r"})


def _last_user_text(body) -> str:
    return [m for m in body["messages"] if m["role"] == "user"][-1]["content"]


def test_quality_filter_that_drops_everything_stops_with_the_numbers(tmp_path):
    """ISSUE row 13: a judge that grades every row 1 would drop 100% silently; the step stops after
    `degenerate_min_rows` judged rows and says how many were judged, dropped, and what the scores were."""
    from tilth.ops.evaluate.llm_quality import DegenerateFilter

    with FaultServer(reply=_grade(lambda text: 1)) as srv:
        with pytest.raises(DegenerateFilter) as e:
            _quality_run(tmp_path, srv, "all_ones")
        requests = len(srv.statuses())
    msg = str(e.value)
    assert "would drop 20 of 20 judged rows (100%, limit 95%)" in msg
    assert "20 rows scored, 1 distinct score (1: 20)" in msg and "allow_degenerate" in msg
    assert requests == 20  # stopped early: the last part was never sent to the model
    status = Workspace(tmp_path / "ws").sql("SELECT status FROM runs WHERE run = 'all_ones'").to_pylist()
    assert status == [{"status": "failed"}]


def test_quality_filter_with_constant_scores_stops_even_when_it_keeps_everything(tmp_path):
    from tilth.ops.evaluate.llm_quality import DegenerateFilter

    with FaultServer(reply=_grade(lambda text: 4)) as srv:
        with pytest.raises(DegenerateFilter, match=r"keeps 20 of 20 judged rows; 20 rows scored, 1 distinct score "
                                                    r"\(4: 20\); every scored row got the same score"):
            _quality_run(tmp_path, srv, "all_fours")


def test_degenerate_quality_filter_can_be_allowed_and_warns_loudly(tmp_path, caplog):
    import logging

    with FaultServer(reply=_grade(lambda text: 1)) as srv, caplog.at_level(logging.WARNING):
        res = _quality_run(tmp_path, srv, "allowed", ", allow_degenerate: true")
    assert res.rows_out == 0 and res.steps[-1].dropped == 30
    warnings = [r.getMessage() for r in caplog.records if "allow_degenerate is set" in r.getMessage()]
    assert len(warnings) == 1 and "would drop 20 of 20 judged rows (100%" in warnings[0]


def test_discriminating_quality_filter_runs_without_complaint(tmp_path, caplog):
    def score(text):  # 1..5 by document number
        return int(text.split("document ")[1].split()[0]) % 5 + 1

    with FaultServer(reply=_grade(score)) as srv:
        res = _quality_run(tmp_path, srv, "healthy")
    assert res.rows_out == 18 and res.steps[-1].dropped == 12  # scores 3, 4, 5 are kept
    assert not [r for r in caplog.records if "judge is not discriminating" in r.getMessage()]
