"""The agent's access to a chat model: any configured OpenAI-compatible endpoint, or none.

The agent wants a *capable* model (planning, writing operators). It uses the endpoint named by
TILTH_LLM_URL / TILTH_LLM_MODEL through tilth.llm's client; it does not start the embedded SmolLM2 for
planning, because a 135M model cannot plan reliably (it is fine for the LLM operators' small jobs).
A `Chat` is just `messages -> reply text`, so tests can pass a local fake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

Chat = Callable[[list[dict]], str]


def configured_chat(max_tokens: int = 512, timeout: float = 30.0, max_retries: int = 1) -> Chat | None:
    """A Chat for the configured endpoint, or None when no endpoint is configured.

    `chat(messages, json_schema=None)`: with a schema the endpoint constrains its reply to it. Requests
    fail fast (`max_retries`, `timeout` seconds) so a dead or slow endpoint costs seconds, not minutes:
    the agent then falls back to its offline planner, `tilth ask` to its extractive answer.
    """
    try:
        from tilth.llm import Endpoint
    except ImportError:  # the LLM layer is optional for the agent
        return None
    endpoint = Endpoint.from_env()
    if endpoint is None:
        return None
    return endpoint_chat(endpoint, max_tokens=max_tokens, timeout=timeout, max_retries=max_retries)


def endpoint_chat(endpoint, max_tokens: int = 512, timeout: float = 30.0, max_retries: int = 1) -> Chat:
    from tilth.llm import ChatRequest, LLMClient

    client = LLMClient(endpoint, concurrency=1, timeout=timeout, max_retries=max_retries, backoff=0.2)

    def chat(messages: list[dict], json_schema: dict | None = None) -> str:
        req = ChatRequest(messages=messages, max_tokens=max_tokens, temperature=0.0, json_schema=json_schema)
        return client.chat(req).content

    chat.endpoint = f"{endpoint.model} at {endpoint.url}"  # type: ignore[attr-defined]
    return chat


def parse_json(text: str):
    """The first JSON object in a reply (models wrap JSON in prose or ``` fences)."""
    text = re.sub(r"^```(?:json)?|```$", "", text.strip(), flags=re.M)
    start = text.find("{")
    if start < 0:
        raise ValueError("the reply holds no JSON object")
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    return obj
