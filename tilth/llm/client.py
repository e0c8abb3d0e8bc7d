"""One async client for any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp, hosted APIs).

Why not the `openai` SDK: its retry policy and connection handling are fixed inside the SDK; here retries
(exponential backoff with jitter on 429 / 5xx / connection errors and timeouts, honouring Retry-After),
the concurrency limit, the cache lookup and the usage record all wrap each request in one place, and the
number of HTTP attempts is counted exactly (tests assert a cached re-run issues zero).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tilth.llm.endpoint import Endpoint
from tilth.llm.store import ResponseCache, UsageLog, cache_key

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMError(RuntimeError):
    """A request failed for good: a non-retryable status, or retries exhausted."""


@dataclass
class ChatRequest:
    messages: list[dict]
    max_tokens: int = 128
    temperature: float = 0.0
    seed: int | None = None
    json_schema: dict | None = None  # constrain and validate the reply against this schema
    json_object: bool = False  # ask for any JSON object (validated as JSON only)
    logprobs: bool = False
    extra: dict = field(default_factory=dict)  # other OpenAI parameters, passed through
    prompt: str | None = None  # raw text completion (/completions) instead of chat; `messages` is then []

    def params(self) -> dict:
        p: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": self.temperature, **self.extra}
        if self.seed is not None:
            p["seed"] = self.seed
        if self.json_schema is not None:
            p["response_format"] = {"type": "json_schema",
                                    "json_schema": {"name": "reply", "strict": True, "schema": self.json_schema}}
        elif self.json_object:
            p["response_format"] = {"type": "json_object"}
        if self.logprobs:
            p["logprobs"] = True
        if self.prompt is not None:
            p["prompt"] = self.prompt
        return p

    @property
    def wants_json(self) -> bool:
        return self.json_schema is not None or self.json_object


@dataclass
class ChatResult:
    content: str
    parsed: Any = None  # the JSON value when JSON was asked for and the reply validated
    error: str | None = None  # why `parsed` is None although JSON was asked for
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    attempts: int = 0
    logprobs: list | None = None
    key: str = ""


@dataclass
class ClientStats:
    http_requests: int = 0  # every HTTP attempt, including failed ones
    retries: int = 0
    cache_hits: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def validate_json(text: str, schema: dict | None) -> tuple[Any, str | None]:
    """(value, None) if `text` is JSON (matching `schema` when given), else (None, the problem)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        return None, f"not valid JSON ({e.msg} at char {e.pos})"
    if schema is not None:
        import jsonschema

        try:
            jsonschema.validate(value, schema)
        except jsonschema.ValidationError as e:
            return None, f"JSON does not match the schema: {e.message}"
    return value, None


