"""Throughput of the LLM client against the embedded server at concurrency 1, 4 and 16.

For each concurrency the same number of fresh prompts (never cached: each phase salts its prompts) is sent
twice: through `LLMClient` (retries, cache lookups/writes, usage records, JSON handling) and through a
bare client (one `http.client` connection per thread, no bookkeeping). The ratio of the two throughputs is
the client's overhead; the server's own decode rate (its `timings`) is reported alongside.

Run: `.venv/bin/python bench/bench_llm.py` (prints a table) or `pytest -m bench bench/bench_llm.py`.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tilth.llm.client import ChatRequest, LLMClient
from tilth.llm.server import EmbeddedServer
from tilth.llm.store import ResponseCache, UsageLog

MAX_TOKENS = int(os.environ.get("TILTH_BENCH_MAX_TOKENS", "16"))
TOPICS = ["rivers", "bread", "chess", "volcanoes", "owls", "glass", "tides", "maps", "bees", "clocks", "salt",
          "kites", "moss", "bridges", "ink", "snow"]


def prompts(n: int, salt: str) -> list[str]:
    return [f"[{salt}-{i}] Write one sentence about {TOPICS[i % len(TOPICS)]}." for i in range(n)]


def via_client(srv: EmbeddedServer, texts: list[str], concurrency: int, workspace: str) -> dict:
    client = LLMClient(srv.endpoint, cache=ResponseCache(workspace), usage=UsageLog(workspace, {"run": "bench"}),
                       concurrency=concurrency)
    t0 = time.perf_counter()
    results = client.chat_many([ChatRequest([{"role": "user", "content": t}], max_tokens=MAX_TOKENS) for t in texts])
    wall = time.perf_counter() - t0
    assert not any(r.cached for r in results)
    return {"wall": wall, "completion_tokens": sum(r.completion_tokens for r in results),
            "prompt_tokens": sum(r.prompt_tokens for r in results), "requests": len(results)}


def bare(srv: EmbeddedServer, texts: list[str], concurrency: int) -> dict:
    """The least a client can do: POST and read the body, on a kept-alive connection per thread."""
    import threading

    local = threading.local()
    decode = []

    def one(text: str) -> dict:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
        body = json.dumps({"model": srv.alias, "messages": [{"role": "user", "content": text}],
                           "max_tokens": MAX_TOKENS, "temperature": 0.0})
        local.conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        data = json.loads(local.conn.getresponse().read())
        decode.append(data.get("timings", {}).get("predicted_per_second") or 0.0)
        return data["usage"]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        usages = list(pool.map(one, texts))
    wall = time.perf_counter() - t0
    return {"wall": wall, "completion_tokens": sum(u["completion_tokens"] for u in usages),
            "prompt_tokens": sum(u["prompt_tokens"] for u in usages), "requests": len(texts),
            "server_decode_tok_s_per_request": sum(decode) / len(decode)}


def run(concurrencies=(1, 4, 16), requests_per_level: int | None = None) -> list[dict]:
    rows = []
    with EmbeddedServer(parallel=16, ctx_per_slot=512) as srv, tempfile.TemporaryDirectory() as ws:
        bare(srv, prompts(2, "warmup"), 2)
        for c in concurrencies:
            n = requests_per_level or max(8, c)
            salt = uuid.uuid4().hex[:6]
            raw = bare(srv, prompts(n, f"raw{salt}"), c)
            ours = via_client(srv, prompts(n, f"cli{salt}"), c, ws)
            rows.append({
                "concurrency": c, "requests": n,
                "client_req_s": n / ours["wall"], "client_tok_s": ours["completion_tokens"] / ours["wall"],
                "bare_req_s": n / raw["wall"], "bare_tok_s": raw["completion_tokens"] / raw["wall"],
                "client_vs_bare": (ours["completion_tokens"] / ours["wall"]) / (raw["completion_tokens"] / raw["wall"]),
                "server_decode_tok_s_per_request": raw["server_decode_tok_s_per_request"],
            })
    return rows


def client_overhead(n: int = 400, concurrencies=(1, 4, 16)) -> list[dict]:
    """The client against an endpoint that answers instantly (tests' FaultServer with no faults): what the
    client itself costs per request, and how fast cache hits are answered."""
    import sys
    import threading
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from llm_fixtures import FaultServer

    rows = []
    with FaultServer() as srv, tempfile.TemporaryDirectory() as ws:
        port = srv.httpd.server_address[1]
        for c in concurrencies:
            local = threading.local()

            def one(i, c=c, local=local):
                if not hasattr(local, "conn"):
                    local.conn = http.client.HTTPConnection("127.0.0.1", port)
                local.conn.request("POST", "/v1/chat/completions", json.dumps(
                    {"model": "m", "messages": [{"role": "user", "content": f"b{c}-{i}"}]}),
                    {"Content-Type": "application/json"})
                return json.loads(local.conn.getresponse().read())

            t = time.perf_counter()
            with ThreadPoolExecutor(c) as pool:
                list(pool.map(one, range(n)))
            bare_rate = n / (time.perf_counter() - t)
            reqs = [ChatRequest([{"role": "user", "content": f"c{c}-{i}"}]) for i in range(n)]
            rates = []
            for _ in range(2):  # misses, then the same requests again as cache hits
                client = LLMClient(srv.endpoint(), cache=ResponseCache(ws), usage=UsageLog(ws), concurrency=c)
                t = time.perf_counter()
                client.chat_many(reqs)
                rates.append(n / (time.perf_counter() - t))
            rows.append({"concurrency": c, "bare_req_s": bare_rate, "client_req_s": rates[0],
                         "cache_hit_answers_s": rates[1]})
    return rows


def format_rows(rows: list[dict]) -> str:
    head = ("conc", "reqs", "client req/s", "client tok/s", "bare req/s", "bare tok/s", "client/bare",
            "server decode tok/s/req")
    lines = [" | ".join(head)]
    for r in rows:
        lines.append(" | ".join([str(r["concurrency"]), str(r["requests"]), f"{r['client_req_s']:.2f}",
                                 f"{r['client_tok_s']:.1f}", f"{r['bare_req_s']:.2f}", f"{r['bare_tok_s']:.1f}",
                                 f"{r['client_vs_bare']:.2f}", f"{r['server_decode_tok_s_per_request']:.1f}"]))
    return "\n".join(lines)


@pytest.mark.bench
def test_bench_client_overhead():
    rows = client_overhead()
    for r in rows:
        print(f"instant endpoint, concurrency {r['concurrency']}: bare {r['bare_req_s']:.0f} req/s, LLMClient "
              f"{r['client_req_s']:.0f} req/s, cache hits {r['cache_hit_answers_s']:.0f} answers/s")
        assert r["cache_hit_answers_s"] > r["client_req_s"] > 0


@pytest.mark.bench
def test_bench_llm_client_throughput():
    rows = run()
    print("\n" + format_rows(rows))
    for r in rows:
        assert r["client_tok_s"] > 0 and r["bare_tok_s"] > 0


if __name__ == "__main__":
    import sys

    levels = tuple(int(x) for x in sys.argv[1:]) or (1, 4, 16)
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}, max_tokens: {MAX_TOKENS}")
    for r in client_overhead():
        print(r)
    print(format_rows(run(levels)))
    print(f"load average after: {os.getloadavg()}")
