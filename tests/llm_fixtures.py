"""LLM test helpers: one embedded SmolLM2 server for the whole session (start-up and model load happen
once, however many test files use it), and a local OpenAI-shaped server that fails on purpose."""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tilth.llm.endpoint import Endpoint

_SERVER = None


def shared_server():
    """The session's embedded server, started on first use and stopped at interpreter exit."""
    global _SERVER
    if _SERVER is None:
        from tilth.llm.server import EmbeddedServer

        _SERVER = EmbeddedServer(parallel=4, threads=2, ctx_per_slot=1024).start()
        atexit.register(_SERVER.stop)
    return _SERVER


@pytest.fixture
def llm_endpoint(monkeypatch) -> Endpoint:
    """Endpoint of the shared embedded server, also exported as TILTH_LLM_URL/MODEL for pipelines."""
    srv = shared_server()
    monkeypatch.setenv("TILTH_LLM_URL", srv.url)
    monkeypatch.setenv("TILTH_LLM_MODEL", srv.alias)
    return srv.endpoint


class FaultServer:
    """OpenAI-shaped endpoint whose failures are a pure function of (request body, attempt number), so
    every test run fails the same requests the same way.

    fail(body, attempt) -> None to answer, or (status, seconds to sleep first).
    reply(body, attempt) -> the assistant message content.
    logprobs(body) -> the choice's `logprobs.content` list, or None for a server that returns none.
    """

    def __init__(self, fail=None, reply=None, logprobs=None):
        self.fail = fail or (lambda body, attempt: None)
        self.logprobs = logprobs or (lambda body: None)
        self.reply = reply or (lambda body, attempt: "echo: " + _last_user(body)[-40:])
        self.attempts: dict[str, int] = defaultdict(int)
        self.log: list[tuple[str, int]] = []  # (body digest, status) per request
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
                with outer.lock:
                    attempt = outer.attempts[digest]
                    outer.attempts[digest] += 1
                failure = outer.fail(body, attempt)
                if failure is not None:
                    status, sleep = failure
                    time.sleep(sleep)
                    if status == 200:  # slow success
                        return self._answer(body, attempt, digest)
                    with outer.lock:
                        outer.log.append((digest, status))
                    self._send(status, {"error": {"message": f"injected {status}"}})
                    return
                self._answer(body, attempt, digest)

            def _answer(self, body, attempt, digest):
                content = outer.reply(body, attempt)
                data = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": content}}],
                        "usage": {"prompt_tokens": len(_last_user(body).split()),
                                  "completion_tokens": len(content.split())}}
                if (lp := outer.logprobs(body)) is not None:
                    data["choices"][0]["logprobs"] = {"content": lp}
                with outer.lock:
                    outer.log.append((digest, 200))
                self._send(200, data)

            def _send(self, status, obj):
                payload = json.dumps(obj).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout tests): nothing to answer
                    pass

        ThreadingHTTPServer.request_queue_size = 128  # concurrency-16 clients must not be reset
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def endpoint(self) -> Endpoint:
        return Endpoint(self.url, "fault-model")

    def statuses(self) -> list[int]:
        with self.lock:
            return [s for _, s in self.log]

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _last_user(body: dict) -> str:
    msgs = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return msgs[-1]["content"] if msgs else body.get("prompt", "")


def transient(rate: float, status: int = 503):
    """Fail an attempt when hash(body, attempt) falls below `rate`: ~rate of all attempts, deterministic."""

    def fail(body, attempt):
        h = hashlib.sha256((json.dumps(body, sort_keys=True) + f"#{attempt}").encode()).digest()
        return (status, 0.0) if int.from_bytes(h[:4], "big") / 2**32 < rate else None

    return fail


def run_one_llm_step(tmp_path, rows: list[dict], step: str, reply, name: str = "t") -> tuple[list[dict], list[str]]:
    """Run a one-step recipe on `rows` against a FaultServer answering with `reply`: (output rows, the digest of each
    request the server received)."""
    from conftest import write_jsonl

    from tilth.pipeline import Recipe, run_recipe
    from tilth.storage.workspace import Workspace

    data = write_jsonl(tmp_path / "in.jsonl", rows)
    with FaultServer(reply=reply) as srv:
        recipe = Recipe.from_yaml(f"name: {name}\ninput: {{path: {data}}}\nworkers: 1\n"
                                  f"llm: {{url: \"{srv.url}\", model: fault-model}}\nsteps:\n  - {step}\n")
        run_recipe(recipe, workspace=tmp_path / "ws", progress=False)
        sent = [b for b, _ in srv.log]
    return Workspace(tmp_path / "ws").read(name).to_pylist(), sent