class LLMClient:
    def __init__(self, endpoint: Endpoint, *, cache: ResponseCache | None = None, usage: UsageLog | None = None,
                 concurrency: int = 8, timeout: float = 120.0, max_retries: int = 6, backoff: float = 0.5,
                 max_backoff: float = 30.0, reasks: int = 2, resolve=None):
        self.endpoint = endpoint
        # called after a connection error: the run's current endpoint (its embedded server may have been
        # restarted on another port)
        self.resolve = resolve
        self.cache = cache
        self.usage = usage
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.reasks = reasks
        self.stats = ClientStats()

    # -- public -----------------------------------------------------------------------------------------
    def chat_many(self, requests: list[ChatRequest]) -> list[ChatResult]:
        """Answer all requests concurrently (at most `concurrency` in flight); results in input order."""
        return asyncio.run(self.achat_many(requests))

    def chat(self, request: ChatRequest) -> ChatResult:
        return self.chat_many([request])[0]

    async def achat_many(self, requests: list[ChatRequest]) -> list[ChatResult]:
        sem = asyncio.Semaphore(self.concurrency)
        headers = {"Content-Type": "application/json"}
        if self.endpoint.api_key:
            headers["Authorization"] = f"Bearer {self.endpoint.api_key}"
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.endpoint.url, headers=headers, timeout=self.timeout,
                                     limits=limits) as http:

            inflight: dict[str, asyncio.Task] = {}

            async def one(req: ChatRequest) -> ChatResult:
                async with sem:
                    return await self.achat(http, req)

            tasks = []
            for r in requests:  # identical requests in one call are sent once
                k = cache_key(self.endpoint.model, r.messages, r.params())
                if k not in inflight:
                    inflight[k] = asyncio.ensure_future(one(r))
                tasks.append(inflight[k])
            return list(await asyncio.gather(*tasks))

    async def achat(self, http: httpx.AsyncClient, req: ChatRequest) -> ChatResult:
        model = self.endpoint.model
        params = req.params()
        key = cache_key(model, req.messages, params)
        t0 = time.perf_counter()
        hit = self.cache.get(key) if self.cache is not None else None
        if hit is not None:
            self.stats.cache_hits += 1
            result = self._result(req, hit["content"], hit["prompt_tokens"], hit["completion_tokens"], key,
                                  cached=True, logprobs=hit.get("logprobs"))
            self._account(result, model, time.perf_counter() - t0)
            return result

        messages = list(req.messages)
        prompt_tokens = completion_tokens = attempts = 0
        for ask in range(self.reasks + 1):
            if req.prompt is None:
                data, n = await self._post(http, "/chat/completions", {"model": model, "messages": messages, **params})
            else:
                data, n = await self._post(http, "/completions", {"model": model, **params})
            attempts += n
            usage = data.get("usage") or {}
            prompt_tokens += int(usage.get("prompt_tokens") or 0)
            completion_tokens += int(usage.get("completion_tokens") or 0)
            choice = data["choices"][0]
            content = ((choice.get("message") or {}).get("content") or choice.get("text") or "")
            logprobs = ((choice.get("logprobs") or {}).get("content")) if req.logprobs else None
            result = self._result(req, content, prompt_tokens, completion_tokens, key, logprobs=logprobs)
            if result.error is None or ask == self.reasks:
                break
            self.stats.reasks += 1
            messages = [*req.messages, {"role": "assistant", "content": content},
                        {"role": "user", "content": f"That reply was {result.error}. Answer again with only "
                                                    "the JSON value, nothing else."}]
        result.attempts = attempts
        self.stats.prompt_tokens += prompt_tokens
        self.stats.completion_tokens += completion_tokens
        if self.cache is not None:  # durable before the caller sees it: a later crash cannot lose it
            self.cache.put(key, model, {"messages": req.messages, **params}, result.content, prompt_tokens,
                           completion_tokens, logprobs=result.logprobs)
        self._account(result, model, time.perf_counter() - t0)
        return result

    # -- internals -----------------------------------------------------------------------------------------
    def _refresh_endpoint(self) -> None:
        if self.resolve is None:
            return
        try:
            new = self.resolve()
        except Exception:  # keep retrying the endpoint we have
            return
        if new is not None and new.url != self.endpoint.url and new.model == self.endpoint.model:
            self.endpoint = new

    def _result(self, req, content, pt, ct, key, cached=False, logprobs=None) -> ChatResult:
        parsed = error = None
        if req.wants_json:
            parsed, error = validate_json(_strip_fences(content), req.json_schema)
        return ChatResult(content, parsed, error, pt, ct, cached, 0, logprobs, key)

    def _account(self, result: ChatResult, model: str, seconds: float) -> None:
        if self.usage is not None:
            self.usage.record(key=result.key, model=model, cached=result.cached,
                              prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                              attempts=result.attempts, seconds=seconds)

    async def _post(self, http: httpx.AsyncClient, path: str, body: dict) -> tuple[dict, int]:
        """POST with retries; returns (JSON body, attempts made)."""
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.retries += 1
            self.stats.http_requests += 1
            wait = None
            try:
                resp = await http.post(self.endpoint.url + path, json=body)
            except (httpx.TransportError, httpx.TimeoutException) as e:
                last = f"{type(e).__name__}: {e}"
                self._refresh_endpoint()
            else:
                if resp.status_code == 200:
                    try:
                        return resp.json(), attempt + 1
                    except json.JSONDecodeError:
                        last = "200 with a body that is not JSON"
                elif resp.status_code in RETRY_STATUS:
                    last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                    wait = _retry_after(resp)
                else:
                    raise LLMError(f"{self.endpoint.url}{path}: HTTP {resp.status_code}: {resp.text[:500]}")
            if attempt < self.max_retries:
                delay = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.5, 1.0)
                await asyncio.sleep(min(self.max_backoff, wait) if wait is not None else delay)
        raise LLMError(f"{self.endpoint.url}{path}: gave up after {self.max_retries + 1} attempts ({last})")


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _strip_fences(text: str) -> str:
    """Models often wrap JSON in ```json fences; accept that rather than re-asking."""
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else t[3:]
        if t.rstrip().endswith("```"):
            t = t.rstrip()[:-3]
    return t.strip()
